package org.mmunotifier.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The engines of a device (vCPUs, DMA engines, instruction units): daemon threads that each run a
 * step over and over, with a random source of their own, until {@link #stop()} or until their step
 * returns false. {@code stop()} returns only when every thread has finished its step, so a driver
 * can unregister right after it.
 */
public final class DeviceThreads {
    private final String name;
    private final List<Thread> threads = new ArrayList<>(); // guarded by this
    private volatile boolean stopping;

    /** @param name prefix of the thread names */
    public DeviceThreads(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Starts {@code count} threads; thread i draws from {@code new Random(seed * 31 + i)}.
     *
     * @param step one unit of device work; return false to end that thread
     */
    public synchronized void start(int count, long seed, Predicate<Random> step) {
        Objects.requireNonNull(step, "step");
        if (count < 0) {
            throw new IllegalArgumentException("thread count must not be negative: " + count);
        }
        stopping = false;
        for (int i = 0; i < count; i++) {
            Random rnd = new Random(seed * 31 + i);
            Thread t = new Thread(() -> {
                while (!stopping && step.test(rnd)) {
                    // next step
                }
            }, name + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops every thread and waits for it, uninterruptibly (the interrupt status is kept). */
    public synchronized void stop() {
        stopping = true;
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        threads.clear();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
