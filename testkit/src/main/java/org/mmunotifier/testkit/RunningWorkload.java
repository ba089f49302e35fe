package org.mmunotifier.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;

/**
 * The seeded workload running on threads of its own ({@link TestMachine#startWorkload}), its
 * processes announced to the machine's listeners, with device loops beside it: act on it while
 * it runs, then {@link #join()}.
 */
public final class RunningWorkload implements Workload.Listener {
    /** How long a device loop may take to notice the end of the run before the run fails naming it. */
    private static final long STOP_MILLIS = 10_000;

    private final TestMachine machine;
    private final long seed;
    private final Map<Process, TestProcess> announced = new ConcurrentHashMap<>();
    private final LongAdder steps = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> engines = new ArrayList<>();
    private final Workload workload;
    private final Workload.Running run;
    private final List<TestProcess> initial;
    private final Runnable beforeExit;
    private final ProblemWatch watch;

    /** {@code stopAtProblem}: ends the run as soon as the machine has a problem (see {@link TestMachine#problemCount()}). */
    RunningWorkload(TestMachine machine, long seed, int threads, int processes, long maxOps, java.time.Duration budget,
            List<DeviceLoop> devices, Runnable beforeExit, boolean stopAtProblem) {
        this.machine = machine;
        this.seed = seed;
        this.beforeExit = beforeExit;
        this.workload = new Workload(machine.machine(), new Workload.Config(seed, threads, processes, 2), this);
        this.initial = List.copyOf(announced.values().stream()
                .sorted((a, b) -> Integer.compare(a.pid(), b.pid())).toList());
        for (int i = 0; i < devices.size(); i++) {
            engines.add(engine(devices.get(i), i));
        }
        this.watch = new ProblemWatch(stopAtProblem);
        watch.start();
        engines.forEach(Thread::start);
        this.run = workload.start(maxOps, budget);
    }

    private Thread engine(DeviceLoop loop, int i) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
        Thread t = new Thread(() -> {
            try {
                while (failure.get() == null && !Thread.currentThread().isInterrupted()) {
                    loop.step(random);
                    steps.increment();
                }
            } catch (InterruptedException e) {
                // the run is over
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                workload.requestStop();
            }
        }, "device loop " + i);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void spawned(Process p) {
        announced.put(p, machine.announce(p, false));
    }

    @Override
    public void exiting(Process p) {
        TestProcess t = announced.remove(p);
        if (t != null) {
            machine.exiting(t);
        }
    }

    /** The processes the workload started with (forked children come and go). */
    public List<TestProcess> processes() {
        return initial;
    }

    /** Asks the workload to stop after the operations in progress. */
    public void requestStop() {
        workload.requestStop();
    }

    /**
     * Waits for the run's end (its budget, its operation count, or a device loop that threw),
     * stops the device loops, exits the workload's processes, and says what ran.
     *
     * @throws AssertionError if a device loop threw, or did not stop within 10 s of the end
     */
    public WorkloadRun join() {
        Workload.Result r;
        try {
            r = run.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the workload ran", e);
        } finally {
            watch.finish();
            try {
                stopEngines();
                beforeExit.run();
            } finally {
                workload.close();
            }
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new AssertionError("a device loop threw: " + f, f);
        }
        Map<String, Long> ops = new LinkedHashMap<>();
        r.counts().forEach((op, n) -> ops.put(op.name(), n));
        return new WorkloadRun(seed, ops, r.failed(), steps.sum(), r.nanos(), watch.firstNanos);
    }

    /**
     * Polls the machine's problems every millisecond while the run lasts: notes when the first one
     * came (to the millisecond), and with {@code stopAtProblem} asks the workload to stop then.
     */
    private final class ProblemWatch extends Thread {
        private final boolean stopAtProblem;
        private final long start = System.nanoTime();
        private final long before = machine.problemCount();
        private volatile boolean done;
        volatile long firstNanos = -1;

        ProblemWatch(boolean stopAtProblem) {
            super("problem watch");
            setDaemon(true);
            this.stopAtProblem = stopAtProblem;
        }

        @Override
        public void run() {
            while (!done && firstNanos < 0) {
                check();
                LockSupport.parkNanos(1_000_000);
            }
        }

        private void check() {
            if (firstNanos < 0 && machine.problemCount() > before) {
                firstNanos = System.nanoTime() - start;
                if (stopAtProblem) {
                    workload.requestStop();
                }
            }
        }

        /** The run is over: one last look (a problem in its last millisecond), then the thread ends. */
        void finish() {
            done = true;
            boolean interrupted = false;
            while (isAlive()) {
                try {
                    join();
                } catch (InterruptedException e) {
                    interrupted = true; // it ends within a millisecond: wait, and keep the status
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            check();
        }
    }

    /** Interrupts the loops and waits for each, boundedly: a loop stuck in the driver fails the run, named. */
    private void stopEngines() {
        engines.forEach(Thread::interrupt);
        long deadline = System.currentTimeMillis() + STOP_MILLIS;
        for (Thread t : engines) {
            try {
                t.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                StringBuilder where = new StringBuilder();
                for (StackTraceElement e : t.getStackTrace()) {
                    where.append("\n    at ").append(e);
                }
                throw new AssertionError(t.getName() + " did not stop within " + STOP_MILLIS + " ms of the run's end;"
                        + " it is at:" + where);
            }
        }
    }
}
