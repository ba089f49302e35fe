package org.mmunotifier.api;

/**
 * The address space stayed busy longer than the caller was prepared to wait: its {@code mmap_lock}
 * was held (by an invalidation, or by a thread stuck in a driver's callback), or an invalidation
 * of the interval did not end. Nothing was faulted in or mapped; try again later
 * ({@code hmm_range_fault}'s {@code -EBUSY}). A device engine serving many address spaces waits
 * with a bound so that one wedged process does not stop it serving the others. A
 * {@link FaultRetryException}, so a driver's retry handling covers it.
 */
public class MmBusyException extends FaultRetryException {
    private static final long serialVersionUID = 1L;

    public MmBusyException(String message) {
        super(message);
    }
}
