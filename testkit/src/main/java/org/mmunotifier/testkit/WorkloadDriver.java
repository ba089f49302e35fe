package org.mmunotifier.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
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
    private final Map<Process, TestProcess> announced = new java.util.concurrent.ConcurrentHashMap<>();

    WorkloadDriver(TestMachine machine, long seed, int threads, int processes, Duration budget) {
        this.machine = machine;
        this.seed = seed;
        this.threads = threads;
        this.processes = processes;
        this.budget = budget;
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
        try {
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
            stop(engines, failure);
            w.close();
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new AssertionError("a device loop threw: " + f, f);
        }
        Map<String, Long> ops = new LinkedHashMap<>();
        r.counts().forEach((op, n) -> ops.put(op.name(), n));
        return new WorkloadRun(seed, ops, r.failed(), steps.sum(), r.nanos());
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
