package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Shared registrations: mmu_notifier_get/put keyed by ops, freed after a grace period. */
class GetPutTest extends NotifierTestBase {
    /** GRU-style ops: counts allocations and frees. */
    static final class CountingOps implements MmuNotifierOps<RecordingNotifier> {
        final AtomicInteger allocated = new AtomicInteger();
        final List<RecordingNotifier> freed = new CopyOnWriteArrayList<>();

        @Override
        public RecordingNotifier allocNotifier(MmStruct mm) {
            allocated.incrementAndGet();
            return new RecordingNotifier(MmuNotifierContract.V2_6_27);
        }

        @Override
        public void freeNotifier(RecordingNotifier notifier) {
            freed.add(notifier);
        }
    }

    @Test
    void getSharesOneRegistrationPerOpsAndMm() {
        Mm other = newMm();
        CountingOps ops = new CountingOps();
        RecordingNotifier a = mm.get(ops);
        RecordingNotifier b = mm.get(ops);
        RecordingNotifier c = other.get(ops);
        assertSame(a, b);
        assertNotSame(a, c);
        assertEquals(2, ops.allocated.get());
        assertEquals(1, mm.notifiers().notifierCount());
        TestSupport.invalidatePage(mm, 0);
        assertEquals(List.of("page 0x0"), a.calls(), "a shared registration must be called once");
    }

    @Test
    void theLastPutUnlinksWithoutReleaseAndFreesAfterAGracePeriod() {
        CountingOps ops = new CountingOps();
        RecordingNotifier n = mm.get(ops);
        mm.get(ops);
        mm.put(n);
        assertEquals(1, mm.notifiers().notifierCount());
        mm.put(n);
        assertEquals(0, mm.notifiers().notifierCount());
        core.synchronize(); // mmu_notifier_synchronize: the free has run when it returns
        assertEquals(List.of(n), ops.freed);
        assertEquals(List.of(), n.calls(), "put must not call release");
        RecordingNotifier fresh = mm.get(ops);
        assertNotSame(n, fresh);
    }

    @Test
    void freeWaitsForCallbacksInFlight() throws Exception {
        TestSupport.Gate gate = new TestSupport.Gate();
        AtomicBoolean passedAtFree = new AtomicBoolean();
        MmuNotifierOps<RecordingNotifier> ops = new MmuNotifierOps<>() {
            @Override
            public RecordingNotifier allocNotifier(MmStruct m) {
                return new RecordingNotifier(MmuNotifierContract.V2_6_27) {
                    @Override
                    public void invalidatePage(MmStruct mm2, long address) {
                        gate.pass();
                    }
                };
            }

            @Override
            public void freeNotifier(RecordingNotifier notifier) {
                passedAtFree.set(gate.passed());
            }
        };
        RecordingNotifier n = mm.get(ops);
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("reclaim", () -> TestSupport.invalidatePage(mm, 0));
            gate.awaitInside();
            mm.put(n);
            Thread.sleep(50);
            gate.open();
        }
        core.synchronize();
        assertTrue(passedAtFree.get(), "freeNotifier ran while a callback was still running");
    }

    @Test
    void putFromReleaseDoesNotDeadlock() {
        CountingOps ops = new CountingOps();
        MmuNotifierOps<RecordingNotifier> putting = new MmuNotifierOps<>() {
            @Override
            public RecordingNotifier allocNotifier(MmStruct m) {
                return new RecordingNotifier(MmuNotifierContract.V2_6_27) {
                    @Override
                    public void release(MmStruct mm2) {
                        super.release(mm2);
                        mm2.put(this);
                    }
                };
            }

            @Override
            public void freeNotifier(RecordingNotifier notifier) {
                ops.freeNotifier(notifier);
            }
        };
        RecordingNotifier n = mm.get(putting);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            mm.mmput();
            core.synchronize();
        });
        assertEquals(List.of("release"), n.calls());
        assertEquals(List.of(n), ops.freed);
        assertFalse(mm.notifiers().hasHooks());
    }
}
