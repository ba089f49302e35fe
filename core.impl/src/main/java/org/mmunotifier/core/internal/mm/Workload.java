package org.mmunotifier.core.internal.mm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.InvalidRangeException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * A seeded mix of primary-MMU operations on a pool of processes, run by several threads until a
 * count or a deadline: CPU reads and writes, mmap/munmap, madvise, mprotect, mremap, fork and
 * exit of children, reclaim and migration. Each thread draws its operations from its own
 * {@code Random(seed, thread)}, so the sequence a thread performs is reproducible; how threads
 * interleave is not.
 *
 * <p>Every process has {@value #REGIONS} regions of {@link #REGION_PAGES} pages at fixed addresses
 * (even ones private, odd ones shared). Operations that lose a race with another thread (the
 * region was just unmapped, the process just exited) fail the way they would in Linux and are
 * counted, not hidden.
 */
public final class Workload {
    public static final int REGIONS = 4;
    public static final int REGION_PAGES = 32;
    static final long REGION_BASE = 0x4000_0000L;
    static final long REGION_STRIDE = 0x1000_0000L;
    static final long SPARE_OFFSET = 0x0800_0000L; // where mremap moves a region to and back from

    /**
     * The operations and their weights in the mix: every kind of invalidation the primary makes
     * (the kernel's {@code mmu_notifier_event}s), and exits both plain and by the OOM killer, whose
     * reaper unmaps a victim's private memory with a non-blockable invalidation before it exits.
     */
    public enum Op {
        READ(30), WRITE(30), MADVISE(4), REMAP_REGION(4), MPROTECT(4), PROT_NONE(2), MREMAP(3), FORK(2), EXIT(2),
        OOM_KILL(1), RECLAIM(6), MIGRATE(6), SOFT_DIRTY(1), AGE_SCAN(2), EXCLUSIVE(2);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }
    }

    /** What the workload tells the outside about processes (drivers attach and detach here). */
    public interface Listener {
        default void spawned(Process p) {
        }

        default void exiting(Process p) {
        }
    }

    /**
     * @param seed the seed of every thread's operation stream
     * @param threads threads issuing operations
     * @param processes processes created at the start (they live until {@link #close()})
     * @param maxChildren forked children alive at once, at most
     */
    public record Config(long seed, int threads, int processes, int maxChildren) {
        public Config {
            if (threads < 1 || processes < 1 || maxChildren < 0) {
                throw new IllegalArgumentException("workload needs threads >= 1, processes >= 1 and maxChildren >= 0, not "
                        + threads + ", " + processes + ", " + maxChildren);
            }
        }
    }

    private static final Op[] WHEEL = wheel();

    private final Machine machine;
    private final Config config;
    private final Listener listener;
    private final List<Process> initial = new ArrayList<>();
    private final List<Process> pool = new CopyOnWriteArrayList<>();
    private final List<Process> children = new CopyOnWriteArrayList<>();
    private int forking; // children being forked, guarded by children
    private final Map<Op, LongAdder> done = new EnumMap<>(Op.class);
    private final LongAdder failed = new LongAdder();
    private volatile boolean stopRequested;

    public Workload(Machine machine, Config config, Listener listener) {
        this.machine = machine;
        this.config = config;
        this.listener = listener;
        for (Op op : Op.values()) {
            done.put(op, new LongAdder());
        }
        for (int i = 0; i < config.processes(); i++) {
            Process p = machine.spawn();
            mapRegions(p);
            initial.add(p);
            pool.add(p);
            listener.spawned(p);
        }
    }

    /** Maps the workload's regions into a new process: even ones private, odd ones shared. */
    public static void mapRegions(Process p) {
        for (int r = 0; r < REGIONS; r++) {
            p.mm().mmap(region(r), REGION_PAGES * Addresses.PAGE_SIZE, Vma.PROT_READ | Vma.PROT_WRITE, r % 2 == 1);
        }
    }

    /** Asks every run in progress to stop after its current operations. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Operations done so far, by every run. */
    public long opsDone() {
        long n = 0;
        for (LongAdder a : done.values()) {
            n += a.sum();
        }
        return n;
    }

    /** Where region {@code r} of every workload process starts. */
    public static long region(int r) {
        return REGION_BASE + r * REGION_STRIDE;
    }

    /** Runs until {@code maxOps} operations were issued or {@code budget} has passed. */
    public Result run(long maxOps, Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong issued = new AtomicLong(); // per run: a workload can be run again
        Map<Op, Long> before = new EnumMap<>(Op.class);
        done.forEach((op, n) -> before.put(op, n.sum()));
        long failedBefore = failed.sum();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> crashes = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < config.threads(); t++) {
            Random rnd = new Random(config.seed() * 1_000_003L + t);
            Thread th = new Thread(() -> {
                try {
                    while (!stop.get() && !stopRequested && issued.incrementAndGet() <= maxOps && System.nanoTime() < deadline) {
                        step(rnd);
                    }
                } catch (Throwable e) {
                    crashes.add(e);
                    stop.set(true);
                }
            }, "workload-" + t);
            th.setDaemon(true); // a thread stuck in a driver's callback must not keep the JVM alive
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        long elapsed = System.nanoTime() - start;
        if (!crashes.isEmpty()) {
            IllegalStateException e = new IllegalStateException("workload thread crashed: " + crashes.get(0), crashes.get(0));
            crashes.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        Map<Op, Long> counts = new EnumMap<>(Op.class);
        done.forEach((op, n) -> counts.put(op, n.sum() - before.get(op)));
        return new Result(counts, failed.sum() - failedBefore, elapsed);
    }

    /** A run in the background, from {@link #start}. */
    public final class Running {
        private final Thread thread;
        private volatile Result result;
        private volatile Throwable failure;

        private Running(long maxOps, Duration budget) {
            thread = new Thread(() -> {
                try {
                    result = run(maxOps, budget);
                } catch (Throwable t) {
                    failure = t;
                }
            }, "workload-runner");
            thread.setDaemon(true);
            thread.start();
        }

        /**
         * Waits for the run to finish and returns its result.
         *
         * @throws IllegalStateException if a workload thread crashed
         */
        public Result join() throws InterruptedException {
            thread.join();
            return result();
        }

        /**
         * Waits at most {@code timeout} for the run to finish.
         *
         * @return its result, or null if a workload thread is still stuck (in a driver's callback,
         *         or waiting for a lock one holds)
         * @throws IllegalStateException if a workload thread crashed
         */
        public Result join(Duration timeout) throws InterruptedException {
            thread.join(Math.max(1, timeout.toMillis()));
            return thread.isAlive() ? null : result();
        }

        private Result result() {
            if (failure != null) {
                throw new IllegalStateException("workload failed: " + failure, failure);
            }
            return result;
        }
    }

    /** Starts {@link #run} on a thread of its own, for callers that act while the workload runs. */
    public Running start(long maxOps, Duration budget) {
        return new Running(maxOps, budget);
    }

    /** Operations done per kind, those that failed as Linux would fail them, and the time taken. */
    public record Result(Map<Op, Long> counts, long failed, long nanos) {
        public long total() {
            return counts.values().stream().mapToLong(Long::longValue).sum();
        }

        public double opsPerSecond() {
            return total() * 1e9 / nanos;
        }

        @Override
        public String toString() {
            return String.format("%d ops in %.2f s (%.0f ops/s), %d failed as expected: %s", total(), nanos / 1e9,
                    opsPerSecond(), failed, counts);
        }
    }

    private void step(Random rnd) {
        Op op = WHEEL[rnd.nextInt(WHEEL.length)];
        Process[] live = pool.toArray(new Process[0]); // the pool changes under us
        Process p = live[rnd.nextInt(live.length)];
        AddressSpace mm = p.mm();
        int r = rnd.nextInt(REGIONS);
        long base = region(r);
        long page = base + rnd.nextInt(REGION_PAGES) * Addresses.PAGE_SIZE;
        long length = REGION_PAGES * Addresses.PAGE_SIZE;
        try {
            switch (op) {
                case READ -> mm.read(page);
                case WRITE -> mm.write(page, rnd.nextLong());
                case MADVISE -> mm.madviseDontNeed(page, Addresses.PAGE_SIZE * (1 + rnd.nextInt(4)));
                case REMAP_REGION -> {
                    mm.munmap(base, length);
                    mm.mmap(base, length, Vma.PROT_READ | Vma.PROT_WRITE, r % 2 == 1);
                }
                case MPROTECT -> {
                    mm.mprotect(base, length, Vma.PROT_READ);
                    mm.mprotect(base, length, Vma.PROT_READ | Vma.PROT_WRITE);
                }
                case PROT_NONE -> {
                    mm.mprotect(page, Addresses.PAGE_SIZE, Vma.PROT_NONE);
                    mm.mprotect(page, Addresses.PAGE_SIZE, Vma.PROT_READ | Vma.PROT_WRITE);
                }
                case MREMAP -> {
                    mm.mremap(base, length, base + SPARE_OFFSET);
                    mm.mremap(base + SPARE_OFFSET, length, base);
                }
                case FORK -> fork(p);
                case EXIT -> exitChild(rnd, false);
                case OOM_KILL -> exitChild(rnd, true);
                case RECLAIM -> machine.reclaimer().shrink(4);
                case MIGRATE -> machine.migrator().migrate(mm, page, rnd.nextBoolean() ? null : this); // compaction, or a device's migrate_vma
                case SOFT_DIRTY -> mm.clearSoftDirty();
                case AGE_SCAN -> mm.scanYoung(base, base + length);
                case EXCLUSIVE -> {
                    if (r % 2 == 0) { // anonymous private memory only, as make_device_exclusive
                        mm.makeDeviceExclusive(page, page + Addresses.PAGE_SIZE, this);
                    }
                }
            }
            done.get(op).increment();
        } catch (SegmentationFaultException | MmDeadException | InvalidRangeException | OutOfMemoryException e) {
            failed.increment(); // lost a race with another thread's munmap, mprotect or exit
        }
    }

    private void fork(Process parent) {
        synchronized (children) {
            if (children.size() + forking >= config.maxChildren()) {
                return;
            }
            forking++;
        }
        // The fork and the drivers' attach run outside the lock (they wait for mmap_lock and for
        // device engines): under it, the other thread's forks and exits queued behind them.
        Process child = null;
        try {
            child = machine.fork(parent);
            listener.spawned(child);
        } catch (RuntimeException | Error e) {
            child = null; // a child whose listeners failed never joins the pool (the run ends on it)
            throw e;
        } finally {
            synchronized (children) {
                forking--;
                if (child != null) { // only now: no operation meets a child whose drivers are not attached
                    children.add(child);
                    pool.add(child);
                }
            }
        }
    }

    /**
     * A forked child exits; {@code oom}: killed by the OOM killer, whose reaper first unmaps its
     * private memory non-blockably while its drivers are still attached (a refusing notifier
     * leaves that VMA to exit).
     */
    private void exitChild(Random rnd, boolean oom) {
        Process victim;
        synchronized (children) {
            if (children.isEmpty()) {
                return;
            }
            victim = children.remove(rnd.nextInt(children.size()));
            pool.remove(victim);
        }
        if (oom) {
            victim.mm().oomReap();
        }
        listener.exiting(victim);
        victim.exit();
    }

    /** Every process the workload created, for exit at the end. */
    public List<Process> processes() {
        return List.copyOf(pool);
    }

    /**
     * Exits every process the workload still has. One killed from outside meanwhile ({@code
     * mmu:kill}) was told and exited by whoever killed it: it is skipped, and the others still exit.
     */
    public void close() {
        for (Process p : List.copyOf(pool)) {
            pool.remove(p);
            children.remove(p);
            if (!p.isAlive()) {
                continue;
            }
            listener.exiting(p);
            try {
                p.exit();
            } catch (MmDeadException killedMeanwhile) {
                // killed from outside between the check and the exit
            }
        }
    }

    private static Op[] wheel() {
        List<Op> w = new ArrayList<>();
        for (Op op : Op.values()) {
            for (int i = 0; i < op.weight; i++) {
                w.add(op);
            }
        }
        return w.toArray(new Op[0]);
    }
}
