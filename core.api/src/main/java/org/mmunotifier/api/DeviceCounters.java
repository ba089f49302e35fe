package org.mmunotifier.api;

import java.util.concurrent.atomic.LongAdder;

/**
 * What an operator wants to know of a secondary MMU, kept cheaply on hot paths: mappings
 * established, invalidations received, pages zapped, faults that had to retry, faults taken, and
 * device accesses.
 */
public final class DeviceCounters {
    private final LongAdder mappings = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder zapped = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder faults = new LongAdder();
    private final LongAdder accesses = new LongAdder();

    /** A point-in-time copy. */
    public record Snapshot(long mappings, long invalidations, long zapped, long retries, long faults, long accesses) {
        @Override
        public String toString() {
            return "mappings " + mappings + ", invalidations " + invalidations + ", zapped " + zapped + ", retries "
                    + retries + ", faults " + faults + ", accesses " + accesses;
        }
    }

    public void mapped() {
        mappings.increment();
    }

    public void invalidated() {
        invalidations.increment();
    }

    public void zapped(int pages) {
        zapped.add(pages);
    }

    public void retried() {
        retries.increment();
    }

    public void faulted() {
        faults.increment();
    }

    public void accessed() {
        accesses.increment();
    }

    public Snapshot snapshot() {
        return new Snapshot(mappings.sum(), invalidations.sum(), zapped.sum(), retries.sum(), faults.sum(),
                accesses.sum());
    }
}
