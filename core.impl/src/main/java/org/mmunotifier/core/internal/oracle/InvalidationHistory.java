package org.mmunotifier.core.internal.oracle;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.core.internal.notifier.Told;

/**
 * The recent finished invalidations of one mm, by tick, with who heard of each: what the oracle
 * needs to call a translation stale once the invalidation that made it so is over. A ring: the
 * {@value #KEEP} most recent invalidations of the mm are kept; about an older one the oracle
 * cannot say (a translation kept across it is still caught by the other rules once its page is
 * unmapped, freed or write-protected). Holds no reference to a driver's object.
 */
public final class InvalidationHistory {
    public static final int KEEP = 1024;

    /** One finished invalidation. */
    public record Finished(long start, long end, long tick, MmuNotifierEvent event, Told.Heard heard) {
        boolean covers(long address) {
            return address >= start && address < end;
        }
    }

    private final AtomicReferenceArray<Finished> ring = new AtomicReferenceArray<>(KEEP);

    public void add(Finished f) {
        ring.set((int) (f.tick() & (KEEP - 1)), f);
    }

    /** Invalidation {@code tick}, if it is still kept. */
    public Finished byTick(long tick) {
        Finished f = ring.get((int) (tick & (KEEP - 1)));
        return f != null && f.tick() == tick ? f : null;
    }
}
