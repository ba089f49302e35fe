package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.oracle.InFlight;
import org.mmunotifier.core.internal.util.CopyOnWrite;

/**
 * The invalidations the primary MMU has in progress on one mm, from before it changes a pte until
 * its notifiers have been told and the operation has ended. Each has a tick of the mm's
 * invalidation sequence, taken when it began; a translation looked up by a fault carries the
 * sequence at that moment ({@link org.mmunotifier.api.MappedFrame#seq()}), so the oracle can tell
 * which invalidations came after it. The coherence oracle reads both.
 */
final class InflightRanges {
    private static final InFlight[] NONE = {};

    /**
     * Replaced, never changed in place, under this; read without it. The oracle reads it on every
     * device access: a monitor there made each access contend with the primary's invalidations
     * for it, and a device thread descheduled while holding it held up the invalidation.
     */
    private volatile InFlight[] ranges = NONE;
    private final LongAdder started;
    private volatile long sequence; // written under this

    /** @param started counts every invalidation begun (machine-wide) */
    InflightRanges(LongAdder started) {
        this.started = started;
    }

    /**
     * Marks {@code range} in progress and gives it its tick. The range is published before the
     * sequence moves to its tick: whoever reads the new sequence then finds the range in progress.
     */
    synchronized InFlight add(InvalidationRange range) {
        started.increment();
        long tick = sequence + 1;
        InFlight e = new InFlight(range.start(), range.end(), tick, range);
        range.tick(tick);
        ranges = CopyOnWrite.with(ranges, e);
        sequence = tick;
        return e;
    }

    /** The invalidation in progress with {@code tick}, or null. */
    InFlight byTick(long tick) {
        for (InFlight r : ranges) {
            if (r.tick() == tick) {
                return r;
            }
        }
        return null;
    }

    synchronized void remove(InFlight e) {
        InFlight[] next = CopyOnWrite.without(ranges, e);
        if (next == null) {
            throw new IllegalStateException("no such in-flight range");
        }
        ranges = next;
    }

    /** The invalidations in progress over {@code address}. */
    List<InFlight> covering(long address) {
        List<InFlight> out = null;
        for (InFlight r : ranges) {
            if (r.covers(address)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(r);
            }
        }
        return out == null ? List.of() : out;
    }

    /** The tick of the last invalidation begun: what a fault's snapshot carries. */
    long sequence() {
        return sequence;
    }
}
