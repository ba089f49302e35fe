package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariants 5 and 7: start/end pairing per notifier, and non-blockable refusal. */
class RangePairingTest extends NotifierTestBase {
    /** KVM's mmu_invalidate_in_progress: goes negative on an end without its start. */
    static final class InProgressCounter implements MmuNotifier {
        final AtomicInteger inProgress = new AtomicInteger();
        final AtomicInteger negative = new AtomicInteger();
        final AtomicInteger starts = new AtomicInteger();

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            inProgress.incrementAndGet();
            starts.incrementAndGet();
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            if (inProgress.decrementAndGet() < 0) {
                negative.incrementAndGet();
            }
        }
    }

    @Test
    void aNotifierRegisteredDuringAnInvalidationGetsNeitherItsStartNorItsEnd() throws Exception {
        RecordingNotifier early = new RecordingNotifier();
        mm.register(early);
        RecordingNotifier late = new RecordingNotifier();
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, PAGE, () -> { }, () -> mm.register(late)),
                "registration completed while an invalidation was in flight");
        assertEquals(List.of(), late.calls());
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), early.calls());
    }

    /**
     * The one way to link a notifier mid-invalidation: a callback of an invalidation run under
     * mmap_lock for write (munmap) registers with registerLocked. End must go to the notifiers
     * start went to, not to whatever is linked by then.
     */
    @Test
    void endGoesToTheNotifiersStartWentToEvenIfOneWasLinkedInBetween() {
        RecordingNotifier late = new RecordingNotifier();
        RecordingNotifier early = new RecordingNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                if (calls().isEmpty()) {
                    range.mm().registerLocked(late);
                }
                return super.invalidateRangeStart(range);
            }
        };
        mm.register(early);
        mm.mmapLock().writeLock().lock();
        try {
            InvalidationRange r = new InvalidationRange(mm, 0, PAGE, MmuNotifierEvent.UNMAP);
            assertTrue(mm.notifiers().invalidateRangeStart(r));
            mm.notifiers().invalidateRangeEnd(r);
        } finally {
            mm.mmapLock().writeLock().unlock();
        }
        assertEquals(List.of(), late.calls(), "a notifier linked after start got an unmatched end");
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), early.calls());
        assertTrue(TestSupport.invalidate(mm, 0, PAGE));
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), late.calls());
    }

    /** Many invalidations, registrations and unregistrations at once: no counter ever goes negative. */
    @Test
    void countersStayBalancedWhileNotifiersComeAndGo() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<InProgressCounter> all = new ArrayList<>();
        int rounds;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            for (int t = 0; t < 2; t++) {
                w.start("invalidate-" + t, () -> {
                    while (!stop.get()) {
                        TestSupport.invalidate(mm, 0, 8 * PAGE, MmuNotifierEvent.CLEAR, true,
                                () -> TestSupport.spin(2_000));
                    }
                });
            }
            try {
                rounds = TestSupport.repeat(Duration.ofSeconds(2), 3_000, i -> {
                    InProgressCounter c = new InProgressCounter();
                    all.add(c);
                    mm.register(c);
                    TestSupport.spin(10_000);
                    mm.mmapLock().writeLock().lock(); // quiesce: no invalidation in flight
                    try {
                        assertEquals(0, c.inProgress.get(), "in_progress left raised with no invalidation in flight");
                    } finally {
                        mm.mmapLock().writeLock().unlock();
                    }
                    mm.unregister(c);
                });
            } finally {
                stop.set(true);
            }
        }
        int starts = all.stream().mapToInt(c -> c.starts.get()).sum();
        assertTrue(starts > 0, "no invalidation reached a counter in " + rounds + " rounds");
        assertEquals(0, all.stream().mapToInt(c -> c.negative.get()).sum(), "an end arrived without its start");
    }

    /** Invariant 7 with 5: one refuses a non-blockable start; the others get their end; it does not. */
    @Test
    void aRefusedNonBlockableStartEndsTheOthersAndTellsTheCaller() {
        RecordingNotifier before = new RecordingNotifier();
        RecordingNotifier refuser = new RecordingNotifier();
        refuser.refuseNonBlocking = true;
        RecordingNotifier after = new RecordingNotifier();
        mm.register(before);
        mm.register(refuser);
        mm.register(after);
        AtomicBoolean ptesTouched = new AtomicBoolean();

        boolean done = TestSupport.invalidate(mm, 0, 2 * PAGE, MmuNotifierEvent.UNMAP, false,
                () -> ptesTouched.set(true));

        assertFalse(done, "the caller was not told that the invalidation was refused");
        assertFalse(ptesTouched.get());
        assertEquals(List.of("start UNMAP 0x0-0x2000", "end UNMAP 0x0-0x2000"), before.calls());
        assertEquals(List.of("refuse UNMAP 0x0-0x2000"), refuser.calls());
        // start is called on every notifier even after one refused (Linux c2655835fd8c)
        assertEquals(List.of("start UNMAP 0x0-0x2000", "end UNMAP 0x0-0x2000"), after.calls());
        assertEquals(0, core.faults().count());

        // A blockable invalidation cannot be refused: it proceeds.
        before.clear();
        assertTrue(TestSupport.invalidate(mm, 0, PAGE, MmuNotifierEvent.UNMAP, true, () -> ptesTouched.set(true)));
        assertTrue(ptesTouched.get());
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), before.calls());
    }

    @Test
    void refusingABlockableStartIsReportedAndGetsNoEnd() {
        RecordingNotifier ok = new RecordingNotifier();
        MmuNotifier rude = new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                return false;
            }

            @Override
            public void invalidateRangeEnd(MmuNotifierRange range) {
                throw new AssertionError("end after a failed start");
            }
        };
        mm.register(rude);
        mm.register(ok);
        assertTrue(TestSupport.invalidate(mm, 0, PAGE));
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000"), ok.calls());
        assertEquals(1, core.faults().count());
        assertTrue(core.faults().recent().get(0).message().contains("refused a blockable invalidation"));
    }
}
