package org.mmunotifier.api;

/**
 * A secondary-MMU fault kept racing invalidations and gave up after a bounded number of retries
 * (the {@code -EBUSY} of {@code hmm_range_fault}, the time bound of {@code mmu_interval_read_begin}
 * loops). Nothing was mapped; the device should try again later.
 */
public class FaultRetryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FaultRetryException(String device, long address, int retries) {
        super(device + ": fault at 0x" + Long.toHexString(address) + " raced an invalidation " + retries
                + " times in a row; try again later");
    }

    /** For subclasses that say why in their own words. */
    protected FaultRetryException(String message) {
        super(message);
    }
}
