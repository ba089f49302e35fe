package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.oracle.InFlight;

/**
 * The invalidations the primary MMU has in progress on one mm, from before it changes a pte until
 * its notifiers have been told and the operation has ended. Each has a tick of the mm's
 * invalidation sequence, taken when it began; a translation looked up by a fault carries the
 * sequence at that moment ({@link org.mmunotifier.api.MappedFrame#seq()}), so the oracle can tell
 * which invalidations came after it. The coherence oracle reads both.
 */
final class InflightRanges {

    private final List<InFlight> ranges = new ArrayList<>(); // guarded by this
    private final LongAdder started;
    private volatile long sequence; // written under this

    /** @param started counts every invalidation begun (machine-wide) */
    InflightRanges(LongAdder started) {
        this.started = started;
    }

    /** Marks {@code range} in progress and gives it its tick. */
    synchronized InFlight add(InvalidationRange range) {
        started.increment();
        InFlight e = new InFlight(range.start(), range.end(), ++sequence, range);
        range.tick(e.tick());
        ranges.add(e);
        return e;
    }

    /** The invalidation in progress with {@code tick}, or null. */
    synchronized InFlight byTick(long tick) {
        for (InFlight r : ranges) {
            if (r.tick() == tick) {
                return r;
            }
        }
        return null;
    }

    synchronized void remove(InFlight e) {
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i) == e) {
                ranges.remove(i);
                return;
            }
        }
        throw new IllegalStateException("no such in-flight range");
    }

    /** The invalidations in progress over {@code address}. */
    synchronized List<InFlight> covering(long address) {
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
