package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The driver's spinlock on real threads: exclusion, reentrancy, and a waiter that sleeps on a long hold. */
class SpinLockTest {
    private long counter; // guarded by the lock under test

    @Test
    void racingThreadsNeverShareIt() throws Exception {
        for (SpinLock lock : new SpinLock[] {new SpinLock(), new SpinLock(true)}) {
            counter = 0;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 50_000; i++) {
                        lock.lock();
                        try {
                            long c = counter;
                            Thread.onSpinWait();
                            counter = c + 1; // a lost update if two threads were in here at once
                        } finally {
                            lock.unlock();
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(200_000, counter, "fair=" + lock.isFair());
        }
    }

    /** A fair lock: a thread that took it again right after letting go does not overtake a sleeping waiter. */
    @Test
    void aFairLockLetsNoNewcomerOvertakeASleeper() throws Exception {
        SpinLock lock = new SpinLock(true);
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        lock.lock();
        Thread waiter = new Thread(() -> {
            lock.lock();
            order.add("waiter");
            lock.unlock();
        });
        waiter.start();
        awaitQueued(lock, waiter); // it spun, then went to sleep
        lock.unlock();
        lock.lock(); // at once again, as a vCPU taking mmu_lock for its next fault would
        order.add("newcomer");
        lock.unlock();
        waiter.join();
        assertEquals(List.of("waiter", "newcomer"), order);
    }

    @Test
    void itIsReentrant() {
        SpinLock lock = new SpinLock();
        lock.lock();
        lock.lock();
        assertEquals(2, lock.getHoldCount());
        lock.unlock();
        assertTrue(lock.isHeldByCurrentThread());
        lock.unlock();
        assertFalse(lock.isLocked());
    }

    /**
     * A holder off its CPU for long: the waiter spins only {@link SpinLock#SPIN_NANOS}, then
     * sleeps. Spinning on would take a CPU for the whole hold (here 400 ms of its CPU time).
     */
    @Test
    void aWaiterSleepsOnceTheHoldOutlastsTheSpin() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SpinLock lock = new SpinLock();
        lock.lock();
        AtomicLong waiterCpu = new AtomicLong(-1);
        CountDownLatch got = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            long before = mx.getCurrentThreadCpuTime();
            lock.lock();
            waiterCpu.set(mx.getCurrentThreadCpuTime() - before);
            lock.unlock();
            got.countDown();
        });
        waiter.start();
        awaitQueued(lock, waiter); // it has given up spinning and sleeps
        Thread.sleep(400);
        assertEquals(Thread.State.WAITING, waiter.getState());
        lock.unlock();
        assertTrue(got.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(waiterCpu.get() < 200_000_000L, "the waiter burned " + waiterCpu.get() / 1_000_000 + " ms of CPU");
    }

    /** Until {@code t} sleeps in the lock's queue; fails (rather than hangs) after 10 s. */
    private static void awaitQueued(SpinLock lock, Thread t) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!lock.hasQueuedThread(t)) {
            assertTrue(System.nanoTime() < deadline, t + " never went to sleep on the lock");
            Thread.onSpinWait();
        }
    }
}
