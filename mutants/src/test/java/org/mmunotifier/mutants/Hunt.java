package org.mmunotifier.mutants;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;
import org.mmunotifier.testkit.WorkloadRun;

/**
 * One run of the catalogue's scenario for one driver, with one bug planted or none: a fresh
 * machine, the driver attached (its engines running) to a long-lived process and to every process
 * of the workload, the workload (2 threads over 3 processes, forking, exiting, OOM-killing) with
 * the adversary racing device faults and stalling invalidations, all from one seed; then the
 * driver's deactivation and the kit's {@link TestMachine#stopDriver()}.
 *
 * <p>{@link #run()} returns as soon as the kit reports a problem: while the workload runs (it is
 * stopped within a millisecond of the oracle's first violation, a fault or a stall), else after
 * the stop (a registration left behind, a call after the stop, a frame leaked). Nothing in it
 * waits without a bound: the workload has its budget, the driver's engines and grace periods
 * their give-up times.
 *
 * <p>{@link #hunt(Mutant)} hunts one mutant: one run for a bug the workload shows, else short runs
 * on fresh machines, each ended by a stop (a driver swapped over and over, as the launcher's
 * {@code hotswap} scenario does), until one shows it or {@link #BOUND} has passed: whether a
 * {@code put}'s free is still pending when the driver stops is a race the stop usually wins, not
 * always (in Linux too: the free runs once a grace period has passed).
 */
public final class Hunt implements AutoCloseable {
    /** The seed of every run: each workload thread's operations, each device loop's and the adversary's choices. */
    public static final long SEED = 1;
    /** A mutant must be caught within this, from the start of the workload. */
    public static final Duration BOUND = Duration.ofSeconds(5);
    /** How long the workload runs before each stop, for a bug that only the stop can show. */
    public static final Duration BEFORE_STOP = Duration.ofMillis(200);
    /** How long a correct driver runs: longer than any mutant of the catalogue takes to be caught. */
    public static final Duration CORRECT_RUN = Duration.ofSeconds(2);
    static final int THREADS = 2;
    static final int PROCESSES = 3;
    /** The adversary: the share of device faults it races, and of invalidations it stalls. */
    static final double FAULT_RACE = 0.3;
    static final double STALL = 0.25;
    private static final Pattern FIRST_RULE = Pattern.compile("The first violation's report:\\s+violation #\\d+: (\\w+) by");

    /**
     * What a run showed.
     *
     * @param failures each check the kit failed, with its message (empty: a clean run)
     * @param nanos when the first problem was seen, from the start of the workload (while it ran:
     *        to the millisecond; after the stop: when the stop's checks ended); for a clean run, the
     *        whole run
     * @param run the workload's own account (of the last run)
     * @param accesses the device accesses the driver made (in the last run)
     * @param runs how many runs it took ({@link #hunt(Mutant)}), each on a fresh machine
     */
    public record Outcome(Map<Check, String> failures, long nanos, WorkloadRun run, long accesses, int runs) {
        public Outcome {
            EnumMap<Check, String> copy = new EnumMap<>(Check.class);
            copy.putAll(failures);
            failures = Collections.unmodifiableMap(copy);
        }

        public boolean caught() {
            return !failures.isEmpty();
        }

        public long millis() {
            return nanos / 1_000_000;
        }

        /** The rule the first violation broke, as the kit's failure names it, or null if there was none. */
        public String firstRule() {
            String f = failures.get(Check.COHERENT);
            if (f == null) {
                return null;
            }
            Matcher m = FIRST_RULE.matcher(f);
            return m.find() ? m.group(1) : null;
        }
    }

    /** The mutant planted, or null for the correct driver. */
    private final Mutant mutant;
    private final TestMachine machine;
    private final Rig rig;
    private final List<DeviceLoop> loops;
    private final Duration budget;
    private boolean stopped;
    private long started;

    private Hunt(Driver driver, Mutant mutant, Duration budget) {
        this.mutant = mutant;
        this.machine = driver.machine();
        this.rig = driver.rig();
        this.budget = budget;
        try {
            this.loops = rig.start(machine, mutant == null ? Rig.NONE : mutant.knob);
            machine.spawnDemo(); // lives through the run: the stop finds the driver's contexts on it
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Hunts {@code mutant}: runs its driver with the bug planted until the kit reports a problem,
     * or {@link #BOUND} has passed. A bug the workload shows gets one run of at most the bound; a
     * bug only a stop shows gets runs of {@link #BEFORE_STOP}, each on a fresh machine and ended by
     * a stop, one after the other. The time to catch counts from the start of the first run's
     * workload, and includes the making of each machine after it.
     */
    public static Outcome hunt(Mutant mutant) {
        try (Hunt first = of(mutant)) {
            return first.hunt();
        }
    }

    /** The first run of {@code mutant}'s hunt, its machine made and its driver attached: {@link #hunt(Mutant)} it. */
    public static Hunt of(Mutant mutant) {
        return new Hunt(mutant.driver, mutant, mutant.check.whileRunning ? BOUND : BEFORE_STOP);
    }

    /** Hunts its mutant from this first run on (see {@link #hunt(Mutant)}); closes the runs it makes after this one. */
    public Outcome hunt() {
        Outcome o = run();
        for (int runs = 2; !o.caught() && o.nanos() < BOUND.toNanos(); runs++) {
            try (Hunt next = of(mutant)) {
                Outcome n = next.run();
                o = new Outcome(n.failures(), next.started - started + n.nanos(), n.run(), n.accesses(), runs);
            }
        }
        return o;
    }

    /** The same run of the correct {@code driver}, for {@link #CORRECT_RUN}. */
    public static Hunt correct(Driver driver) {
        return new Hunt(driver, null, CORRECT_RUN);
    }

    public TestMachine machine() {
        return machine;
    }

    /** Runs the workload until the kit reports a problem or the budget ends, then (if none yet) stops the driver. */
    public Outcome run() {
        long start = System.nanoTime();
        started = start;
        machine.adversary(FAULT_RACE, STALL, SEED);
        WorkloadRun run = machine.runWorkloadUntilProblem(SEED, THREADS, PROCESSES, budget,
                loops.toArray(new DeviceLoop[0]));
        machine.adversary(0, 0, SEED);
        Map<Check, String> failures = failures(true);
        if (!failures.isEmpty()) {
            long at = run.firstProblemNanos() >= 0 ? run.firstProblemNanos() : System.nanoTime() - start;
            return new Outcome(failures, at, run, rig.accesses(), 1);
        }
        stop();
        failures = failures(false);
        return new Outcome(failures, System.nanoTime() - start, run, rig.accesses(), 1);
    }

    /** The failing checks: those that can fail while the workload runs, or all of them. */
    private Map<Check, String> failures(boolean whileRunning) {
        Map<Check, String> failures = new EnumMap<>(Check.class);
        for (Check c : Check.values()) {
            if (c.whileRunning || !whileRunning) {
                String f = c.failure(machine);
                if (f != null) {
                    failures.put(c, f);
                }
            }
        }
        return failures;
    }

    /** The driver's deactivation, then the kit's stop (what its bundle left is taken back). */
    private void stop() {
        if (!stopped) {
            stopped = true;
            try {
                rig.stop();
            } finally {
                machine.stopDriver();
            }
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            machine.close();
        }
    }
}
