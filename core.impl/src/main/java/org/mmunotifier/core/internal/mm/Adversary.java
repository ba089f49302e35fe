package org.mmunotifier.core.internal.mm;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * The torture's adversary: it strikes where driver bugs hide. Off by default.
 * <ul>
 * <li><b>After a fault</b>, with probability {@code faultRace}, on the faulting (device) thread
 * itself, right after {@code faultRange} returned its snapshot and before the driver can install
 * it: an invalidation of the faulted range (a migration, a {@code madvise(DONTNEED)} or a reclaim
 * of the page). A driver that installs the snapshot without its retry check (KVM's
 * {@code mmu_invalidate_retry}, an interval subscription's {@code readRetry}) then maps a page the
 * primary has taken away, every time, not once in a million.
 * <li><b>Inside an invalidation</b>, with probability {@code stall}, between range start and the
 * pte changes: a pause of up to {@code stallMicros}, widening the window in which a driver must
 * not establish mappings.
 * </ul>
 * Each thread draws from its own generator, seeded from the seed and the thread's name, so a
 * given thread makes the same choices in every run with that seed; how threads interleave is not
 * fixed by it.
 */
public final class Adversary {
    private static final int NAME_MIX = 0x9E3779B9;

    private final Machine machine;
    private volatile double faultRace;
    private volatile double stall;
    private volatile long stallMicros = 200;
    private volatile long seed;
    private volatile int epoch; // bumped by configure: threads re-seed
    private final AtomicLong strikes = new AtomicLong();
    private final ThreadLocal<Draw> draws = new ThreadLocal<>();

    /** One thread's generator, for one configuration. */
    private record Draw(int epoch, Random random) {
    }

    Adversary(Machine machine) {
        this.machine = machine;
    }

    /**
     * @param faultRace probability (0..1) of invalidating a faulted range before the driver installs it
     * @param stall probability (0..1) of pausing an invalidation between start and its pte changes
     * @param seed what the per-thread generators are seeded from
     * @throws IllegalArgumentException if a probability is outside 0..1
     */
    public synchronized void configure(double faultRace, double stall, long seed) {
        check("faultRace", faultRace);
        check("stall", stall);
        this.faultRace = faultRace;
        this.stall = stall;
        this.seed = seed;
        strikes.set(0);
        epoch++;
    }

    private static void check(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + "=" + p + " is not a probability (0..1)");
        }
    }

    /** One line for operators: the settings and the strikes so far, or that it is off. */
    public String describe() {
        double f = faultRace;
        double st = stall;
        return (f == 0 && st == 0 ? "off" : String.format("fault race %.2f, stall %.2f (up to %d µs), seed %d", f, st,
                stallMicros, seed)) + "; " + strikes.get() + " strikes since set";
    }

    public boolean isOn() {
        return faultRace > 0 || stall > 0;
    }

    /** Invalidations the adversary made or stalled since it was last configured. */
    public long strikes() {
        return strikes.get();
    }

    private Random random() {
        Draw d = draws.get();
        int e = epoch;
        if (d == null || d.epoch != e) {
            d = new Draw(e, new Random(seed * 31 + Thread.currentThread().getName().hashCode() * (long) NAME_MIX));
            draws.set(d);
        }
        return d.random;
    }

    /**
     * Right after {@code faultRange} returned on this thread. Not from inside a notifier callback or
     * with {@code mmap_lock} held: a driver faulting there would meet its own invalidation.
     */
    void afterFault(AddressSpace mm, long start, long end) {
        double p = faultRace;
        if (p == 0 || mm.notifiers().mustNotExitHere() || mm.holdsMmapLock()) {
            return;
        }
        Random r = random();
        if (r.nextDouble() >= p) {
            return;
        }
        strikes.incrementAndGet();
        long page = start + ((long) r.nextInt((int) Math.min(Integer.MAX_VALUE, (end - start) >>> Addresses.PAGE_SHIFT))
                << Addresses.PAGE_SHIFT);
        try {
            switch (r.nextInt(3)) {
                case 0 -> machine.migrator().migrate(mm, page, null);
                case 1 -> mm.madviseDontNeed(page, Addresses.PAGE_SIZE);
                default -> machine.reclaimer().reclaimPage(mm, page);
            }
        } catch (SegmentationFaultException | MmDeadException | OutOfMemoryException e) {
            // the page or the process went meanwhile: nothing to race
        }
    }

    /** Between range start and the pte changes of an invalidation. */
    void afterInvalidationStart() {
        double p = stall;
        if (p == 0) {
            return;
        }
        Random r = random();
        if (r.nextDouble() >= p) {
            return;
        }
        strikes.incrementAndGet();
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(1 + r.nextInt((int) Math.max(1, stallMicros))));
    }
}
