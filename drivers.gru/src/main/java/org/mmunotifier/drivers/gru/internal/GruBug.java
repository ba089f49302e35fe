package org.mmunotifier.drivers.gru.internal;

/**
 * A bug planted in the driver for the catalogue of mutants (module {@code mutants}): each is one
 * way a real GRU-style secondary MMU (a chip TLB tagged by ASID) gets the notifier contract
 * wrong, switched on by {@link GruDriver#bug} for the mms registered from then on. {@link #NONE}
 * everywhere else.
 */
enum GruBug {
    NONE,
    /** A dropin installs what it read from the page table without the range-active wait or the retry check. */
    SKIP_RETRY,
    /**
     * A dropin checks {@code ms_range_active} but not the sequence: a whole start/end pair between its
     * pte read and its install goes unseen (the kernel's GRU, which has no sequence).
     */
    RETRY_WITHOUT_SEQ,
    /** The TLB is flushed in {@code invalidate_range_end} instead of start. */
    FLUSH_IN_END,
    /** {@code invalidate_page} (2.6.27's single-page operations: reclaim, migration, COW) flushes nothing. */
    IGNORE_INVALIDATE_PAGE,
    /** Closing a context never puts the mm's shared registration. */
    LEAK_ON_CLOSE,
    /** Deactivation puts the registrations and returns without {@code mmu_notifier_synchronize()}. */
    PUT_WITHOUT_SYNCHRONIZE
}
