package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.runtime.MachineStats;

/** The launcher's compact live status: rates since the previous sample, and the totals that must stay zero. */
final class StatusLine {
    private long lastNanos = System.nanoTime();
    private long lastOps;
    private long lastInvalidations;
    private boolean idle;

    String sample(MachineStats s) {
        long now = System.nanoTime();
        double secs = Math.max(1e-9, (now - lastNanos) / 1e9);
        // A workload started since the last sample counts from 0 again (mmu:demo stop, start).
        long opsSince = s.workloadOps() >= lastOps ? s.workloadOps() - lastOps : s.workloadOps();
        double ops = opsSince / secs;
        double inv = (s.invalidations() - lastInvalidations) / secs;
        idle = opsSince == 0 && s.invalidations() == lastInvalidations;
        lastNanos = now;
        lastOps = s.workloadOps();
        lastInvalidations = s.invalidations();
        return String.format("[mmu] %s ops/s  %s inval/s  procs %d  frames %d/%d  violations %d  faults %d  stalls %d"
                + "  calls into stopped bundles %d", human(ops), human(inv), s.processes(), s.framesInUse(), s.frames(),
                s.violations(), s.notifierFaults(), s.stalls(), s.callsIntoStoppedBundles());
    }

    /** Whether nothing ran between the last two samples (no operation, no invalidation). */
    boolean idle() {
        return idle;
    }

    private static String human(double v) {
        return v >= 1e6 ? String.format("%.1fM", v / 1e6) : v >= 1e3 ? String.format("%.1fk", v / 1e3)
                : String.format("%.0f", v);
    }
}
