package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mmunotifier.core.internal.notifier.TestSupport.PAGE;
import static org.mmunotifier.core.internal.notifier.TestSupport.invalidate;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.testing.RecordingNotifier;

/** Invariant 11 below OSGi: what an owner leaves behind is taken back, and it is never called again. */
class OwnerTest extends NotifierTestBase {
    private final Owner driver = core.newOwner("driver", 7);
    private final Map<Object, Owner> owners = new ConcurrentHashMap<>();

    @BeforeEach
    void resolveOwnersByIdentity() {
        core.setOwnerResolver(code -> owners.getOrDefault(code, Owner.NONE));
    }

    private <T> T ownedByDriver(T code) {
        owners.put(code, driver);
        return code;
    }

    /** Counts every call; a call after {@code closed} is set is a call into a gone owner. */
    private static final class Counting extends RecordingNotifier implements MmuRmapNotifier {
        final AtomicInteger afterClose = new AtomicInteger();
        volatile boolean closed;

        @Override
        public synchronized void record(String call) {
            if (closed) {
                afterClose.incrementAndGet();
            }
        }

        @Override
        public void invalidatePage(org.mmunotifier.api.page.Page page) {
            record("rmap");
        }
    }

    @Test
    void closeTakesBackEveryKindOfRegistrationAndNamesThem() {
        int mmCount = mm.mmCount();
        Counting n = ownedByDriver(new Counting());
        mm.register(n);
        MmuNotifierOps<Counting> ops = ownedByDriver(new MmuNotifierOps<>() {
            @Override
            public Counting allocNotifier(MmStruct m) {
                return new Counting();
            }

            @Override
            public void freeNotifier(Counting notifier) {
                throw new AssertionError("a force-removed get/put notifier must not be freed by calling into its owner");
            }
        });
        mm.get(ops);
        AtomicInteger intervalCalls = new AtomicInteger();
        mm.insertInterval(0, 16 * PAGE, ownedByDriver((sub, range, seq) -> {
            intervalCalls.incrementAndGet();
            return true;
        }));
        core.registerRmap(n);
        assertEquals(4, driver.leaseCount());

        List<String> left = driver.close(false);

        assertEquals(4, left.size(), left.toString());
        assertTrue(left.stream().anyMatch(s -> s.startsWith("rmap notifier")), left.toString());
        assertTrue(left.stream().anyMatch(s -> s.startsWith("interval")), left.toString());
        assertTrue(left.stream().anyMatch(s -> s.startsWith("get/put notifier")), left.toString());
        assertEquals(0, mm.notifiers().notifierCount());
        assertEquals(0, mm.notifiers().intervalCount());
        assertEquals(0, core.rmapNotifierCount());
        core.synchronize(); // any deferred free_notifier would have run by now
        assertEquals(mmCount, mm.mmCount(), "every forced removal drops its mm reference once");
        n.closed = true;
        invalidate(mm, 0, 16 * PAGE);
        assertEquals(0, n.afterClose.get());
        assertEquals(0, intervalCalls.get());
        assertEquals(0, core.lateCalls());
    }

    @Test
    void whatTheOwnerUnregisteredItselfIsNotLeftBehind() {
        RecordingNotifier n = ownedByDriver(new RecordingNotifier());
        mm.register(n);
        MmuIntervalSubscription sub = mm.insertInterval(0, PAGE, ownedByDriver((s, r, q) -> true));
        mm.unregister(n);
        sub.remove();
        assertEquals(0, driver.leaseCount());
        assertEquals(List.of(), driver.close(false));
    }

    @Test
    void aClosingOwnerCannotRegisterAndNothingChanges() {
        driver.close(false);
        RecordingNotifier n = ownedByDriver(new RecordingNotifier());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> mm.register(n));
        assertTrue(e.getMessage().contains("driver"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> mm.insertInterval(0, PAGE, ownedByDriver((s, r, q) -> true)));
        assertThrows(IllegalStateException.class, () -> core.registerRmap(ownedByDriver(new Counting())));
        assertEquals(0, mm.notifiers().notifierCount());
        assertEquals(0, mm.notifiers().intervalCount());
        assertEquals(0, core.rmapNotifierCount());
        assertFalse(mm.notifiers().hasHooks());
    }

    @Test
    void closeWaitsForTheInvalidationInFlightAndNothingEntersTheOwnerAfterwards() throws Exception {
        Counting n = ownedByDriver(new Counting());
        mm.register(n);
        CountDownLatch inPtes = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicBoolean endSawClosed = new AtomicBoolean();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("invalidate", () -> invalidate(mm, 0, PAGE, MmuNotifierEvent.UNMAP, true, () -> {
                inPtes.countDown();
                TestSupport.awaitLatch(closing);
                TestSupport.spin(20_000_000);
                endSawClosed.set(closeReturned.get());
            }));
            TestSupport.awaitLatch(inPtes);
            w.start("close", () -> {
                closing.countDown();
                driver.close(false);
                closeReturned.set(true);
            });
        }
        assertFalse(endSawClosed.get(), "close returned while an invalidation was still going to call the owner's end");
        assertEquals(0, core.lateCalls());
    }

    @Test
    void anOwnerThatHasAlreadyStoppedIsNotCalledDuringItsCleanupAndTheAttemptIsCounted() throws Exception {
        // The fallback path: the bundle is already stopped when the core notices, and one of its
        // registrations cannot be killed at once (exit is inside its release). A dispatch that
        // read the list before the cleanup unlinked it gets there meanwhile: it must not enter
        // the owner; the attempt is refused and counted.
        TestSupport.Gate dispatchGate = new TestSupport.Gate();
        mm.register(new MmuNotifier() { // not the driver's: it holds the dispatch up
            @Override
            public boolean testYoung(MmStruct m, long address) {
                dispatchGate.pass();
                return false;
            }
        });
        TestSupport.Gate inRelease = new TestSupport.Gate();
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        mm.register(ownedByDriver(new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                inRelease.pass();
            }

            @Override
            public boolean testYoung(MmStruct m, long address) {
                calls.add("testYoung");
                return false;
            }
        }));
        CountDownLatch dispatched = new CountDownLatch(1);
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("dispatch", () -> {
                mm.notifiers().testYoung(0);
                dispatched.countDown();
            });
            dispatchGate.awaitInside(); // the dispatch has the list with the driver's notifier in it
            w.start("exit", mm::mmput);
            inRelease.awaitInside(); // exit holds the driver's release: the cleanup must wait for it
            w.start("close", () -> driver.close(true));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!driver.isGone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(driver.isGone());
            dispatchGate.open(); // the dispatch reaches the driver's notifier: releasing, owner gone
            TestSupport.awaitLatch(dispatched);
            inRelease.open();
        }
        assertEquals(List.of(), calls);
        assertEquals(1, core.lateCalls());
        assertEquals(0, mm.notifiers().notifierCount());
    }

    @Test
    void aDispatchHoldingARegistrationTakenBackSkipsItWithoutCountingIt() throws Exception {
        // A dispatch read the list before the cleanup unlinked the owner's notifier; by the time
        // it gets there the registration is dead: skipped, and not a call into a stopped bundle.
        TestSupport.Gate gate = new TestSupport.Gate();
        mm.register(new MmuNotifier() { // not the driver's: it holds the dispatch up
            @Override
            public boolean testYoung(MmStruct m, long address) {
                gate.pass();
                return false;
            }
        });
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        mm.register(ownedByDriver(new MmuNotifier() {
            @Override
            public boolean testYoung(MmStruct m, long address) {
                calls.add("testYoung");
                return false;
            }
        }));
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("dispatch", () -> mm.notifiers().testYoung(0));
            gate.awaitInside(); // the dispatch has the list with the driver's notifier in it
            w.start("close", () -> driver.close(true));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (mm.notifiers().notifierCount() != 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            gate.open();
        }
        assertEquals(List.of(), calls);
        assertEquals(0, core.lateCalls());
        assertEquals(1, mm.notifiers().notifierCount());
    }

    @Test
    void registrationsRacingCloseAreEitherTakenBackOrRefused() throws Exception {
        int mmCount = mm.mmCount();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger registered = new AtomicInteger();
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("register", () -> {
                for (int i = 0; i < 2_000 && !driver.isGone(); i++) {
                    try {
                        mm.register(ownedByDriver(new RecordingNotifier()));
                        registered.incrementAndGet();
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                    }
                }
            });
            w.start("close", () -> {
                while (registered.get() < 10) {
                    Thread.onSpinWait();
                }
                driver.close(false);
            });
        }
        assertTrue(registered.get() >= 10);
        assertEquals(0, mm.notifiers().notifierCount(), "a registration slipped past close");
        assertEquals(0, driver.leaseCount());
        assertEquals(mmCount, mm.mmCount());
    }

    @Test
    void closeWaitsForTheReleaseExitIsRunningInTheOwnersNotifier() throws Exception {
        TestSupport.Gate gate = new TestSupport.Gate();
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicBoolean releaseSawClosed = new AtomicBoolean();
        mm.register(ownedByDriver(new MmuNotifier() {
            @Override
            public void release(MmStruct m) {
                gate.pass();
                releaseSawClosed.set(closeReturned.get());
            }
        }));
        Mm victim = mm;
        try (TestSupport.Workers w = new TestSupport.Workers()) {
            w.start("exit", () -> machine.processes().stream().filter(p -> p.mm() == victim).findFirst().orElseThrow()
                    .exit());
            gate.awaitInside();
            w.start("close", () -> {
                driver.close(false);
                closeReturned.set(true);
            });
            TestSupport.spin(20_000_000);
            gate.open();
        }
        assertFalse(releaseSawClosed.get(), "close returned while exit was still calling the owner's release");
        assertTrue(closeReturned.get());
        assertEquals(0, core.lateCalls());
    }

    @Test
    void aFreeNotifierAPutLeftPendingRunsBeforeTheOwnerIsGone() {
        AtomicInteger freed = new AtomicInteger();
        MmuNotifierOps<RecordingNotifier> ops = ownedByDriver(new MmuNotifierOps<>() {
            @Override
            public RecordingNotifier allocNotifier(MmStruct m) {
                return new RecordingNotifier();
            }

            @Override
            public void freeNotifier(RecordingNotifier notifier) {
                freed.incrementAndGet();
            }
        });
        mm.put(mm.get(ops)); // free_notifier is now queued for after a grace period
        driver.close(false);
        assertEquals(1, freed.get());
        assertEquals(0, core.lateCalls());
    }
}
