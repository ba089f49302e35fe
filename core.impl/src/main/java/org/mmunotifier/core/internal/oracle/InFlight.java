package org.mmunotifier.core.internal.oracle;

import org.mmunotifier.core.internal.notifier.InvalidationRange;

/**
 * One invalidation the primary has in progress on an mm, from before it changes a pte until its
 * notifiers were told it ended: its range, its tick in the mm's invalidation sequence, and the
 * range object that records who heard of it.
 */
public record InFlight(long start, long end, long tick, InvalidationRange range) {
    public boolean covers(long address) {
        return address >= start && address < end;
    }
}
