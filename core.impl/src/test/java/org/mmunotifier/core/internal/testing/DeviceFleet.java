package org.mmunotifier.core.internal.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;

/**
 * A secondary MMU attached to every process a workload creates, and device threads accessing
 * the workload's regions through them at random while the workload runs: the torture of one
 * driver design. A device is detached (by its own teardown) before its process exits.
 */
public final class DeviceFleet implements Workload.Listener {

    /** One process's secondary MMU, as the fleet drives it. */
    public interface Device {
        /**
         * A device access to the page at {@code address}: through its own mapping, else a fault.
         *
         * @return whether the access happened (a lost race or an unmapped page does nothing)
         */
        boolean access(long address, boolean write, long value);

        /** Pages the device maps now. */
        int mapped();

        /** The driver's teardown before its process exits: no access after this returns. */
        default void detach() {
        }
    }

    /**
     * @param workload the workload's own result
     * @param accesses device accesses that happened
     * @param firstViolationMillis when the oracle recorded its first violation, from the start, or -1
     */
    public record Result(Workload.Result workload, long accesses, long firstViolationMillis) {
    }

    private final Machine machine;
    private final Function<Process, Device> attach;
    private final Map<Process, Device> live = new ConcurrentHashMap<>();
    private final List<Device> all = new CopyOnWriteArrayList<>();
    private final AtomicLong accesses = new AtomicLong();

    /** {@code attach} creates and registers a process's device, or returns null if it cannot. */
    public DeviceFleet(Machine machine, Function<Process, Device> attach) {
        this.machine = machine;
        this.attach = attach;
    }

    @Override
    public void spawned(Process p) {
        Device d;
        try {
            d = attach.apply(p);
        } catch (MmDeadException e) {
            return;
        }
        if (d != null) {
            all.add(d);
            live.put(p, d);
        }
    }

    @Override
    public void exiting(Process p) {
        Device d = live.remove(p);
        if (d != null) {
            d.detach();
        }
    }

    /** Every device the fleet attached, detached ones included. */
    public List<Device> devices() {
        return List.copyOf(all);
    }

    /**
     * Runs {@code w} for {@code budget} with {@code deviceThreads} threads accessing through the
     * devices; with {@code stopAtViolation}, stops as soon as the oracle records one.
     */
    public Result run(Workload w, int deviceThreads, long seed, Duration budget, boolean stopAtViolation)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        long start = System.nanoTime();
        AtomicLong firstViolation = new AtomicLong(-1);
        Thread[] threads = new Thread[deviceThreads];
        for (int i = 0; i < deviceThreads; i++) {
            long s = seed * 7919 + i;
            threads[i] = new Thread(() -> deviceLoop(s, stop), "device-" + i);
            threads[i].start();
        }
        Thread watcher = new Thread(() -> {
            while (!stop.get()) {
                if (firstViolation.get() < 0 && machine.oracle().violationCount() > 0) {
                    firstViolation.set((System.nanoTime() - start) / 1_000_000);
                    if (stopAtViolation) {
                        w.requestStop();
                    }
                }
                LockSupport.parkNanos(1_000_000);
            }
        }, "violation-watcher");
        watcher.start();
        try {
            return new Result(w.run(Long.MAX_VALUE, budget), accesses.get(), firstViolation.get());
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            watcher.join();
            if (firstViolation.get() < 0 && machine.oracle().violationCount() > 0) {
                firstViolation.set((System.nanoTime() - start) / 1_000_000);
            }
        }
    }

    private void deviceLoop(long seed, AtomicBoolean stop) {
        Random rnd = new Random(seed);
        while (!stop.get()) {
            Device[] devices = live.values().toArray(new Device[0]);
            if (devices.length == 0) {
                Thread.onSpinWait();
                continue;
            }
            Device d = devices[rnd.nextInt(devices.length)];
            long page = Workload.region(rnd.nextInt(Workload.REGIONS)) + rnd.nextInt(Workload.REGION_PAGES) * Addresses.PAGE_SIZE;
            if (d.access(page, rnd.nextBoolean(), rnd.nextLong())) {
                accesses.incrementAndGet();
            }
        }
    }
}
