package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The grace-period domain on its own. */
class SrcuTest {
    private final Srcu srcu = new Srcu();

    @AfterEach
    void close() {
        srcu.close();
    }

    @Test
    void synchronizeWaitsForASectionOnAnotherThreadIncludingNestedOnes() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leaveInner = new CountDownLatch(1);
        CountDownLatch leaveOuter = new CountDownLatch(1);
        AtomicBoolean outerLeft = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("reader", () -> {
                ReaderSlot outer = srcu.enter();
                ReaderSlot inner = srcu.enter();
                inside.countDown();
                await(leaveInner);
                srcu.exit(inner); // still inside the outer section
                await(leaveOuter);
                outerLeft.set(true);
                srcu.exit(outer);
            });
            assertTrue(inside.await(5, TimeUnit.SECONDS));
            AtomicBoolean leftAtReturn = new AtomicBoolean();
            w.start("writer", () -> {
                srcu.synchronize();
                leftAtReturn.set(outerLeft.get());
            });
            leaveInner.countDown();
            Thread.sleep(50);
            leaveOuter.countDown();
            w.join();
            assertTrue(leftAtReturn.get(), "synchronize returned while the outer section was open");
        }
    }

    @Test
    void synchronizeInsideASectionDoesNotWaitForItself() {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            ReaderSlot s = srcu.enter();
            try {
                assertTrue(srcu.inReadSection());
                srcu.synchronize();
            } finally {
                srcu.exit(s);
            }
            assertFalse(srcu.inReadSection());
        });
    }

    @Test
    void sectionsThatBeginAfterTheScanDoNotHoldTheWriterUp() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("busy-reader", () -> {
                while (!stop.get()) {
                    ReaderSlot s = srcu.enter();
                    TestSupport.spin(2_000);
                    srcu.exit(s);
                }
            });
            // Readers that keep coming must not starve the writer (no epoch to drain).
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                for (int i = 0; i < 1_000; i++) {
                    srcu.synchronize();
                }
            });
            stop.set(true);
        }
    }

    @Test
    void callbacksRunAfterAGracePeriodInOrderAndBarrierWaitsForThem() throws Exception {
        List<Integer> order = new CopyOnWriteArrayList<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean readerLeft = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("reader", () -> {
                ReaderSlot s = srcu.enter();
                inside.countDown();
                await(leave);
                readerLeft.set(true);
                srcu.exit(s);
            });
            assertTrue(inside.await(5, TimeUnit.SECONDS));
            AtomicBoolean leftAtCallback = new AtomicBoolean();
            srcu.callSrcu(() -> {
                leftAtCallback.set(readerLeft.get());
                order.add(1);
            });
            srcu.callSrcu(() -> order.add(2));
            Thread.sleep(50);
            assertEquals(List.of(), order, "a callback ran before the grace period ended");
            leave.countDown();
            srcu.barrier();
            assertEquals(List.of(1, 2), order);
            assertTrue(leftAtCallback.get());
        }
    }

    @Test
    void slotsOfDeadThreadsAreDropped() throws Exception {
        for (int i = 0; i < 50; i++) {
            Thread t = new Thread(() -> srcu.exit(srcu.enter()));
            t.start();
            t.join();
        }
        Thread last = new Thread(() -> srcu.exit(srcu.enter()));
        last.start();
        last.join();
        assertTrue(srcu.slotCount() <= 3, "slots kept for dead threads: " + srcu.slotCount());
    }

    private static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
