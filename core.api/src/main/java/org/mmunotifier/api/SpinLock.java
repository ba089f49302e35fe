package org.mmunotifier.api;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A lock for the short sections that a driver's device shares with the primary's callbacks
 * ({@code kvm->mmu_lock}, an RDMA region's umem mutex, a TLB's lock): a contended {@link #lock()}
 * spins for up to {@link #SPIN_NANOS} before it sleeps, as the kernel's spinlocks spin and its
 * mutexes and rwsems spin while their owner is on a CPU.
 *
 * <p>Why a driver wants it: with a plain {@link ReentrantLock} every contended acquisition parks,
 * and on a machine with more runnable threads than CPUs the wake-up waits for the scheduler (a
 * millisecond or more) although the holder let go within microseconds. An invalidation that met a
 * device engine in a ten-nanosecond section then held {@code mmap_lock} for that millisecond, and
 * every thread of the process waited behind it. A section held longer than the spin most likely
 * has its holder off its CPU, and spinning on would only take the CPU it needs: the waiter sleeps.
 *
 * <p>Reentrant, like {@link ReentrantLock}. A non-fair lock's spin barges (as {@link #tryLock()}
 * does). A fair one spins only while no waiter sleeps: a newcomer never overtakes a sleeper, so a
 * thread that keeps taking the lock (a vCPU) cannot starve one that waits (an invalidation).
 */
public class SpinLock extends ReentrantLock {
    private static final long serialVersionUID = 1L;

    /** How long a contended {@link #lock()} spins before it sleeps. */
    public static final long SPIN_NANOS = 20_000;

    public SpinLock() {
        super();
    }

    /** @param fair whether the sleeping waiters take the lock in arrival order */
    public SpinLock(boolean fair) {
        super(fair);
    }

    @Override
    public void lock() {
        if (mayBarge() && tryLock()) {
            return;
        }
        long deadline = System.nanoTime() + SPIN_NANOS;
        for (int i = 1;; i++) {
            Thread.onSpinWait();
            if (!isLocked() && mayBarge() && tryLock()) {
                return;
            }
            if ((i & 63) == 0 && System.nanoTime() - deadline > 0) {
                break; // held this long: its holder is most likely off its CPU
            }
        }
        super.lock();
    }

    /** A fair lock lets no newcomer overtake a waiter that went to sleep (it would starve it). */
    private boolean mayBarge() {
        return !isFair() || !hasQueuedThreads();
    }
}
