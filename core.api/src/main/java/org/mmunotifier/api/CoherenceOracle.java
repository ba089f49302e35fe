package org.mmunotifier.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Every device access goes through here: it reads or writes the frame's data word and checks that
 * the access is coherent with the primary MMU. A <em>violation</em> is recorded, naming the device,
 * the address and the operation, when the frame was freed since it was mapped (its generation
 * moved on), or when the primary no longer maps that frame at that address (or no longer maps it
 * writable, for a write) and no invalidation covering the address is in progress.
 *
 * <p>Call it while holding the lock your invalidate callbacks take, as a device would access memory
 * through its table: then an invalidation cannot finish between your table lookup and the check.
 */
@ProviderType
public interface CoherenceOracle {

    /** A device load of the word at {@code frame}. */
    long read(String device, MmStruct mm, MappedFrame frame);

    /** A device store to the word at {@code frame}. */
    void write(String device, MmStruct mm, MappedFrame frame, long value);

    /** A device atomic add on the word at {@code frame}; returns the old value. */
    long fetchAdd(String device, MmStruct mm, MappedFrame frame, long delta);

    /** Violations recorded so far. */
    long violationCount();
}
