package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The invalidations the primary MMU has in progress on one mm, from before it changes a pte until
 * its notifiers have been told. The coherence oracle reads it: during that window a device may
 * still use the old mapping.
 */
final class InflightRanges {
    private final List<long[]> ranges = new ArrayList<>(); // guarded by this
    private final LongAdder started;

    /** @param started counts every invalidation begun (machine-wide) */
    InflightRanges(LongAdder started) {
        this.started = started;
    }

    synchronized long[] add(long start, long end) {
        started.increment();
        long[] r = {start, end};
        ranges.add(r);
        return r;
    }

    synchronized void remove(long[] r) {
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i) == r) {
                ranges.remove(i);
                return;
            }
        }
        throw new IllegalStateException("no such in-flight range");
    }

    synchronized boolean covers(long address) {
        for (long[] r : ranges) {
            if (address >= r[0] && address < r[1]) {
                return true;
            }
        }
        return false;
    }
}
