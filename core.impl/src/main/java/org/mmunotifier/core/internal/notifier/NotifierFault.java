package org.mmunotifier.core.internal.notifier;

/**
 * A notifier callback that threw, or broke the contract (refused a blockable invalidation).
 *
 * @param notifier the notifier's identity: class name and identity hash
 * @param callback the callback, named as in {@code mmu_notifier_ops}
 * @param mmId the mm it was called for, or -1 for rmap notifiers
 * @param cause what it threw, or null for a contract violation
 * @param message what happened
 */
public record NotifierFault(String notifier, String callback, long mmId, Throwable cause, String message) {

    static String identify(Object notifier) {
        return notifier.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(notifier));
    }

    @Override
    public String toString() {
        return "notifier " + notifier + " " + callback + " on mm " + mmId + ": " + message;
    }
}
