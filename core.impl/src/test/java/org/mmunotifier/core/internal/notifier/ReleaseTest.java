package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariants 1, 3 and 4: release before unlink, exactly once, and unregister from callbacks. */
class ReleaseTest extends NotifierTestBase {
    private static final Duration DEADLOCK = Duration.ofSeconds(10);

    /**
     * Invariant 1. While exit is inside one notifier's release, reclaim on another thread unmaps
     * a page that notifier mirrors and is about to free it. The notifier must still be linked, so
     * the per-page invalidate reaches it. Unlinking before release (the 2008 order) lets reclaim
     * find no notifier and free a page the secondary MMU still maps.
     */
    @Test
    void releaseRunsWhileTheNotifierIsStillLinked() throws Exception {
        CountDownLatch inRelease = new CountDownLatch(1);
        CountDownLatch reclaimed = new CountDownLatch(1);
        Set<Long> mirrored = ConcurrentHashMap.newKeySet();
        mirrored.add(4 * PAGE);
        mm.register(new MmuNotifier() {
            @Override
            public MmuNotifierContract contract() {
                return MmuNotifierContract.V2_6_27; // written for invalidate_page
            }

            @Override
            public void release(MmStruct m) {
                inRelease.countDown();
                try {
                    // A slow release: reclaim runs meanwhile.
                    reclaimed.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                mirrored.clear();
            }

            @Override
            public void invalidatePage(MmStruct m, long address) {
                mirrored.remove(address);
            }
        });
        AtomicInteger stillMappedAtFree = new AtomicInteger(-1);
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("exit", mm::mmput);
            w.start("reclaim", () -> {
                try {
                    assertTrue(inRelease.await(5, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                TestSupport.invalidatePage(mm, 4 * PAGE); // pte cleared; page freed after this returns
                stillMappedAtFree.set(mirrored.contains(4 * PAGE) ? 1 : 0);
                reclaimed.countDown();
            });
        }
        assertEquals(0, stillMappedAtFree.get(), "page freed while a secondary MMU still mapped it");
    }

    /** Invariant 3: exit and unregister race; release is called exactly once, every time. */
    @Test
    void exitRacingUnregisterReleasesExactlyOnce() throws Exception {
        AtomicInteger twice = new AtomicInteger();
        AtomicInteger never = new AtomicInteger();
        int runs = TestSupport.repeat(Duration.ofSeconds(3), 3_000, i -> {
            Mm mm = newMm();
            AtomicInteger releases = new AtomicInteger();
            MmuNotifier n = new MmuNotifier() {
                @Override
                public void release(MmStruct m) {
                    releases.incrementAndGet();
                    TestSupport.spin(2_000);
                }
            };
            mm.register(n);
            CyclicBarrier go = new CyclicBarrier(2);
            try (TestSupport.Workers w = new TestSupport.Workers()) {
                w.start("exit", () -> {
                    await(go);
                    mm.mmput();
                });
                w.start("unregister", () -> {
                    await(go);
                    mm.unregister(n);
                });
            }
            if (releases.get() > 1) {
                twice.incrementAndGet();
            } else if (releases.get() == 0) {
                never.incrementAndGet();
            }
            assertFalse(mm.notifiers().hasHooks());
            assertEquals(0, mm.notifiers().notifierCount());
        });
        assertTrue(runs > 100, "too few runs: " + runs);
        assertEquals(0, twice.get(), "release called twice in some of " + runs + " runs");
        assertEquals(0, never.get(), "release never called in some of " + runs + " runs");
    }

    /** Exit must not let pages go while unregister's release (which won the race) is still running. */
    @Test
    void exitWaitsForAReleaseThatUnregisterIsRunning() throws Exception {
        TestSupport.Gate gate = new TestSupport.Gate();
        MmuNotifier n = new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                gate.pass();
            }
        };
        mm.register(n);
        AtomicBoolean passedAtExit = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("unregister", () -> mm.unregister(n));
            gate.awaitInside();
            w.start("exit", () -> {
                mm.mmput();
                passedAtExit.set(gate.passed());
            });
            Thread.sleep(50);
            gate.open();
        }
        assertTrue(passedAtExit.get(), "exit returned while release was still running");
    }

    /** Invariant 4: unregister from release, called by exit. */
    @Test
    void unregisterFromReleaseCalledByExit() {
        AtomicInteger releases = new AtomicInteger();
        mm.register(new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                releases.incrementAndGet();
                m.unregister(this);
            }
        });
        assertTimeoutPreemptively(DEADLOCK, mm::mmput);
        assertEquals(1, releases.get());
        assertEquals(0, mm.notifiers().notifierCount());
    }

    /** Invariant 4: unregister from release, called by unregister itself. */
    @Test
    void unregisterFromReleaseCalledByUnregister() {
        AtomicInteger releases = new AtomicInteger();
        MmuNotifier n = new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                releases.incrementAndGet();
                m.unregister(this);
            }
        };
        mm.register(n);
        assertTimeoutPreemptively(DEADLOCK, () -> mm.unregister(n));
        assertEquals(1, releases.get());
        assertThrows(NotRegisteredException.class, () -> mm.unregister(n));
    }

    /**
     * Invariant 4: unregister from invalidate_range_start and invalidate_page while another thread
     * is inside a callback too; neither waits for its own section.
     */
    @Test
    void unregisterFromOtherCallbacksDoesNotDeadlock() throws Exception {
        RecordingNotifier other = new RecordingNotifier(MmuNotifierContract.V2_6_27);
        MmuNotifier selfRemoving = new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                range.mm().unregister(this);
                return true;
            }

            @Override
            public void invalidateRangeEnd(MmuNotifierRange range) {
                throw new AssertionError("end after unregister returned");
            }
        };
        MmuNotifier pageRemoving = new MmuNotifier() {
            @Override
            public MmuNotifierContract contract() {
                return MmuNotifierContract.V2_6_27; // written for invalidate_page
            }

            @Override
            public void invalidatePage(MmStruct m, long address) {
                m.unregister(this);
            }
        };
        mm.register(selfRemoving);
        mm.register(other);
        mm.register(pageRemoving);
        assertTimeoutPreemptively(DEADLOCK, () -> {
            TestSupport.invalidate(mm, 0, PAGE);
            TestSupport.invalidatePage(mm, PAGE);
        });
        assertEquals(1, mm.notifiers().notifierCount());
        assertEquals(List.of("start UNMAP 0x0-0x1000", "end UNMAP 0x0-0x1000", "page 0x1000"), other.calls());
        assertEquals(0, core.faults().count(), () -> core.faults().recent().toString());
    }

    @Test
    void afterExitUnregisterForgetsTheNotifierWithoutASecondRelease() {
        RecordingNotifier n = new RecordingNotifier();
        mm.register(n);
        mm.mmput();
        assertEquals(List.of("release"), n.calls());
        assertFalse(mm.notifiers().hasHooks());
        mm.unregister(n); // KVM does this when the VM is destroyed after the process exited
        assertEquals(List.of("release"), n.calls());
        assertThrows(MmDeadException.class, () -> mm.register(new RecordingNotifier()));
    }

    @Test
    void releaseComesBeforeTheMmIsGoneForEveryNotifier() {
        RecordingNotifier a = new RecordingNotifier();
        RecordingNotifier b = new RecordingNotifier();
        mm.register(a);
        mm.register(b);
        mm.mmput();
        assertEquals(List.of("release"), a.calls());
        assertEquals(List.of("release"), b.calls());
        assertEquals(0, mm.notifiers().notifierCount());
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
