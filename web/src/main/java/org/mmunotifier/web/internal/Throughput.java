package org.mmunotifier.web.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.mmunotifier.api.runtime.MachineStats;

/**
 * The machine's throughput over the last minutes, for the page's chart: primary operations (the demo workload's)
 * and invalidations per second between consecutive samples of {@link MachineStats}, the newest {@link #capacity}.
 */
final class Throughput {
    /**
     * One sample.
     *
     * @param timeMillis when it was taken
     * @param opsPerSecond primary operations per second since the previous sample
     * @param invalidationsPerSecond invalidations per second since the previous sample
     */
    record Sample(long timeMillis, double opsPerSecond, double invalidationsPerSecond) {
    }

    private final int capacity;
    private final Deque<Sample> samples = new ArrayDeque<>(); // guarded by this
    private long lastNanos = -1; // guarded by this
    private long lastOps;
    private long lastInvalidations;

    Throughput(int capacity) {
        this.capacity = capacity;
    }

    /** Adds a sample of {@code s} taken at {@code nanos} ({@link System#nanoTime()}); the first one only sets the base. */
    synchronized void sample(MachineStats s, long nanos, long timeMillis) {
        if (lastNanos >= 0 && nanos > lastNanos) {
            double secs = (nanos - lastNanos) / 1e9;
            // A workload started since the last sample counts from 0 again.
            long ops = s.workloadOps() >= lastOps ? s.workloadOps() - lastOps : s.workloadOps();
            long inv = Math.max(0, s.invalidations() - lastInvalidations);
            samples.addLast(new Sample(timeMillis, ops / secs, inv / secs));
            while (samples.size() > capacity) {
                samples.removeFirst();
            }
        }
        lastNanos = nanos;
        lastOps = s.workloadOps();
        lastInvalidations = s.invalidations();
    }

    /** The samples, oldest first. */
    synchronized List<Sample> samples() {
        return new ArrayList<>(samples);
    }
}
