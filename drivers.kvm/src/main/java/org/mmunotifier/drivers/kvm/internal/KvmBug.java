package org.mmunotifier.drivers.kvm.internal;

/**
 * A bug planted in the driver for the catalogue of mutants (module {@code mutants}): each is one
 * way a real KVM-style secondary MMU gets the notifier contract wrong, switched on by
 * {@link KvmDriver#bug} for the VMs created from then on. {@link #NONE} everywhere else.
 */
enum KvmBug {
    NONE,
    /** The fault maps what GUP returned without {@code mmu_invalidate_retry}. */
    SKIP_RETRY,
    /** {@code mmu_invalidate_retry} compares the sequence only, not {@code mmu_invalidate_in_progress}. */
    RETRY_IGNORES_IN_PROGRESS,
    /** A second invalidation in flight replaces the in-progress range instead of widening it to the union. */
    RANGE_OVERWRITE,
    /** The sptes are zapped in {@code invalidate_range_end} instead of start. */
    ZAP_IN_END,
    /** A write-protecting invalidation (mprotect, fork's COW, soft-dirty) leaves the sptes writable. */
    KEEP_WRITABLE,
    /** {@code release} does nothing: the vCPUs go on through their sptes after the mm is gone. */
    IGNORE_RELEASE,
    /** Destroying a VM stops its vCPUs but never unregisters its notifier. */
    LEAK_ON_DESTROY
}
