package org.mmunotifier.api.page;

/**
 * Page flags with the bit numbers of {@code include/linux/page-flags.h} as of the seed patch
 * (2.6.24), plus the seed's {@code PG_external_rmap}.
 */
public enum PageFlag {
    LOCKED(0),
    ERROR(1),
    REFERENCED(2),
    UPTODATE(3),
    DIRTY(4),
    LRU(5),
    ACTIVE(6),
    SLAB(7),
    RESERVED(10),
    PRIVATE(11),
    WRITEBACK(12),
    SWAPCACHE(15),
    RECLAIM(17),
    /** The frame is free (in the buddy allocator). */
    BUDDY(19),
    /**
     * A subsystem with its own reverse map (a remote peer) maps this page; reclaim must call the
     * {@code MmuRmapNotifier}s for it. Bit 30: exists only on {@link PageLayout#BITS_64}.
     */
    EXTERNAL_RMAP(30);

    private final int bit;

    PageFlag(int bit) {
        this.bit = bit;
    }

    /** The bit number in the flag word. */
    public int bit() {
        return bit;
    }

    /** The flag as a mask of the flag word. */
    public long mask() {
        return 1L << bit;
    }
}
