package org.mmunotifier.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Who holds which notifier registration, and what the core had to clean up (invariant 11). */
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
}
