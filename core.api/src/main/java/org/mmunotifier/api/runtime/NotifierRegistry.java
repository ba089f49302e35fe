package org.mmunotifier.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Who holds which notifier registration, what the core had to clean up (invariant 11), and what
 * drivers did wrong: faults (callbacks that threw) and stalls (callbacks and waits that did not
 * finish), each attributed to a bundle.
 */
@ProviderType
public interface NotifierRegistry {

    /** Every live registration made by a bundle, by bundle id then mm. */
    List<Registration> registrations();

    /** Registrations the core took back from bundles that stopped without unregistering, oldest first. */
    List<ForcedCleanup> forcedCleanups();

    /**
     * Calls the core was about to make into a bundle after that bundle had stopped, and refused.
     * Zero unless something is wrong.
     */
    long callsIntoStoppedBundles();

    /** Recent driver faults (callbacks that threw or broke the contract), oldest first, at most 256. */
    List<DriverFault> faults();

    /** Driver faults so far, including those no longer in {@link #faults()}. */
    long faultCount();

    /** Recent stalls, oldest first, at most 256; ongoing ones show how long they have lasted so far. */
    List<Stall> stalls();

    /** Stalls so far, including those no longer in {@link #stalls()}. */
    long stallCount();
}
