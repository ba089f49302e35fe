package org.mmunotifier.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The engines of a device (vCPUs, DMA engines, instruction units): daemon threads that each run a
 * step over and over, with a random source of their own, until {@link #stop()} or until their step
 * returns false. {@code stop()} returns when every thread has finished its step, so a driver can
 * unregister right after it, or, if a step is stuck (waiting for an invalidation that another
 * driver's stuck callback never ends), after a bounded time: stopping a driver never hangs.
 *
 * <p>Threads per context (per VM, per region) make a device's CPU use grow with the processes it
 * serves; {@link DeviceEngines} runs every context on a fixed number of engines instead.
 */
public final class DeviceThreads {
    /** How long {@link #stop()} waits for a step, and again after interrupting it. */
    public static final Duration STOP_WAIT = Duration.ofSeconds(1);
    /**
     * How long a device engine waits for a busy address space (its {@code mmap_lock}, or an
     * invalidation of its range) before it gives the access up and moves on: see
     * {@link MmStruct#faultRange(long, long, boolean, long, java.util.concurrent.TimeUnit)}.
     */
    public static final long BUSY_WAIT_MILLIS = 50;
    private static final System.Logger LOG = System.getLogger(DeviceThreads.class.getName());

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

    /** {@link #stop(Duration)} with {@link #STOP_WAIT}. */
    public List<String> stop() {
        return stop(STOP_WAIT);
    }

    /**
     * Stops every thread and waits for its step in flight, uninterruptibly (the caller's interrupt
     * status is kept). A thread still in its step after {@code wait} is interrupted, and waited for
     * once more; one still running after that is left behind (it is a daemon thread that will not
     * take another step), named in a warning with its stack, and returned.
     *
     * @return the names of the threads that did not stop (empty when all did)
     */
    public synchronized List<String> stop(Duration wait) {
        stopping = true;
        List<String> stuck = join(threads, wait);
        threads.clear();
        return stuck;
    }

    /**
     * Waits for {@code threads} to end, uninterruptibly (the caller's interrupt status is kept): all
     * of them within {@code wait}, then interrupted, within {@code wait} again. One still running
     * after that is named in a warning with its stack and returned.
     */
    static List<String> join(List<Thread> threads, Duration wait) {
        boolean interrupted = false;
        long waitNanos = wait.toNanos();
        long deadline = System.nanoTime() + waitNanos;
        boolean poked = false;
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            while (t.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (poked) {
                        stuck.add(t.getName());
                        LOG.log(System.Logger.Level.WARNING, "device thread " + t.getName() + " did not stop within "
                                + 2 * wait.toMillis() + " ms, even interrupted; left behind at:" + stackOf(t));
                        break;
                    }
                    for (Thread u : threads) {
                        u.interrupt();
                    }
                    poked = true;
                    deadline = System.nanoTime() + waitNanos;
                    continue;
                }
                try {
                    t.join(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return stuck;
    }

    static String stackOf(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n\tat ").append(e);
        }
        return b.toString();
    }
}
