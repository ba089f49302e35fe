package org.mmunotifier.core.internal.notifier;

/**
 * A notifier callback that threw, or broke the contract (refused a blockable invalidation).
 *
 * @param bundle whose code it is ({@code symbolic-name version [id]}, or "(no bundle)")
 * @param bundleId that bundle's id, or -1
 * @param notifier the notifier's name (its {@code toString()} at registration, and its identity)
 * @param callback the callback, named as in {@code mmu_notifier_ops}
 * @param mmId the mm it was called for, or -1 for rmap notifiers
 * @param message what happened ({@code threw <class>: <message>}, or the contract it broke); the
 *        throwable itself is not kept: a driver's exception would keep its bundle's class loader
 *        alive after the bundle was updated
 * @param faultsOfRegistration faults of this registration so far, this one included
 * @param timeMillis when
 */
public record NotifierFault(String bundle, long bundleId, String notifier, String callback, long mmId,
        String message, long faultsOfRegistration, long timeMillis) {

    @Override
    public String toString() {
        return bundle + ": notifier " + notifier + " " + callback + (mmId < 0 ? "" : " on mm " + mmId) + ": " + message;
    }
}
