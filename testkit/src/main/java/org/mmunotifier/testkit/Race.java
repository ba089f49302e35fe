package org.mmunotifier.testkit;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A small race for one driver: a fresh machine, the driver set up on it, and a few actors (2 to 4
 * threads), each running its steps in order (primary operations, device accesses through the
 * driver), all started together and joined within a bound; then the oracle's verdict. Made to be
 * run over and over, by a test that repeats it or by a controlled scheduler that explores its
 * interleavings (the {@code explore} module runs it under Fray):
 *
 * <pre>{@code
 * record Rig(TestProcess p, Mirror mirror) {}
 *
 * Race.of(TestMachine.settings().driver("com.example.mirror"), m -> {
 *         TestProcess p = m.spawnDemo();
 *         p.write(BASE, 1);
 *         return new Rig(p, new Mirror(p.mm(), BASE, 1, m.oracle()));
 *     })
 *     .actor("primary", r -> r.p().madviseDontNeed(BASE, 4096))
 *     .actor("device", r -> r.mirror().access(BASE, false, 0), r -> r.mirror().access(BASE, true, 7))
 *     .assertCoherent();
 * }</pre>
 *
 * <p>A failed verdict names every violation, with the first one's whole report (the rule, the
 * address, the access's stack, the fault that made the translation, the invalidations since), the
 * actors' exceptions and the faults the driver's callbacks threw; then, if the system property
 * {@value #REPLAY_PROPERTY} is set (a controlled scheduler sets it), its text: how to replay this
 * interleaving.
 *
 * <p>Each run makes its own machine and closes it before returning, every process exited: a
 * controlled scheduler ends an iteration only once every thread it saw start has ended. For the
 * same reason run such a JVM with {@code -Dmmunotifier.watchdog=off}: the stall watchdog samples
 * from a thread that never ends.
 *
 * @param <D> what the setup returns for the steps: the driver, the processes they work on
 */
public final class Race<D> {
    /** The system property whose text a failed verdict ends with: how to run that interleaving again. */
    public static final String REPLAY_PROPERTY = "mmunotifier.testkit.replay";

    /** One step of an actor. Anything it throws ends that actor and fails the race. */
    @FunctionalInterface
    public interface Step<D> {
        void run(D rig) throws Exception;
    }

    private record Actor<D>(String name, List<Step<D>> steps) {
    }

    private final TestMachine.Settings settings;
    private final Function<TestMachine, D> setup;
    private final List<Actor<D>> actors = new ArrayList<>();
    private Duration bound = Duration.ofSeconds(10);

    private Race(TestMachine.Settings settings, Function<TestMachine, D> setup) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.setup = Objects.requireNonNull(setup, "setup");
    }

    /**
     * A race on a machine made to {@code settings}, fresh for every run, on which {@code setup}
     * (run on the caller's thread before any actor starts) spawns the processes and sets the driver
     * up, returning what the steps work on.
     */
    public static <D> Race<D> of(TestMachine.Settings settings, Function<TestMachine, D> setup) {
        return new Race<>(settings, setup);
    }

    /** An actor: a thread named {@code name} running {@code steps} in order. At most 4 actors. */
    @SafeVarargs
    public final Race<D> actor(String name, Step<D>... steps) {
        if (actors.size() == 4) {
            throw new IllegalStateException("a race has at most 4 actors");
        }
        if (steps.length == 0) {
            throw new IllegalArgumentException("actor " + name + " has no step");
        }
        List<Step<D>> list = new ArrayList<>();
        for (Step<D> s : steps) {
            list.add(Objects.requireNonNull(s, "step"));
        }
        actors.add(new Actor<>(Objects.requireNonNull(name, "name"), List.copyOf(list)));
        return this;
    }

    /** How long the actors may take together (10 s unless set): one still running then fails the race. */
    public Race<D> within(Duration bound) {
        if (bound.isNegative() || bound.isZero()) {
            throw new IllegalArgumentException("the bound must be positive, not " + bound);
        }
        this.bound = bound;
        return this;
    }

    /** Runs the race once, on a fresh machine, and returns what the oracle and the actors saw. */
    public Outcome run() {
        if (actors.size() < 2) {
            throw new IllegalStateException("a race needs at least 2 actors, has " + actors.size());
        }
        TestMachine machine = TestMachine.create(settings);
        boolean hung = false;
        try {
            D rig = setup.apply(machine);
            String[] failed = new String[actors.size()];
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < actors.size(); i++) {
                int a = i;
                threads.add(new Thread(() -> failed[a] = play(actors.get(a), rig), actors.get(a).name()));
            }
            threads.forEach(Thread::start);
            List<String> failures = new ArrayList<>();
            long deadline = System.nanoTime() + bound.toNanos();
            for (int i = 0; i < threads.size(); i++) {
                Thread t = threads.get(i);
                join(t, deadline);
                if (t.isAlive()) {
                    failures.add("actor " + t.getName() + " did not finish within " + bound + ":"
                            + stack(t.getStackTrace()));
                    t.interrupt();
                    join(t, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                    hung |= t.isAlive();
                } else if (failed[i] != null) {
                    failures.add(failed[i]);
                }
            }
            failures.addAll(machine.faults());
            return new Outcome(describe(), machine.violations(), machine.violationReports(), failures);
        } finally {
            if (!hung) { // an actor stuck in the driver would keep the exits waiting
                machine.close();
            }
        }
    }

    /**
     * Runs the race once and fails unless the oracle saw no violation, no actor threw or hung and
     * no callback of the driver threw. The verdict is thrown on the caller's thread, after every
     * actor has ended.
     */
    public void assertCoherent() {
        Outcome o = run();
        if (!o.isClean()) {
            throw new AssertionError(o.message());
        }
    }

    private static String play(Actor<?> actor, Object rig) {
        @SuppressWarnings("unchecked")
        List<Step<Object>> steps = (List<Step<Object>>) (List<?>) actor.steps();
        for (int i = 0; i < steps.size(); i++) {
            try {
                steps.get(i).run(rig);
            } catch (Throwable e) {
                StringWriter w = new StringWriter();
                e.printStackTrace(new PrintWriter(w));
                return "actor " + actor.name() + " step " + (i + 1) + " threw " + w;
            }
        }
        return null;
    }

    private static void join(Thread t, long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String stack(StackTraceElement[] stack) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : stack) {
            b.append("\n    at ").append(e);
        }
        return b.toString();
    }

    private String describe() {
        return "race of " + actors.stream().map(a -> a.name() + " (" + a.steps().size() + " step"
                + (a.steps().size() == 1 ? "" : "s") + ")").collect(Collectors.joining(", "));
    }

    /** What one run saw. */
    public static final class Outcome {
        private final String race;
        private final List<String> violations;
        private final List<String> reports;
        private final List<String> failures;

        Outcome(String race, List<String> violations, List<String> reports, List<String> failures) {
            this.race = race;
            this.violations = List.copyOf(violations);
            this.reports = List.copyOf(reports);
            this.failures = List.copyOf(failures);
        }

        /** The oracle's violations, one line each, oldest first. */
        public List<String> violations() {
            return violations;
        }

        /** Their whole reports ({@link TestMachine#violationReports()}). */
        public List<String> reports() {
            return reports;
        }

        /** Actors that threw or hung, and faults the driver's callbacks threw into the core. */
        public List<String> failures() {
            return failures;
        }

        public boolean isClean() {
            return violations.isEmpty() && failures.isEmpty();
        }

        /**
         * The verdict: the race, its violations and failures, the first violation's report, and
         * how to replay it ({@value #REPLAY_PROPERTY}) if a scheduler said.
         */
        public String message() {
            StringBuilder b = new StringBuilder(race).append(": ").append(violations.size()).append(" violation")
                    .append(violations.size() == 1 ? "" : "s").append(", ").append(failures.size()).append(" failure")
                    .append(failures.size() == 1 ? "" : "s");
            for (String s : violations) {
                b.append("\n  ").append(s);
            }
            for (String s : failures) {
                b.append("\n  ").append(s);
            }
            if (!reports.isEmpty()) {
                b.append("\n\nThe first violation's report:\n\n").append(reports.get(0));
            }
            String replay = System.getProperty(REPLAY_PROPERTY);
            if (replay != null && !replay.isBlank()) {
                b.append("\n\n").append(replay);
            }
            return b.toString();
        }

        @Override
        public String toString() {
            return message();
        }
    }
}
