package org.mmunotifier.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;

/** One {@link TestMachine#runWorkload}: the workload, its processes announced, and the device loops beside it. */
final class WorkloadDriver implements Workload.Listener {
    /** How long a device loop may take to notice the end of the run before the run fails naming it. */
    private static final long STOP_MILLIS = 10_000;

    private final TestMachine machine;
    private final long seed;
    private final int threads;
    private final int processes;
    private final Duration budget;
    private final boolean stopAtProblem;
    private final Map<Process, TestProcess> announced = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code stopAtProblem}: ends the run as soon as the machine has a problem (see {@link TestMachine#problemCount()}). */
    WorkloadDriver(TestMachine machine, long seed, int threads, int processes, Duration budget, boolean stopAtProblem) {
        this.machine = machine;
        this.seed = seed;
        this.threads = threads;
        this.processes = processes;
        this.budget = budget;
        this.stopAtProblem = stopAtProblem;
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

    WorkloadRun run(List<DeviceLoop> devices) {
        Workload w = new Workload(machine.machine(), new Workload.Config(seed, threads, processes, 2), this);
        LongAdder steps = new LongAdder();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> engines = new ArrayList<>();
        Workload.Result r;
        long start = System.nanoTime();
        ProblemWatch watch = new ProblemWatch(w, start);
        try {
            watch.start();
            for (int i = 0; i < devices.size(); i++) {
                DeviceLoop loop = devices.get(i);
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
                        w.requestStop();
                    }
                }, "device loop " + i);
                t.setDaemon(true);
                engines.add(t);
                t.start();
            }
            r = w.run(Long.MAX_VALUE, budget);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the workload ran", e);
        } finally {
            watch.finish();
            stop(engines, failure);
            w.close();
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
        private final Workload workload;
        private final long start;
        private final long before = machine.problemCount();
        private volatile boolean done;
        volatile long firstNanos = -1;

        ProblemWatch(Workload workload, long start) {
            super("problem watch");
            setDaemon(true);
            this.workload = workload;
            this.start = start;
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
    private static void stop(List<Thread> engines, AtomicReference<Throwable> failure) {
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
