package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariant 2: once unregister returns, no callback is running and none will start. */
class UnregisterTest extends NotifierTestBase {
    /** A notifier that counts calls made after its unregister returned. */
    static final class Tripwire implements MmuNotifier {
        @Override
        public MmuNotifierContract contract() {
            return MmuNotifierContract.V2_6_27; // written for invalidate_page
        }

        volatile boolean unregistered;
        final AtomicInteger late = new AtomicInteger();
        final AtomicLong calls = new AtomicLong();

        private void call() {
            calls.incrementAndGet();
            TestSupport.spin(1_000); // stay inside the callback a while: widens the window
            if (unregistered) {
                late.incrementAndGet();
            }
        }

        @Override
        public void invalidatePage(MmStruct mm, long address) {
            call();
        }

        @Override
        public boolean agePage(MmStruct mm, long address) {
            call();
            return false;
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            call();
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            call();
        }
    }

    @Test
    void noCallbackRunsAfterUnregisterReturnsUnderConcurrentDispatch() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        AtomicLong delivered = new AtomicLong();
        int rounds;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("reclaim", () -> {
                while (!stop.get()) {
                    TestSupport.invalidatePage(mm, PAGE);
                    mm.notifiers().agePage(2 * PAGE);
                }
            });
            w.start("munmap", () -> {
                while (!stop.get()) {
                    TestSupport.invalidate(mm, 0, 4 * PAGE);
                }
            });
            try {
                rounds = TestSupport.repeat(Duration.ofSeconds(3), 2_000, i -> {
                    Tripwire t = new Tripwire();
                    mm.register(t);
                    TestSupport.spin(20_000);
                    mm.unregister(t);
                    t.unregistered = true;
                    TestSupport.spin(5_000); // give a straggler time to show itself
                    late.addAndGet(t.late.get());
                    delivered.addAndGet(t.calls.get());
                });
            } finally {
                stop.set(true);
            }
        }
        assertTrue(rounds > 50, "too few rounds: " + rounds);
        assertTrue(delivered.get() > rounds, "the race was not exercised: " + delivered + " calls");
        assertEquals(0, late.get(), "callbacks ran after unregister returned (" + rounds + " rounds)");
    }

    /** An end whose start was delivered before unregister is not delivered after it. */
    @Test
    void noEndAfterUnregisterEvenIfStartWasDelivered() {
        RecordingNotifier n = new RecordingNotifier();
        RecordingNotifier other = new RecordingNotifier();
        mm.register(n);
        mm.register(other);
        mm.mmapLock().readLock().lock();
        try {
            InvalidationRange r = new InvalidationRange(mm, 0, PAGE, MmuNotifierEvent.UNMAP);
            assertTrue(mm.notifiers().invalidateRangeStart(r));
            mm.unregister(n);
            mm.notifiers().invalidateRangeEnd(r);
        } finally {
            mm.mmapLock().readLock().unlock();
        }
        assertEquals(List.of("start UNMAP 0x0-0x1000", "release"), n.calls());
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), other.calls());
    }

    /**
     * A read-side section covers a whole invalidation, start to end: an unregister on another
     * thread returns only after that invalidation's end, so no end can arrive after it.
     */
    @Test
    void unregisterOnAnotherThreadWaitsForTheInvalidationInFlightToEnd() throws Exception {
        RecordingNotifier n = new RecordingNotifier();
        mm.register(n);
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, PAGE, () -> { }, () -> mm.unregister(n)),
                "unregister returned while an invalidation that called start was still in flight");
        assertEquals(List.of("start UNMAP 0x0-0x1000", "release"), n.calls());
    }

    /** Unregister waits for a callback in flight on another thread, however long it takes. */
    @Test
    void unregisterWaitsForACallbackInFlight() throws Exception {
        TestSupport.Gate gate = new TestSupport.Gate();
        MmuNotifier slow = new MmuNotifier() {
            @Override
            public MmuNotifierContract contract() {
                return MmuNotifierContract.V2_6_27; // written for invalidate_page
            }

            @Override
            public void invalidatePage(MmStruct m, long address) {
                gate.pass();
            }
        };
        mm.register(slow);
        AtomicBoolean passedAtReturn = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("reclaim", () -> TestSupport.invalidatePage(mm, 0));
            gate.awaitInside();
            w.start("unregister", () -> {
                mm.unregister(slow);
                passedAtReturn.set(gate.passed());
            });
            Thread.sleep(50);
            gate.open();
        }
        assertTrue(passedAtReturn.get(), "unregister returned while the callback was still running");
    }
}
