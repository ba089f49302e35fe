package org.mmunotifier.core.internal.notifier;

/** A registration its {@link Owner} holds and the core can take back when the owner goes away. */
public interface Lease {
    /** Who it is: id, owner, the notifier's name, its fault count. */
    Identity identity();

    /**
     * Unlinks the registration without calling into its notifier again (no {@code release}, no
     * {@code freeNotifier}) and waits until no callback of it is running. Idempotent.
     */
    void forceRemove();

    /** What the registration is, for the warning that names what a bundle left behind. */
    String describe();

    /**
     * Its owner is gone: from now on a dispatch that reaches it refuses the call and counts it
     * (for the registrations whose dispatch reads their own state instead of the owner's flag).
     */
    default void ownerGone() {
    }

    /** The mm it is on, or -1 for an rmap notifier. */
    long mmId();
}
