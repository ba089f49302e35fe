package org.mmunotifier.drivers.rdma.internal;

/**
 * A bug planted in the driver for the catalogue of mutants (module {@code mutants}): each is one
 * way a real ODP-style secondary MMU gets the notifier contract wrong, switched on by
 * {@link RdmaDriver#plant} for the regions registered from then on and for the remote peer.
 * {@link #NONE} everywhere else.
 */
enum RdmaBug {
    NONE,
    /** The fault path maps what it faulted without {@code mmu_interval_read_retry}. */
    SKIP_RETRY,
    /** {@code invalidate} drops the mappings and returns without waiting for the DMA in flight. */
    NO_DMA_DRAIN,
    /** {@code invalidate} zaps {@code [start, end - PAGE_SIZE)}: the exclusive end taken for an inclusive one. */
    LAST_PAGE_KEPT,
    /** {@code invalidate} only ever try-locks and refuses while DMA is in flight, blockable range or not. */
    REFUSES_BLOCKABLE,
    /** A non-blockable {@code invalidate} with DMA in flight neither refuses nor waits: it returns true at once. */
    NONBLOCK_NO_REFUSE,
    /** The remote peer's rmap {@code invalidate_page} clears the page's flag but keeps its export. */
    PEER_KEEPS_EXPORT,
    /** Deactivation never unregisters the remote peer's rmap notifier. */
    RMAP_LEAK,
    /** Deregistration removes the subscription first, and only then stops new DMA and waits for the rest. */
    REMOVE_BEFORE_DRAIN
}
