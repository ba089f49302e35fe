package org.mmunotifier.core.internal.notifier;

/**
 * What one registration has been told, for the strict coherence oracle: the ranges of the
 * invalidations whose callback (range start, interval invalidate, TLB flush or page/range
 * invalidate) returned, each with the invalidation's tick, kept in a bounded ring for the
 * staleness check. A start-phase callback (range start, interval invalidate) also opens a window
 * that stays open until the registration's end (or the end of the operation): it came before the
 * ptes changed, so until then any access to the range is premature. A TLB or page callback opens
 * none: it comes after the ptes changed, so a translation looked up after it returned is the new
 * one and legal; only one looked up before it is stale.
 *
 * <p>Written by the dispatch after a callback returned, read by the oracle on every device access
 * of this registration; both take this object's monitor, which no callback holds.
 */
public final class TellLog {
    private static final int KEEP = 64;

    private final long[] starts = new long[KEEP];
    private final long[] ends = new long[KEEP];
    private final long[] ticks = new long[KEEP];
    private final int[] kinds = new int[KEEP];
    private final boolean[] open = new boolean[KEEP];
    private int next; // guarded by this
    private int size; // guarded by this
    private volatile boolean retired;

    /** The registration is gone (released, unregistered, put or removed): its device must not access memory. */
    void retire() {
        retired = true;
    }

    public boolean isRetired() {
        return retired;
    }

    /**
     * What the registration was told: {@code callback} for {@code [start, end)} of invalidation
     * {@code tick}.
     */
    public record Told(String callback, long start, long end, long tick) {
        @Override
        public String toString() {
            return callback + " [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") of invalidation #"
                    + tick;
        }
    }

    /** The registration's {@code kind} callback for {@code [start, end)} of invalidation {@code tick} returned. */
    synchronized void told(long start, long end, long tick, CallKind kind) {
        int i = next;
        starts[i] = start;
        ends[i] = end;
        ticks[i] = tick;
        kinds[i] = kind.ordinal();
        open[i] = kind == CallKind.INVALIDATE_RANGE_START || kind == CallKind.INTERVAL_INVALIDATE;
        next = (i + 1) % KEEP;
        size = Math.min(size + 1, KEEP);
    }

    /** Invalidation {@code tick} has ended for this registration (its end was called, or the operation ended). */
    synchronized void ended(long tick) {
        for (int k = 0; k < size; k++) {
            int i = index(k);
            if (ticks[i] == tick) {
                open[i] = false;
            }
        }
    }

    /** An open window covering {@code address} (the registration must not touch it now), or null. */
    public synchronized Told openWindow(long address) {
        for (int k = 0; k < size; k++) {
            int i = index(k);
            if (open[i] && address >= starts[i] && address < ends[i]) {
                return told(i);
            }
        }
        return null;
    }

    /**
     * An invalidation covering {@code address} that this registration was told about and that
     * began after {@code seq} (a translation looked up at {@code seq} is stale), or null.
     */
    public synchronized Told toldSince(long address, long seq) {
        for (int k = 0; k < size; k++) {
            int i = index(k);
            if (ticks[i] > seq && address >= starts[i] && address < ends[i]) {
                return told(i);
            }
        }
        return null;
    }

    private Told told(int i) {
        return new Told(CallKind.name(kinds[i]), starts[i], ends[i], ticks[i]);
    }

    /** Whether this registration was told about invalidation {@code tick} over {@code address}. */
    public synchronized boolean toldAbout(long address, long tick) {
        for (int k = 0; k < size; k++) {
            int i = index(k);
            if (ticks[i] == tick && address >= starts[i] && address < ends[i]) {
                return true;
            }
        }
        return false;
    }

    /** The k-th most recent entry. */
    private int index(int k) {
        return Math.floorMod(next - 1 - k, KEEP);
    }
}
