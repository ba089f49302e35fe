package org.mmunotifier.api.runtime;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The driver bundles, for operators: swapping one while the machine runs, as the shell's {@code mmu:swap} and the
 * {@code hotswap} scenario do.
 */
@ProviderType
public interface Drivers {
    /**
     * The capability namespace that makes a bundle a driver ({@code Provide-Capability:
     * org.mmunotifier.driver;org.mmunotifier.driver=kvm}). A bundle holding notifier registrations is one too.
     */
    String NAMESPACE = "org.mmunotifier.driver";

    /**
     * What one swap did.
     *
     * @param bundle the bundle swapped, as {@code symbolic-name version [id]}
     * @param how {@code restart} (stopped and started) or {@code update} (stopped, updated from a jar, refreshed,
     *        started)
     * @param teardownMicros from the stop request until it had stopped: its components' deactivation, grace periods
     *        and the core's forced cleanup of what it left registered
     * @param startMicros from then until it was active again (the update and refresh included)
     * @param leftBehind registrations the core had to take back from it
     */
    record Swap(String bundle, String how, long teardownMicros, long startMicros, int leftBehind) {
    }

    /**
     * Stops a driver bundle, updates it from the jar it was installed from, refreshes it (the old revision's class
     * loader goes) and starts it again. Everything that can be checked is checked before the stop; a swap that fails
     * after it is rolled back (the previous revision is started again).
     *
     * @param driver a bundle id, a symbolic name, or {@code kvm}, {@code rdma}, {@code gru}
     * @return what the swap did
     * @throws IllegalArgumentException if there is no such bundle, it is not a driver, or its jar cannot be read
     *         (a one-line message; nothing was stopped)
     * @throws IllegalStateException if it is not active, or the swap failed (a one-line message saying whether the
     *         previous revision runs again)
     */
    Swap update(String driver);
}
