package org.mmunotifier.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Workload;

/**
 * The whole machine, end to end: the launcher's workload (2 threads, 4 processes, forks) alone,
 * the three drivers' devices alone (the same processes, attached, no primary operation), and both
 * together; same seed, same cores, one JVM. Each round measures the three in turn on a fresh
 * machine, so the machine's load falls on all three alike; the report takes the median of the
 * rounds.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar org.mmunotifier.bench.EndToEnd [out.jsonl|-
 * [rounds [seconds [engines]]]]} (3 rounds of 10 s after 2 s of warm-up, 1 engine per driver).
 * {@code -De2e.modes=both} runs only some of the three (for a profile, {@code bench/profile.sh});
 * {@code -De2e.kvm=N} (or {@code rdma}, {@code gru}) gives one driver N engines.
 */
public final class EndToEnd {
    enum Mode {
        WORKLOAD, DEVICES, BOTH
    }

    record Sample(Mode mode, int round, double opsPerSecond, double accessesPerSecond, double faultsPerSecond,
            double retriesPerSecond, long violations) {
        String json() {
            return String.format(Locale.ROOT, "{\"mode\":\"%s\",\"round\":%d,\"ops\":%.1f,\"accesses\":%.1f,"
                    + "\"faults\":%.1f,\"retries\":%.1f,\"violations\":%d}", mode.name().toLowerCase(Locale.ROOT),
                    round, opsPerSecond, accessesPerSecond, faultsPerSecond, retriesPerSecond, violations);
        }
    }

    private static final long SEED = 1;
    private static final int THREADS = 2;
    private static final int PROCESSES = 4;
    private static final int FRAMES = 8192;
    private static final Duration WARM_UP = Duration.ofSeconds(2);
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger QUIET_CORE =
            java.util.logging.Logger.getLogger("org.mmunotifier.core.internal.notifier.NotifierCore");

    private EndToEnd() {
    }

    public static void main(String[] args) throws Exception {
        // The GRU driver keeps the seed's invalidate_page; under OSGi its bundle declares that
        // contract. Constructed directly here, the core would warn once per machine.
        QUIET_CORE.setLevel(java.util.logging.Level.SEVERE);
        Path out = args.length > 0 && !args[0].equals("-") ? Path.of(args[0]) : null;
        List<Mode> modes = java.util.Arrays.stream(System.getProperty("e2e.modes", "workload,devices,both").split(","))
                .map(m -> Mode.valueOf(m.trim().toUpperCase(Locale.ROOT))).toList();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Duration measure = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 10);
        int engines = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        PrintStream o = System.out;
        o.printf("end to end: %d rounds of %d s, %d engine(s) per driver, %d cores%n", rounds, measure.toSeconds(),
                engines, Runtime.getRuntime().availableProcessors());
        List<Sample> samples = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (Mode mode : modes) {
                Sample s = measure(mode, round, measure, engines);
                samples.add(s);
                o.printf(Locale.ROOT, "  round %d %-8s %,12.0f ops/s %,14.0f accesses/s %,10.0f faults/s %,9.0f retries/s"
                        + "  violations %d%n", round, mode, s.opsPerSecond, s.accessesPerSecond, s.faultsPerSecond,
                        s.retriesPerSecond, s.violations);
            }
        }
        if (out != null) {
            Files.write(out, samples.stream().map(Sample::json).toList());
        }
        if (samples.stream().anyMatch(s -> s.violations > 0)) {
            o.println("end to end: the oracle reported violations");
            System.exit(1);
        }
    }

    static Sample measure(Mode mode, int round, Duration measure, int engines) throws InterruptedException, IOException {
        try (Machine machine = new Machine(FRAMES, PageLayout.BITS_64)) {
            AllDrivers drivers = mode == Mode.WORKLOAD ? null : new AllDrivers(machine, engines, SEED);
            Workload workload = new Workload(machine, new Workload.Config(SEED, THREADS, PROCESSES, PROCESSES),
                    drivers != null ? drivers : new Workload.Listener() { });
            try {
                long ops;
                long[] before;
                long[] after;
                long nanos;
                if (mode == Mode.DEVICES) {
                    Thread.sleep(WARM_UP.toMillis());
                    before = work(drivers);
                    long t0 = System.nanoTime();
                    Thread.sleep(measure.toMillis());
                    after = work(drivers);
                    nanos = System.nanoTime() - t0;
                    ops = 0;
                } else {
                    workload.run(Long.MAX_VALUE, WARM_UP);
                    before = work(drivers);
                    Workload.Result r = workload.run(Long.MAX_VALUE, measure);
                    after = work(drivers);
                    nanos = r.nanos();
                    ops = r.total();
                }
                double s = nanos / 1e9;
                return new Sample(mode, round, ops / s, (after[0] - before[0]) / s, (after[1] - before[1]) / s,
                        (after[2] - before[2]) / s, machine.oracle().violationCount());
            } finally {
                workload.close();
                if (drivers != null) {
                    drivers.close();
                }
            }
        }
    }

    private static long[] work(AllDrivers drivers) {
        return drivers == null ? new long[3] : drivers.deviceWork();
    }
}
