package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.core.internal.notifier.InvalidationRange;

/**
 * The invalidations the primary MMU has in progress on one mm, from before it changes a pte until
 * its notifiers have been told and the operation has ended. Each has a tick of the mm's
 * invalidation sequence, taken when it began; a translation looked up by a fault carries the
 * sequence at that moment ({@link org.mmunotifier.api.MappedFrame#seq()}), so the oracle can tell
 * which invalidations came after it. The coherence oracle reads both.
 */
final class InflightRanges {
    /** One invalidation in progress, and the range object that tells its notifiers (who heard of it). */
    record Entry(long start, long end, long tick, InvalidationRange range) {
        boolean covers(long address) {
            return address >= start && address < end;
        }
    }

    private final List<Entry> ranges = new ArrayList<>(); // guarded by this
    private final LongAdder started;
    private volatile long sequence; // written under this

    /** @param started counts every invalidation begun (machine-wide) */
    InflightRanges(LongAdder started) {
        this.started = started;
    }

    /** Marks {@code range} in progress and gives it its tick. */
    synchronized Entry add(InvalidationRange range) {
        started.increment();
        Entry e = new Entry(range.start(), range.end(), ++sequence, range);
        range.tick(e.tick());
        ranges.add(e);
        return e;
    }

    /** The invalidation in progress with {@code tick}, or null. */
    synchronized Entry byTick(long tick) {
        for (Entry r : ranges) {
            if (r.tick() == tick) {
                return r;
            }
        }
        return null;
    }

    synchronized void remove(Entry e) {
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i) == e) {
                ranges.remove(i);
                return;
            }
        }
        throw new IllegalStateException("no such in-flight range");
    }

    synchronized boolean covers(long address) {
        for (Entry r : ranges) {
            if (r.covers(address)) {
                return true;
            }
        }
        return false;
    }

    /** The invalidations in progress over {@code address}. */
    synchronized List<Entry> covering(long address) {
        List<Entry> out = null;
        for (Entry r : ranges) {
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
