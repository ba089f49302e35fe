package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.Objects;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * {@code struct mmu_notifier_range}, owned by the primary-MMU operation that invalidates: built
 * (checked) once, passed to {@code invalidateRangeStart} and then to {@code invalidateRangeEnd}.
 * Between the two it carries the subscriber array that start saw, so end goes to exactly the
 * notifiers that got start (a notifier registered meanwhile gets neither), minus those whose
 * start failed. May be reused for the next invalidation by {@link #set}.
 */
public final class InvalidationRange implements MmuNotifierRange {
    private static final VarHandle TOLD = VarHandles.field(MethodHandles.lookup(), "told", Told.class);

    private MmStruct mm;
    private long start;
    private long end;
    private MmuNotifierEvent event;
    private boolean blockable;
    private Object owner;
    private boolean pageOp;
    private boolean cow;
    private long tick;

    /** Subscribers start was given; null when start found no hooks. */
    Subscription[] snapshot;
    /** The interval notifiers whose start ran and still await their end. */
    IntervalNotifiers itree;
    /** The read-side section start entered and end leaves. */
    ReaderSlot section;
    /** Indexes into {@link #snapshot} whose start failed, or that get no start; null until one does. */
    private BitSet failed;
    /**
     * Who has been told of it, for the oracle; only for the primary's own operations (a tick).
     * Written with release stores and read with acquire loads: a volatile store here was a second
     * StoreLoad fence per invalidation (after the read-side section's), and nothing needs it. A
     * device thread that reads null a moment late is excused for that moment, as for
     * {@link Told}'s bits.
     */
    @SuppressWarnings("unused") // through TOLD
    private Told told;

    public InvalidationRange(MmStruct mm, long start, long end, MmuNotifierEvent event) {
        set(mm, start, end, event, true, null);
    }

    /**
     * Re-initialises the range for a new invalidation.
     *
     * @throws org.mmunotifier.api.InvalidRangeException if {@code [start, end)} is not a valid range
     */
    public InvalidationRange set(MmStruct mm, long start, long end, MmuNotifierEvent event, boolean blockable,
            Object owner) {
        Addresses.checkRange(start, end);
        this.mm = Objects.requireNonNull(mm, "mm");
        this.event = Objects.requireNonNull(event, "event");
        this.start = start;
        this.end = end;
        this.blockable = blockable;
        this.owner = owner;
        this.pageOp = false;
        this.cow = false;
        this.tick = 0;
        this.snapshot = null;
        this.itree = null;
        this.section = null;
        this.failed = null;
        TOLD.setRelease(this, (Told) null);
        return this;
    }

    /**
     * Marks the invalidation as a single-page operation of the reverse map or the fault path
     * (reclaim's unmap, migration, the copy-on-write break): the older contracts tell it with
     * {@code invalidate_page} instead of a range start/end.
     */
    public InvalidationRange pageOperation() {
        this.pageOp = true;
        return this;
    }

    public boolean isPageOperation() {
        return pageOp;
    }

    /**
     * Marks the invalidation as the copy-on-write break ({@code do_wp_page}): a
     * {@linkplain #pageOperation() page operation} that 2.6.27 tells with {@code invalidate_page}
     * and the seed with {@code invalidate_range} of the page.
     */
    public InvalidationRange copyOnWrite() {
        this.pageOp = true;
        this.cow = true;
        return this;
    }

    public boolean isCopyOnWrite() {
        return cow;
    }

    /** The tick of the mm's invalidation sequence this invalidation took when it began. */
    public InvalidationRange tick(long tick) {
        this.tick = tick;
        return this;
    }

    public long tick() {
        return tick;
    }

    /** Who has been told of this invalidation so far; null if nobody was subscribed at its start. */
    public Told told() {
        return (Told) TOLD.getAcquire(this);
    }

    /** Starts the record of who is told, over {@code subs}; an operation of the primary's only (a tick). */
    Told tell(Subscription[] subs) {
        Told t = tick == 0 ? null : new Told(subs);
        TOLD.setRelease(this, t);
        return t;
    }

    /** Makes the range non-blockable ({@code mmu_notifier_invalidate_range_start_nonblock}). */
    public InvalidationRange nonBlocking() {
        this.blockable = false;
        return this;
    }

    /** Names the owner of a MIGRATE or EXCLUSIVE invalidation. */
    public InvalidationRange owner(Object owner) {
        this.owner = owner;
        return this;
    }

    void markFailed(int index) {
        if (failed == null) {
            failed = new BitSet();
        }
        failed.set(index);
    }

    /** The indexes marked so far, or null if none. */
    BitSet failed() {
        return failed;
    }

    @Override
    public MmStruct mm() {
        return mm;
    }

    @Override
    public long start() {
        return start;
    }

    @Override
    public long end() {
        return end;
    }

    @Override
    public MmuNotifierEvent event() {
        return event;
    }

    @Override
    public boolean isBlockable() {
        return blockable;
    }

    @Override
    public Object owner() {
        return owner;
    }

    @Override
    public String toString() {
        return event + " [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")"
                + (blockable ? "" : " nonblock") + (owner == null ? "" : " owner " + owner);
    }
}
