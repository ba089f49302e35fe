package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import kotlin.Unit;
import org.jetbrains.kotlinx.lincheck.runner.LambdaRunner;
import org.jetbrains.kotlinx.lincheck.runner.LambdaRunnerKt;
import org.jetbrains.kotlinx.lincheck.runner.Runner;
import org.jetbrains.kotlinx.lincheck.strategy.LincheckFailure;
import org.jetbrains.kotlinx.lincheck.strategy.Strategy;
import org.jetbrains.kotlinx.lincheck.strategy.StrategyKt;
import org.jetbrains.kotlinx.lincheck.strategy.managed.ManagedStrategySettings;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.LincheckKt;
import org.jetbrains.lincheck.NoExceptionVerifier;
import org.jetbrains.lincheck.datastructures.ModelCheckingCTestConfiguration;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.jvm.agent.LincheckInstrumentation;
import org.jetbrains.lincheck.trace.TraceContext;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.mm.Process;

/**
 * Lincheck model checking of a hand-pinned race: {@link #run} explores the interleavings of the
 * threads {@code scenario} starts (with {@link #race}) and fails with Lincheck's report, the
 * interleaving included, on the first one in which {@code scenario} throws.
 *
 * <p>Everything an invocation depends on (the machine, the process, the registrations) is made
 * inside {@code scenario}, so it is inside the analysed code and fresh for every interleaving.
 * Pass the test's own lambda: Lincheck instruments the class of the object it is given, and a
 * wrapper made here left the test's code uninstrumented (races not found, false hangs).
 *
 * <p>Why not the data-structure API ({@code @Operation}, custom scenarios): with Lincheck 3.7, a
 * {@code ConcurrentHashMap} created in the analysed code (the {@code Machine} has one) made every
 * replay of an interleaving fail ("Cannot reproduce the interleaving"), and the check then passed
 * without having explored anything. {@code Lincheck.runConcurrentTest} does not have that problem
 * but has no knob for the hang timeout (30 s per invocation), so {@link #run} is what
 * {@code runConcurrentTest} does in 3.7, with a longer timeout and loop settings of our own.
 */
final class ModelCheck {
    /**
     * Lincheck's hang detection, per invocation. The first invocation also instruments every class
     * it loads, which takes tens of seconds on a loaded 2-core machine.
     */
    static final long HANG_TIMEOUT_MS = 300_000;
    /**
     * Iterations of one loop before Lincheck takes it for a spin lock and switches threads
     * (default 10). Exit walks the machine's process table (16 buckets); a forced switch there
     * lets the other threads run on and hides the races after it.
     */
    static final int LOOP_ITERATIONS_BEFORE_SWITCH = 32;
    /**
     * Iterations of one loop before Lincheck reports a livelock (default 50, less than two rounds
     * of the above): a grace period spins on a reader's slot while the reader is switched out.
     */
    static final int LOOP_BOUND = 500;

    private ModelCheck() {
    }

    /** Model-checks {@code scenario} for at most {@code invocations} interleavings. */
    static void run(int invocations, Runnable scenario) {
        ModelCheckingOptions options = new ModelCheckingOptions();
        options.analyzeStdLib$lincheck(true); // as runConcurrentTest: JDK locks and latches are modelled
        options.invocationTimeout$lincheck(HANG_TIMEOUT_MS);
        options.loopIterationsBeforeThreadSwitch(LOOP_ITERATIONS_BEFORE_SWITCH);
        options.loopBound(LOOP_BOUND);
        ModelCheckingCTestConfiguration config = options.createTestConfigurations(scenario.getClass());
        LincheckKt.withLincheckTestContext(config.getInstrumentationMode$lincheck(), () -> {
            LincheckInstrumentation.INSTANCE.ensureObjectIsTransformed(scenario);
            LambdaRunner<Unit> runner = LambdaRunnerKt.LambdaRunner(config.getTimeoutMs(), scenario);
            try (Strategy strategy = modelCheckingStrategy(runner, config)) {
                runner.initializeStrategy(strategy);
                LincheckFailure failure = StrategyKt.runIteration(strategy, invocations, new NoExceptionVerifier());
                if (failure != null) {
                    throw new LincheckAssertionError(failure);
                }
            }
            return Unit.INSTANCE;
        });
    }

    /**
     * {@code new ModelCheckingStrategy(runner, settings, false, context)}, reflectively: its
     * supertypes include a class of Lincheck's bootstrap jar, which is not on the compile path.
     */
    private static Strategy modelCheckingStrategy(Runner runner, ModelCheckingCTestConfiguration config) {
        try {
            Class<?> c = Class.forName("org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingStrategy");
            return (Strategy) c.getConstructor(Runner.class, ManagedStrategySettings.class, boolean.class,
                    TraceContext.class).newInstance(runner, config.createSettings$lincheck(), false,
                            LincheckInstrumentation.INSTANCE.getContext());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Lincheck's model checker changed; ModelCheck follows Lincheck 3.7", e);
        }
    }

    /**
     * Runs each actor on a thread of its own, waits for all of them, and rethrows the first thing
     * one of them threw. Call from inside a {@link #run} scenario: Lincheck schedules these threads.
     *
     * <p>A thread that has finished its actor stays alive until every actor has finished: the
     * read side ({@link Srcu}) asks {@code isAlive()} of other threads when a thread enters its
     * first section, and for a thread the model has finished that answer is not deterministic
     * (the real thread may not have exited yet), which Lincheck reports as non-determinism or a
     * hang. Holding the threads at the end rather than the start leaves the race itself alone.
     */
    static void race(Runnable... actors) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch finished = new CountDownLatch(actors.length);
        List<Thread> threads = new ArrayList<>();
        for (Runnable actor : actors) {
            threads.add(new Thread(() -> {
                try {
                    actor.run();
                } catch (Throwable t) {
                    thrown.compareAndSet(null, t);
                } finally {
                    finished.countDown();
                    awaitUninterruptibly(finished);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        Throwable t = thrown.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new AssertionError(t);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // only Lincheck could interrupt; the latch opens once every actor is done
            }
        }
    }

    /** One invocation's world: a small machine with one live process, and the contract it checks. */
    static class World {
        final Machine machine = new Machine(4, PageLayout.BITS_64); // loops under Lincheck's spin-loop threshold
        final NotifierCore core = machine.notifierCore();
        final Process process = machine.spawn();
        final Mm mm = process.mm();
        final Contract contract = new Contract();
        /** Calls of release, for the notifiers that count theirs here. */
        final AtomicInteger releases = new AtomicInteger();

        /** Release exactly once per registration (invariant 3). */
        void expectReleasedOnce(String when) {
            contract.expect(releases.get() == 1, when + ": release ran " + releases.get() + " times, not once");
        }
    }

    /**
     * The promises a scenario checks. Notifier callbacks cannot fail the scenario by throwing (the
     * core isolates what a driver throws), so they record what they saw here; {@link #verify()}
     * fails the invocation with every broken promise.
     */
    static final class Contract {
        private final List<String> broken = new CopyOnWriteArrayList<>();

        void expect(boolean holds, String promise) {
            if (!holds) {
                broken.add(promise);
            }
        }

        void verify() {
            if (!broken.isEmpty()) {
                throw new AssertionError("contract broken: " + String.join("; ", broken));
            }
        }
    }
}
