package org.mmunotifier.web.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.api.runtime.Stall;

/**
 * What the page shows at one moment, read from the public runtime API and the framework, as records for
 * {@link Json}: the machine's counters and throughput, its processes with the registrations on each, the driver
 * bundles with their {@code DeviceCounters}, registrations per bundle, and the recent violations, faults and stalls.
 */
final class StatusReport {
    /** Recent violations, faults and stalls shown at most (their counts are shown whole). */
    static final int RECENT = 50;

    /**
     * A bundle as the page sees it.
     *
     * @param id bundle id
     * @param symbolicName its symbolic name
     * @param version its version
     * @param state ACTIVE, RESOLVED, …
     * @param lastModified when it was installed or last updated (a swap updates it)
     * @param declaresDriver whether it declares the driver capability
     */
    record BundleInfo(long id, String symbolicName, String version, String state, long lastModified,
            boolean declaresDriver) {
    }

    /**
     * A driver's counters, or why there are none.
     *
     * @param counters a snapshot, or null
     * @param problem what went wrong reading them, or empty
     */
    record Counters(DeviceCounters.Snapshot counters, String problem) {
    }

    /**
     * What the page shows.
     *
     * @param time when it was gathered
     * @param stats the machine's counters
     * @param adversary the adversary's settings and strikes
     * @param throughput the throughput samples, oldest first
     * @param processes the live processes
     * @param drivers the driver bundles
     * @param registrations the registrations, per bundle
     * @param violations the recent violations, one line each ({@code #12 …})
     * @param faults the recent driver faults
     * @param stalls the recent stalls
     * @param forcedCleanups forced cleanups the core remembers
     * @param lastSwap the last swap asked for through the page, or null
     */
    record Status(long time, MachineStats stats, String adversary, List<Throughput.Sample> throughput,
            List<ProcessRow> processes, List<DriverRow> drivers, List<BundleRegistrations> registrations,
            Recent violations, Recent faults, Recent stalls, int forcedCleanups, SwapResult lastSwap) {
    }

    /** A process: its pid, its mm and the registrations on that mm by bundle. */
    record ProcessRow(int pid, long mm, List<Held> registrations) {
    }

    /** How many registrations a bundle holds (on one mm). */
    record Held(long bundleId, String bundle, int count) {
    }

    /**
     * A driver bundle: its identity and state, its registrations (and on how many mms), its recent faults and stalls,
     * and its device counters or why there are none.
     */
    record DriverRow(long id, String name, String version, String state, long lastModified, int registrations,
            long mms, long faults, long stalls, DeviceCounters.Snapshot counters, String countersProblem) {
    }

    /** A bundle's registrations: how many, of which kinds, on which mms (-1: rmap), under which contracts. */
    record BundleRegistrations(long bundleId, String bundle, int count, Map<String, Integer> kinds, Set<Long> mms,
            Set<String> contracts) {
    }

    /**
     * What the page's swap did ({@code POST swap} answers it), or why it did not.
     *
     * @param ok whether the driver was swapped
     * @param line what was done, or why not, one line
     * @param swap what the swap did, or null
     */
    record SwapResult(boolean ok, String line, Drivers.Swap swap) {
    }

    /** The newest {@link #RECENT} of a list, and how many there were in all. */
    record Recent(long count, List<?> recent) {
    }

    /** A stall without its stack (the shell's {@code mmu:stall N} shows it whole), with its innermost frames. */
    record StallRow(long id, Stall.Kind kind, String bundle, String operation, String thread, long millis,
            boolean ongoing, String outcome, List<String> top) {
        static StallRow of(Stall s) {
            return new StallRow(s.id(), s.kind(), s.bundle(), s.operation(), s.thread(), s.millis(), s.ongoing(),
                    s.outcome(), s.stack().subList(0, Math.min(3, s.stack().size())));
        }
    }

    private StatusReport() {
    }

    /**
     * The whole status.
     *
     * @param bundles every installed bundle
     * @param counters the published device counters, by bundle id
     * @param lastSwap the last swap asked for through the page, or null
     */
    static Status of(MachineControl control, NotifierRegistry registry, Processes processes, List<BundleInfo> bundles,
            Map<Long, Counters> counters, Throughput throughput, SwapResult lastSwap) {
        MachineStats stats = control.stats();
        List<Registration> registrations = registry.registrations();
        List<DriverFault> faults = registry.faults();
        List<Stall> stalls = registry.stalls();
        return new Status(System.currentTimeMillis(), stats, control.adversary(), throughput.samples(),
                processes(processes, registrations), drivers(bundles, registrations, counters, faults, stalls),
                byBundle(registrations), recent(stats.violations(), control.recentViolations()),
                recent(registry.faultCount(), faults),
                recent(registry.stallCount(), stalls.stream().map(StallRow::of).toList()),
                registry.forcedCleanups().size(), lastSwap);
    }

    private static List<ProcessRow> processes(Processes processes, List<Registration> registrations) {
        List<ProcessRow> out = new ArrayList<>();
        for (int pid : processes.pids()) {
            long mm;
            try {
                mm = processes.mm(pid).id();
            } catch (NoSuchProcessException e) {
                continue; // exited since pids()
            }
            out.add(new ProcessRow(pid, mm, byBundle(registrations.stream().filter(r -> r.mmId() == mm).toList())
                    .stream().map(b -> new Held(b.bundleId(), b.bundle(), b.count())).toList()));
        }
        return out;
    }

    /** The driver bundles: those that declare the capability, hold registrations or publish counters. */
    private static List<DriverRow> drivers(List<BundleInfo> bundles, List<Registration> registrations,
            Map<Long, Counters> counters, List<DriverFault> faults, List<Stall> stalls) {
        List<DriverRow> out = new ArrayList<>();
        for (BundleInfo b : bundles) {
            List<Registration> rs = registrations.stream().filter(r -> r.bundleId() == b.id()).toList();
            Counters c = counters.get(b.id());
            if (b.declaresDriver() || !rs.isEmpty() || c != null) {
                out.add(new DriverRow(b.id(), b.symbolicName(), b.version(), b.state(), b.lastModified(), rs.size(),
                        rs.stream().map(Registration::mmId).distinct().count(),
                        faults.stream().filter(f -> f.bundleId() == b.id()).count(),
                        stalls.stream().filter(s -> s.bundleId() == b.id()).count(),
                        c == null ? null : c.counters(), c == null ? "publishes no counters" : c.problem()));
            }
        }
        return out;
    }

    private static List<BundleRegistrations> byBundle(List<Registration> registrations) {
        Map<Long, List<Registration>> by = new TreeMap<>();
        for (Registration r : registrations) {
            by.computeIfAbsent(r.bundleId(), k -> new ArrayList<>()).add(r);
        }
        List<BundleRegistrations> out = new ArrayList<>();
        by.forEach((id, rs) -> {
            Map<String, Integer> kinds = new TreeMap<>();
            rs.forEach(r -> kinds.merge(r.what().split(" ", 2)[0], 1, Integer::sum));
            out.add(new BundleRegistrations(id, rs.get(0).bundle(), rs.size(), kinds,
                    new TreeSet<>(rs.stream().map(Registration::mmId).toList()),
                    new TreeSet<>(rs.stream().map(Registration::contract).toList())));
        });
        return out;
    }

    /** The newest {@link #RECENT} of {@code items} (oldest first, as given) and how many there were in all. */
    private static Recent recent(long count, List<?> items) {
        return new Recent(count, List.copyOf(items.subList(Math.max(0, items.size() - RECENT), items.size())));
    }
}
