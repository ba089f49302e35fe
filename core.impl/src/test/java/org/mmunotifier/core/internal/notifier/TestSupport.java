package org.mmunotifier.core.internal.notifier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.core.internal.mm.Mm;

/** Helpers for driving the notifier core the way the primary MMU does. */
final class TestSupport {
    static final long PAGE = Addresses.PAGE_SIZE;

    private TestSupport() {
    }

    /** A primary-MMU invalidation: mmap_lock for read around start, (pte changes), end. */
    static boolean invalidate(Mm mm, long start, long end, MmuNotifierEvent event, boolean blockable, Runnable ptes) {
        mm.mmapLock().readLock().lock();
        try {
            InvalidationRange range = new InvalidationRange(mm, start, end, event);
            if (!blockable) {
                range.nonBlocking();
            }
            if (!mm.notifiers().invalidateRangeStart(range)) {
                return false;
            }
            ptes.run();
            mm.notifiers().invalidateRangeEnd(range);
            return true;
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }

    static boolean invalidate(Mm mm, long start, long end) {
        return invalidate(mm, start, end, MmuNotifierEvent.UNMAP, true, () -> { });
    }

    /**
     * Runs {@code body(i)} for i = 0, 1, … until {@code maxIterations} or {@code budget} is
     * used up, whichever is first, and returns the number of iterations run.
     */
    static int repeat(Duration budget, int maxIterations, IterationBody body) throws Exception {
        long deadline = System.nanoTime() + budget.toNanos();
        int i = 0;
        while (i < maxIterations && System.nanoTime() < deadline) {
            body.run(i++);
        }
        return i;
    }

    interface IterationBody {
        void run(int iteration) throws Exception;
    }

    /** Threads that rethrow what they threw when joined. */
    static final class Workers implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Workers start(String name, Runnable body) {
            Thread t = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, name);
            t.setDaemon(true);
            threads.add(t);
            t.start();
            return this;
        }

        void join() throws Exception {
            for (Thread t : threads) {
                t.join(60_000);
                if (t.isAlive()) {
                    throw new AssertionError(t.getName() + " did not finish: " + stack(t));
                }
            }
            threads.clear();
            Throwable f = failure.get();
            if (f instanceof Exception e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            join();
        }

        private static String stack(Thread t) {
            StringBuilder b = new StringBuilder();
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("\n\tat ").append(e);
            }
            return b.toString();
        }
    }

    /** Busy-waits about {@code nanos} without sleeping, to widen race windows inside callbacks. */
    static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
