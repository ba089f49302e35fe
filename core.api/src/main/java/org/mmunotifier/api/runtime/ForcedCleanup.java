package org.mmunotifier.api.runtime;

import java.util.List;

/**
 * Registrations a bundle still held when it stopped, which the core took back.
 *
 * @param bundleId the bundle
 * @param bundle its symbolic name and version
 * @param leftBehind what it had left registered
 * @param nanos how long taking it back took (grace periods included)
 */
public record ForcedCleanup(long bundleId, String bundle, List<String> leftBehind, long nanos) {
    public ForcedCleanup {
        leftBehind = List.copyOf(leftBehind);
    }
}
