package org.mmunotifier.api;

/** Why a range is being invalidated ({@code enum mmu_notifier_event}). */
public enum MmuNotifierEvent {
    /** The range is unmapped (munmap, mremap's old range, exit). */
    UNMAP,
    /** The page tables are cleared but the range stays mapped (madvise DONTNEED, reclaim). */
    CLEAR,
    /** The protection of the VMA changes (mprotect). */
    PROTECTION_VMA,
    /** The protection of some pages changes (write-protect for COW at fork). */
    PROTECTION_PAGE,
    /** Soft-dirty tracking clears the dirty bits. */
    SOFT_DIRTY,
    /** The mm is going away; every mapping is dropped (interval notifiers at exit). */
    RELEASE,
    /** Pages move to other frames; {@link MmuNotifierRange#owner()} names who migrates. */
    MIGRATE,
    /** A device takes exclusive access; {@link MmuNotifierRange#owner()} names the device. */
    EXCLUSIVE
}
