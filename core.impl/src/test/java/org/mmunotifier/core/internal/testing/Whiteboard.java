package org.mmunotifier.core.internal.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;

/**
 * The core's process whiteboard in a unit test: tells one {@link ProcessListener} (a driver's
 * attach, say) of every process the workload spawns and exits, on the workload's thread, and lets
 * what it throws through. After each call it records, by pid, how many contexts the driver then
 * has on the process.
 */
public final class Whiteboard implements Workload.Listener {
    private final ProcessListener listener;
    private final ToIntFunction<Process> contextsOf;
    private final Map<Integer, Integer> attached = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> detached = new ConcurrentHashMap<>();

    /** Forwards to {@code listener}; the counts it records are all 0. */
    public Whiteboard(ProcessListener listener) {
        this(listener, p -> 0);
    }

    /** Forwards to {@code listener} and counts the contexts {@code driver} has on each process. */
    public Whiteboard(ProcessListener listener, DriverView<?> driver) {
        this(listener, p -> driver.contextsOn(p.mm()).size());
    }

    private Whiteboard(ProcessListener listener, ToIntFunction<Process> contextsOf) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.contextsOf = contextsOf;
    }

    @Override
    public void spawned(Process p) {
        listener.spawned(p.pid(), p.mm());
        attached.put(p.pid(), contextsOf.applyAsInt(p));
    }

    @Override
    public void exiting(Process p) {
        listener.exiting(p.pid(), p.mm());
        detached.put(p.pid(), contextsOf.applyAsInt(p));
    }

    /** By pid, the contexts the driver had on the process right after it was told of the spawn. */
    public Map<Integer, Integer> attached() {
        return Map.copyOf(attached);
    }

    /** By pid, the contexts the driver had on the process right after it was told of the exit. */
    public Map<Integer, Integer> detached() {
        return Map.copyOf(detached);
    }

    /**
     * At least {@code atLeast} processes were spawned, each had exactly one context once spawned,
     * every one of them exited, and none had a context left after.
     */
    public void assertOneContextPerProcessWhileItLived(int atLeast) {
        Map<Integer, Integer> spawned = attached();
        Map<Integer, Integer> exited = detached();
        assertTrue(spawned.size() >= atLeast && spawned.values().stream().allMatch(n -> n == 1), spawned.toString());
        assertEquals(spawned.keySet(), exited.keySet());
        assertTrue(exited.values().stream().allMatch(n -> n == 0), exited.toString());
    }

    /** Runs a workload told through this whiteboard, then exits all its processes. */
    public Workload.Result run(Machine machine, Workload.Config config, long maxOps, Duration budget)
            throws InterruptedException {
        return run(machine, config, maxOps, budget, () -> { }, () -> { });
    }

    /**
     * Runs a workload told through this whiteboard with the device's engines on (started after the
     * workload's first processes were spawned, stopped even if the run fails), then exits all its
     * processes.
     */
    public Workload.Result run(Machine machine, Workload.Config config, long maxOps, Duration budget,
            Runnable startDevice, Runnable stopDevice) throws InterruptedException {
        Workload w = new Workload(machine, config, this);
        Workload.Result r;
        startDevice.run();
        try {
            r = w.run(maxOps, budget);
        } finally {
            stopDevice.run();
        }
        w.close();
        return r;
    }

    /** A new process with the workload's memory layout, not announced to anyone. */
    public static Process mapped(Machine machine) {
        Process p = machine.spawn();
        Workload.mapRegions(p);
        return p;
    }

    /** A new process with the workload's memory layout, announced to {@code listener} as the core does. */
    public static Process spawn(Machine machine, ProcessListener listener) {
        Process p = mapped(machine);
        listener.spawned(p.pid(), p.mm());
        return p;
    }

    /**
     * Deactivates a driver under its attach listener: the registrations of a process spawned before
     * must be gone; the spawn of a new process is refused with an {@link IllegalStateException}
     * saying {@code refusal} and leaves no context and no registration; the exit of the first
     * process then finds nothing to do and does not complain.
     */
    public static void assertSpawnRefusedOnceDeactivated(Machine machine, ProcessListener attach,
            DriverView<?> driver, Runnable deactivate, String refusal) {
        Process before = spawn(machine, attach);
        deactivate.run();
        assertEquals(0, driver.registrationsOn(before.mm()), "deactivate left a context registered");
        Process p = mapped(machine);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> attach.spawned(p.pid(), p.mm()));
        assertEquals(refusal, e.getMessage());
        assertEquals(List.of(), driver.contexts().get());
        assertEquals(0, driver.registrationsOn(p.mm()));
        attach.exiting(before.pid(), before.mm()); // nothing left: no complaint
    }
}
