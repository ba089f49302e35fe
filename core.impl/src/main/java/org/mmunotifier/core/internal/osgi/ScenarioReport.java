package org.mmunotifier.core.internal.osgi;

import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.launcher.options.Scenario;

/**
 * What a scenario run did, and whether it passed: no coherence violation, no call into a stopped
 * bundle, a consistent machine with every frame free, and no driver that threw or stalled.
 *
 * @param stalls the stalls reported during the run (those still kept)
 * @param stallCount how many were reported during the run
 * @param faults the driver faults recorded during the run (those still kept)
 * @param faultCount how many were recorded during the run
 * @param violations the coherence violations of the run (those still kept)
 * @param violationCount how many the oracle recorded during the run
 * @param adversary what the adversary did, or empty if it was off
 * @param drivers what each driver bundle of the run did
 * @param deviceWork the drivers' device accesses, faults and retries during the run (their counters, added
 *     up across restarts), or null if none was sampled
 */
record ScenarioReport(Scenario scenario, double seconds, long operations, MachineStats end, int restarts,
        int updates, long[] teardownMicros, long forcedCleanups, List<String> consistency, List<Stall> stalls,
        long stallCount, List<DriverFault> faults, long faultCount, List<Violation> violations, long violationCount,
        String adversary, List<DriverRow> drivers, StatusLine.DeviceWork deviceWork) {
    private static final int LISTED = 5;

    /**
     * One driver bundle's part in the run.
     *
     * @param accesses device accesses the oracle checked for its registrations during the run
     * @param counters the counters it publishes ({@code DeviceCountersProvider}), since its last start, or null
     */
    record DriverRow(String bundle, long accesses, long violations, long faults, long stalls, long forcedCleanups,
            DeviceCounters.Snapshot counters) {
    }

    ScenarioReport(Scenario scenario, double seconds, long operations, MachineStats end, int restarts, int updates,
            long[] teardownMicros, long forcedCleanups, List<String> consistency, List<Stall> stalls, long stallCount,
            List<DriverFault> faults, long faultCount, List<Violation> violations, long violationCount,
            String adversary) {
        this(scenario, seconds, operations, end, restarts, updates, teardownMicros, forcedCleanups, consistency,
                stalls, stallCount, faults, faultCount, violations, violationCount, adversary, List.of(), null);
    }

    ScenarioReport(Scenario scenario, double seconds, long operations, MachineStats end, int restarts, int updates,
            long[] teardownMicros, long forcedCleanups, List<String> consistency, List<Stall> stalls, long stallCount,
            List<DriverFault> faults, long faultCount, List<Violation> violations, long violationCount,
            String adversary, List<DriverRow> drivers) {
        this(scenario, seconds, operations, end, restarts, updates, teardownMicros, forcedCleanups, consistency,
                stalls, stallCount, faults, faultCount, violations, violationCount, adversary, drivers, null);
    }

    /** No violation, stall, fault, forced cleanup or call into a stopped bundle; every frame free; consistent. */
    boolean passed() {
        return violationCount == 0 && end.callsIntoStoppedBundles() == 0 && consistency.isEmpty()
                && end.framesInUse() == 0 && stallCount == 0 && faultCount == 0 && forcedCleanups == 0;
    }

    String render() {
        StringBuilder b = new StringBuilder();
        b.append("scenario ").append(scenario.name()).append(": ").append(passed() ? "PASSED" : "FAILED").append('\n');
        row(b, "duration", String.format("%.1f s (%d workload threads, %d processes, seed %d)", seconds,
                scenario.threads(), scenario.processes(), scenario.seed()));
        row(b, "operations", String.format("%d (%.0f/s)", operations, operations / seconds));
        row(b, "invalidations", String.format("%d (%.0f/s)", end.invalidations(), end.invalidations() / seconds));
        if (deviceWork != null) {
            row(b, "device work", String.format("%d accesses (%s/s), %d faults (%s/s), %d retries (%s/s)",
                    deviceWork.accesses(), StatusLine.human(deviceWork.accesses() / seconds), deviceWork.faults(),
                    StatusLine.human(deviceWork.faults() / seconds), deviceWork.retries(),
                    StatusLine.human(deviceWork.retries() / seconds)));
        }
        row(b, "swaps", (restarts + updates) + " (" + restarts + " restarts, " + updates + " updates)");
        if (teardownMicros.length > 0) {
            long[] t = teardownMicros.clone();
            Arrays.sort(t);
            row(b, "teardown ms", String.format("p50 %.2f  p90 %.2f  p99 %.2f  max %.2f", ms(t, 0.50), ms(t, 0.90),
                    ms(t, 0.99), t[t.length - 1] / 1e3));
        }
        if (!adversary.isEmpty()) {
            row(b, "adversary", adversary);
        }
        row(b, "forced cleanups", String.valueOf(forcedCleanups));
        row(b, "violations", String.valueOf(violationCount));
        violations.stream().collect(Collectors.groupingBy(Violation::bundle, TreeMap::new, Collectors.toList()))
                .forEach((bundle, vs) -> detail(b, bundle + ": " + vs.size() + (vs.size() == 1 ? " violation" : " violations")
                        + ", first " + vs.get(0).rule() + " " + vs.get(0).op() + " at 0x" + Long.toHexString(vs.get(0).address())
                        + " of mm " + vs.get(0).mmId() + " by " + vs.get(0).notifier() + ": " + vs.get(0).reason()));
        if (!violations.isEmpty()) {
            detail(b, "… all of them: mmu:violations; each one's report: mmu:violation <number>");
        }
        row(b, "calls into stopped bundles", String.valueOf(end.callsIntoStoppedBundles()));
        row(b, "driver faults", String.valueOf(faultCount));
        faults.stream().collect(Collectors.groupingBy(DriverFault::bundle, TreeMap::new, Collectors.toList()))
                .forEach((bundle, fs) -> detail(b, bundle + ": " + fs.size() + (fs.size() == 1 ? " fault" : " faults")
                        + ", last " + fs.get(fs.size() - 1).callback() + " " + fs.get(fs.size() - 1).message()));
        row(b, "stalls", String.valueOf(stallCount));
        stalls.stream().limit(LISTED).forEach(st -> detail(b, "#" + st.id() + " " + st.kind().name().toLowerCase()
                .replace('_', ' ') + ": " + st.bundle() + (st.notifier().isEmpty() ? "" : " " + st.notifier()) + " "
                + st.operation() + (st.mmId() < 0 ? "" : " on mm " + st.mmId()) + ", thread " + st.thread() + ", "
                + st.millis() + " ms" + (st.ongoing() ? ", still stuck" : "")
                + (st.outcome().isEmpty() ? "" : "; " + st.outcome())));
        if (stalls.size() > LISTED) {
            detail(b, "… " + (stalls.size() - LISTED) + " more (mmu:stalls)");
        }
        row(b, "frames in use at the end", end.framesInUse() + " of " + end.frames());
        row(b, "consistency", consistency.isEmpty() ? "ok" : consistency.size() + " problems: " + consistency.get(0));
        if (!drivers.isEmpty()) {
            b.append("  per driver (accesses checked (per second) / violations / faults / stalls / forced cleanups; its"
                    + " own counters since its last start)\n");
            for (DriverRow d : drivers) {
                detail(b, d.bundle() + ": " + d.accesses() + " (" + StatusLine.human(d.accesses() / seconds) + "/s) / " + d.violations() + " / " + d.faults() + " / "
                        + d.stalls() + " / " + d.forcedCleanups() + (d.counters() == null ? "" : "; " + d.counters()));
            }
        }
        row(b, "replay", replay());
        detail(b, "(the seed fixes the workload's operation streams and the adversary's choices, not how the threads"
                + " interleave)");
        if (!violations.isEmpty()) {
            b.append("\n\nThe first violation's report:\n\n").append(violations.get(0).report().stripTrailing());
        }
        return b.toString();
    }

    /** The command line that runs this scenario again with the same seed. */
    String replay() {
        Scenario s = scenario;
        StringBuilder b = new StringBuilder("java -jar mmunotifier.jar --scenario " + s.name() + " --seconds "
                + s.duration().toSeconds() + " --threads " + s.threads() + " --processes " + s.processes() + " --seed "
                + s.seed());
        if (s.adversary() > 0) {
            b.append(" --adversary ").append(s.adversary());
        }
        if (s.drivers() != null) {
            b.append(" --drivers ").append(s.drivers().isEmpty() ? "none" : String.join(",", s.drivers()));
        }
        return b.toString();
    }

    /** Nearest-rank percentile. */
    private static double ms(long[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, i)] / 1e3;
    }

    private static void detail(StringBuilder b, String text) {
        b.append("    ").append(text).append('\n');
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append(String.format("  %-27s %s%n", name, value));
    }
}
