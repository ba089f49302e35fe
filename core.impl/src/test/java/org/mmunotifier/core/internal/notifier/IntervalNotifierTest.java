package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuIntervalNotifier;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Interval notifiers: the odd/even sequence protocol, deferred tree changes, and remove. */
class IntervalNotifierTest extends NotifierTestBase {
    /** Records invalidations and follows the protocol (setSeq under its own lock). */
    static final class Recorder implements MmuIntervalNotifier {
        final List<String> calls = new ArrayList<>();
        final List<Long> seqs = new ArrayList<>();
        volatile boolean refuseNonBlocking;

        @Override
        public synchronized boolean invalidate(MmuIntervalSubscription sub, MmuNotifierRange range, long curSeq) {
            if (refuseNonBlocking && !range.isBlockable()) {
                return false;
            }
            sub.setSeq(curSeq);
            calls.add(RecordingNotifier.range(range));
            seqs.add(curSeq);
            return true;
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }
    }

    @Test
    void onlyIntersectingInvalidationsAreDeliveredWithAnOddSequence() {
        Recorder r = new Recorder();
        MmuIntervalSubscription sub = mm.insertInterval(4 * PAGE, 8 * PAGE, r);
        assertEquals(4 * PAGE, sub.start());
        assertEquals(8 * PAGE, sub.end());
        long seq = sub.readBegin();
        assertFalse(sub.readRetry(seq));

        TestSupport.invalidate(mm, 0, 4 * PAGE); // touches [0, 4P): ends where the interval begins
        TestSupport.invalidate(mm, 8 * PAGE, 9 * PAGE);
        assertEquals(List.of(), r.calls());
        assertFalse(sub.readRetry(seq));

        TestSupport.invalidate(mm, 7 * PAGE, 12 * PAGE);
        assertEquals(List.of("UNMAP 0x7000-0xc000"), r.calls());
        assertEquals(1, r.seqs.get(0) & 1, "curSeq must be odd");
        assertTrue(sub.readRetry(seq), "the read that began before the invalidation must retry");
        assertTrue(sub.checkRetry(seq));
        long again = sub.readBegin();
        assertFalse(sub.readRetry(again));
    }

    @Test
    void readBeginWaitsForAnInvalidationOfTheIntervalInProgress() throws Exception {
        MmuIntervalSubscription sub = mm.insertInterval(0, PAGE, new Recorder());
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, PAGE, () -> { }, sub::readBegin),
                "readBegin returned while the interval was being invalidated");
    }

    @Test
    void anInsertDuringAnInvalidationIsDeferredAndItsReadBeginWaits() throws Exception {
        mm.insertInterval(0, PAGE, new Recorder());
        Recorder late = new Recorder();
        MmuIntervalSubscription[] lateSub = new MmuIntervalSubscription[1];
        long[] lateSeq = new long[1];
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, 4 * PAGE, () -> {
            lateSub[0] = mm.insertInterval(0, 4 * PAGE, late); // the tree is frozen: deferred
            assertEquals(2, mm.notifiers().intervalCount());
        }, () -> lateSeq[0] = lateSub[0].readBegin()), "a subscription inserted mid-invalidation did not wait for it");
        assertEquals(List.of(), late.calls(), "the deferred insert was called by the invalidation it missed");
        TestSupport.invalidate(mm, PAGE, 2 * PAGE);
        assertEquals(List.of("UNMAP 0x1000-0x2000"), late.calls(), "the deferred insert never reached the tree");
        assertTrue(lateSub[0].readRetry(lateSeq[0]));
    }

    @Test
    void anInsertDuringAnInvalidationThatHitNothingStillWaitsForIt() throws Exception {
        mm.insertInterval(100 * PAGE, 101 * PAGE, new Recorder()); // not hit: the sequence stays even
        MmuIntervalSubscription[] sub = new MmuIntervalSubscription[1];
        // The invalidation may be clearing ptes of [0, 4P) while the subscription is inserted.
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, 4 * PAGE,
                () -> sub[0] = mm.insertInterval(0, 4 * PAGE, new Recorder()), () -> sub[0].readBegin()));
    }

    @Test
    void removeDuringAnInvalidationWaitsForItsEnd() throws Exception {
        Recorder r = new Recorder();
        MmuIntervalSubscription sub = mm.insertInterval(0, PAGE, r);
        assertFalse(TestSupport.finishesBeforeInvalidationEnds(mm, 0, PAGE, () -> { }, sub::remove),
                "remove returned while an invalidation could still call it");
        assertEquals(0, mm.notifiers().intervalCount());
        TestSupport.invalidate(mm, 0, PAGE);
        assertEquals(1, r.calls().size());
    }

    @Test
    void removeAndReadBeginFromACallbackAreRefusedInsteadOfDeadlocking() {
        AtomicLong refusals = new AtomicLong();
        mm.insertInterval(0, PAGE, (sub, range, seq) -> {
            sub.setSeq(seq);
            try {
                sub.remove();
            } catch (IllegalStateException e) {
                refusals.incrementAndGet();
            }
            try {
                sub.readBegin();
            } catch (IllegalStateException e) {
                refusals.incrementAndGet();
            }
            return true;
        });
        TestSupport.invalidate(mm, 0, PAGE);
        assertEquals(2, refusals.get());
        assertEquals(1, mm.notifiers().intervalCount());
    }

    @Test
    void aRefusedNonBlockableIntervalInvalidationStopsBeforeTheOtherNotifiers() {
        Recorder refuser = new Recorder();
        refuser.refuseNonBlocking = true;
        mm.insertInterval(0, PAGE, refuser);
        RecordingNotifier plain = new RecordingNotifier();
        mm.register(plain);
        assertFalse(TestSupport.invalidate(mm, 0, PAGE, MmuNotifierEvent.CLEAR, false, () -> { }));
        assertEquals(List.of(), plain.calls());
        // the interval tree's invalidation was ended: a later one gets through
        refuser.refuseNonBlocking = false;
        assertTrue(TestSupport.invalidate(mm, 0, PAGE));
        assertEquals(List.of("UNMAP 0x0-0x1000"), refuser.calls());
    }

    @Test
    void exitInvalidatesEveryIntervalWithRelease() {
        Recorder r = new Recorder();
        mm.insertInterval(PAGE, 2 * PAGE, r);
        mm.mmput();
        assertEquals(List.of("RELEASE 0x0-0x" + Long.toHexString(Addresses.TASK_SIZE)), r.calls());
    }

    @Test
    void aPerPageInvalidateReachesIntervalsAsAOnePageClear() {
        Recorder r = new Recorder();
        mm.insertInterval(0, 4 * PAGE, r);
        TestSupport.invalidatePage(mm, 2 * PAGE);
        TestSupport.invalidatePage(mm, 9 * PAGE);
        assertEquals(List.of("CLEAR 0x2000-0x3000"), r.calls());
    }

    /** An RDMA ODP style mirror: readBegin, fault, lock, readRetry, install. */
    static final class OdpMirror extends MiniPrimary.Mirror implements MmuIntervalNotifier {
        MmuIntervalSubscription sub;

        OdpMirror(MiniPrimary primary) {
            super(primary);
        }

        @Override
        public synchronized boolean invalidate(MmuIntervalSubscription s, MmuNotifierRange range, long curSeq) {
            s.setSeq(curSeq);
            zap(range);
            return true;
        }

        @Override
        void access(int index) {
            if (accessMapped(index)) {
                return;
            }
            long seq = sub.readBegin();
            long entry = primary.lookup(index);
            synchronized (this) {
                if (entry != 0 && !sub.readRetry(seq)) {
                    install(index, entry);
                }
            }
        }
    }

    /** Race: interval subscriptions inserted while the primary invalidates never use a freed page. */
    @Test
    void insertsRacingInvalidationsNeverMapAFreedPage() throws Exception {
        MiniPrimary primary = new MiniPrimary(mm);
        mm.insertInterval(Addresses.TASK_SIZE - PAGE, Addresses.TASK_SIZE, new Recorder()); // the tree exists
        int rounds = primary.race(Duration.ofSeconds(3), 1_500, p -> {
            OdpMirror m = new OdpMirror(p);
            m.sub = mm.insertInterval(0, MiniPrimary.PAGES * PAGE, m);
            return m;
        }, m -> m.sub.remove());
        assertTrue(rounds > 50, "too few rounds: " + rounds);
        assertEquals(0, primary.violations.get(), "an interval mirror used a freed page (" + rounds + " rounds)");
    }

    /** Race: remove while invalidations run; once remove returns the callback never runs again. */
    @Test
    void removeRacingInvalidationsLeavesNoLateCallback() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger late = new AtomicInteger();
        AtomicLong delivered = new AtomicLong();
        int rounds;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            for (int t = 0; t < 2; t++) {
                long base = t * 4 * PAGE;
                w.start("invalidate-" + t, () -> {
                    while (!stop.get()) {
                        TestSupport.invalidate(mm, base, base + 4 * PAGE, MmuNotifierEvent.CLEAR, true,
                                () -> TestSupport.spin(1_000));
                    }
                });
            }
            try {
                rounds = TestSupport.repeat(Duration.ofSeconds(2), 3_000, i -> {
                    AtomicBoolean removed = new AtomicBoolean();
                    MmuIntervalSubscription sub = mm.insertInterval(0, 8 * PAGE, (s, range, seq) -> {
                        delivered.incrementAndGet();
                        TestSupport.spin(500);
                        if (removed.get()) {
                            late.incrementAndGet();
                        }
                        return true;
                    });
                    TestSupport.spin(5_000);
                    sub.remove();
                    removed.set(true);
                });
            } finally {
                stop.set(true);
            }
        }
        assertTrue(delivered.get() > rounds / 10, "the race was not exercised: " + delivered + " calls");
        assertEquals(0, late.get(), "an interval callback ran after remove returned (" + rounds + " rounds)");
        assertEquals(0, mm.notifiers().intervalCount());
    }
}
