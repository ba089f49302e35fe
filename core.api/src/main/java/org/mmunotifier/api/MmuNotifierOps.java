package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A driver's ops for shared registrations ({@code mmu_notifier_get}/{@code mmu_notifier_put}):
 * the core keeps at most one notifier per (ops, mm), found by the identity of this object.
 *
 * @param <N> the driver's notifier type
 */
@ConsumerType
public interface MmuNotifierOps<N extends MmuNotifier> {

    /** {@code alloc_notifier}: create the shared notifier for {@code mm}. Called once per (ops, mm). */
    N allocNotifier(MmStruct mm);

    /**
     * {@code free_notifier}: the last user has {@linkplain MmStruct#put put} the notifier, it is
     * unlinked, and no callback is running or will start.
     */
    default void freeNotifier(N notifier) {
    }
}
