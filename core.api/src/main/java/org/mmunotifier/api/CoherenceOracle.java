package org.mmunotifier.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Checks every device access against the primary MMU. A driver gets one {@link DeviceAccess} per
 * registration and makes every access of that registration's device through it: the core then
 * knows which registration (and so which bundle) accessed memory, and what that registration was
 * told. An access is a violation when the frame was freed since it was looked up; when it falls in
 * a window where this registration was told to stop (after its {@code invalidate_range_start}, or
 * its interval {@code invalidate}, or its TLB or page callback, for a covering range returned, and
 * before the matching end); when it goes through a translation looked up before an invalidation
 * this registration was told about; when the primary no longer maps that frame there (or not
 * writable, for a write) and this registration has been told; or when the registration has been
 * removed. An access the primary has not yet told this registration about is allowed: the primary
 * is still invalidating.
 */
@ProviderType
public interface CoherenceOracle {

    /**
     * The device of the registration of {@code notifier} on {@code mm} (by {@code register} or
     * {@code get}).
     *
     * @throws NotRegisteredException if {@code notifier} is not registered on {@code mm}
     */
    DeviceAccess device(MmuNotifier notifier, MmStruct mm);

    /** The device of an interval subscription. */
    DeviceAccess device(MmuIntervalSubscription subscription);

    /**
     * The device behind an rmap notifier, accessing pages of {@code mm} (a remote peer mapping
     * exported pages).
     *
     * @throws NotRegisteredException if {@code notifier} is not registered
     */
    DeviceAccess device(MmuRmapNotifier notifier, MmStruct mm);

    /** Violations recorded so far. */
    long violationCount();
}
