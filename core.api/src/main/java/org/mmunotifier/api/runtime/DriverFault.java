package org.mmunotifier.api.runtime;

/**
 * A driver callback that threw, or broke the contract (refused a blockable invalidation). The core
 * recorded it, went on with the other notifiers, and completed the primary operation.
 *
 * @param bundleId the bundle whose code was called, or -1 outside OSGi
 * @param bundle that bundle as {@code symbolic-name version [id]}
 * @param notifier the notifier ({@code toString()} as it was when registered)
 * @param callback the callback, named as in {@code mmu_notifier_ops} ({@code invalidate_range_start}, …)
 * @param mmId the mm it was called for, or -1 for rmap notifiers
 * @param message what it threw (class and message), or how it broke the contract
 * @param faultsOfRegistration how many faults this registration has had, this one included
 * @param timeMillis when ({@link System#currentTimeMillis()})
 */
public record DriverFault(long bundleId, String bundle, String notifier, String callback, long mmId, String message,
        long faultsOfRegistration, long timeMillis) {
}
