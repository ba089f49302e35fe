package org.mmunotifier.api;

/** An access to an address with no mapping, or against the mapping's protection ({@code SIGSEGV}). */
public class SegmentationFaultException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long address;

    public SegmentationFaultException(long address, String why) {
        super("segmentation fault at 0x" + Long.toHexString(address) + ": " + why);
        this.address = address;
    }

    /** The faulting address. */
    public long address() {
        return address;
    }
}
