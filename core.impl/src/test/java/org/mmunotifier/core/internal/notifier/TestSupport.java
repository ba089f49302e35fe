package org.mmunotifier.core.internal.notifier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
     * What reclaim's unmap of one page tells the notifiers (a single-page {@code CLEAR}): 6.x notifiers
     * get start, the TLB flush and end; 2.6.27 and seed ones {@code invalidate_page}.
     */
    static void invalidatePage(Mm mm, long address) {
        fourSteps(mm, new InvalidationRange(mm, address, address + PAGE, MmuNotifierEvent.CLEAR).pageOperation());
    }

    /**
     * A range operation with every step: 6.x and 2.6.27 notifiers get start/end (6.x the TLB flush
     * too), seed ones {@code invalidate_range(start, end, atomic)}.
     */
    static void invalidateRange(Mm mm, long start, long end, boolean atomic) {
        InvalidationRange range = new InvalidationRange(mm, start, end, MmuNotifierEvent.UNMAP);
        fourSteps(mm, atomic ? range.nonBlocking() : range);
    }

    private static void fourSteps(Mm mm, InvalidationRange range) {
        mm.mmapLock().readLock().lock();
        try {
            if (!mm.notifiers().invalidateRangeStart(range)) {
                return;
            }
            try {
                mm.notifiers().flushSecondaryTlbs(range);
                mm.notifiers().ptesChanged(range);
            } finally {
                mm.notifiers().invalidateRangeEnd(range);
            }
        } finally {
            mm.mmapLock().readLock().unlock();
        }
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
                    throw new AssertionError(t.getName() + " did not finish: " + stackOf(t));
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

        static String stackOf(Thread t) {
            StringBuilder b = new StringBuilder();
            for (StackTraceElement e : t.getStackTrace()) {
                b.append("\n\tat ").append(e);
            }
            return b.toString();
        }
    }

    /**
     * Holds an invalidation of {@code [start, end)} in the middle of changing the ptes, runs
     * {@code setup} on the calling thread, then {@code op} on another thread, keeps the
     * invalidation going a while longer, and reports whether {@code op} finished before the
     * invalidation ended (the question every "must wait for the invalidation" test asks).
     */
    static boolean finishesBeforeInvalidationEnds(Mm mm, long start, long end, Runnable setup, Runnable op)
            throws Exception {
        CountDownLatch inPtes = new CountDownLatch(1);
        CountDownLatch opStarted = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        AtomicBoolean finishedFirst = new AtomicBoolean();
        try (Workers w = new Workers()) {
            w.start("invalidate", () -> invalidate(mm, start, end, MmuNotifierEvent.UNMAP, true, () -> {
                inPtes.countDown();
                awaitLatch(opStarted);
                spin(30_000_000); // long enough for op to block, if it is going to
                ended.set(true);
            }));
            awaitLatch(inPtes);
            setup.run();
            w.start("op", () -> {
                opStarted.countDown();
                op.run();
                finishedFirst.set(!ended.get());
            });
        }
        return finishedFirst.get();
    }

    static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out waiting for " + latch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * A callback body that blocks: it signals when a thread is inside, waits until opened, and
     * records when it has left. For "does X wait for a callback in flight" tests.
     */
    static final class Gate {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private final AtomicBoolean passed = new AtomicBoolean();

        /** Call from the callback. */
        void pass() {
            inside.countDown();
            awaitLatch(open);
            passed.set(true);
        }

        void awaitInside() {
            awaitLatch(inside);
        }

        void open() {
            open.countDown();
        }

        /** Whether a thread has gone through the gate. */
        boolean passed() {
            return passed.get();
        }
    }

    /**
     * Runs {@code call} on another thread and returns its result; fails if it has not returned
     * within {@code millis} (a wait that would hang for ever).
     */
    static <T> T callWithin(long millis, java.util.concurrent.Callable<T> call) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(call);
        Thread t = new Thread(task, "call-within");
        t.setDaemon(true);
        t.start();
        try {
            return task.get(millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("did not return within " + millis + " ms" + Workers.stackOf(t));
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw (Error) e.getCause();
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
