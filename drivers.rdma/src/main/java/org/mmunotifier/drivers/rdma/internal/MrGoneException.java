package org.mmunotifier.drivers.rdma.internal;

/** DMA to a memory region that was deregistered. */
public class MrGoneException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    MrGoneException(String mr) {
        super(mr + " was deregistered");
    }
}
