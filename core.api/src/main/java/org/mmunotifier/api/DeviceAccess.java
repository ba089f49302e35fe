package org.mmunotifier.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device's access to memory through one registration, as the {@link CoherenceOracle} hands it
 * out: every load and store reads or writes the frame's data word and is checked against what the
 * primary MMU told this registration (the rules are in the README). A violation is recorded naming
 * the bundle that owns the registration, the notifier and the mm, whatever the driver calls its
 * device.
 *
 * <p>Call it while holding the lock your invalidate callbacks take, as a device accesses memory
 * through its table: then an invalidation cannot finish between your table lookup and the check.
 */
@ProviderType
public interface DeviceAccess {

    /** A device load of the word at {@code frame}. */
    long read(MappedFrame frame);

    /** A device store to the word at {@code frame}. */
    void write(MappedFrame frame, long value);

    /** A device atomic add on the word at {@code frame}; returns the old value. */
    long fetchAdd(MappedFrame frame, long delta);

    /** How violations name this device: its bundle, notifier and mm. */
    String name();
}
