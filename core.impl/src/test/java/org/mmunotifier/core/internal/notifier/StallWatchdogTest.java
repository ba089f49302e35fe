package org.mmunotifier.core.internal.notifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;

/**
 * A callback that does not return is reported once, naming who and what, and holds nothing up
 * for longer than the give-up bound: not unrelated unregisters, not exit, not registration.
 */
class StallWatchdogTest {
    private static final long STALL_MS = 100;
    private static final long GIVE_UP_MS = 1_000;
    private static final long REGION = 0x4000_0000L;
    private static final long PAGE = Addresses.PAGE_SIZE;
    private static final String BUNDLE = "com.example.stuck 2.0.0 [17]";

    private final Machine machine = new Machine(256, PageLayout.BITS_64);
    private final NotifierCore core = machine.notifierCore();
    private final Owner stuckOwner = core.newOwner(BUNDLE, 17);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch inside = new CountDownLatch(1);

    /** Blocks in invalidateRangeStart until the test lets it go. */
    private final class Stuck implements MmuNotifier {
        final AtomicInteger starts = new AtomicInteger();
        final AtomicInteger callsAfterUnregister = new AtomicInteger();
        volatile boolean unregistered;

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            if (unregistered) {
                callsAfterUnregister.incrementAndGet();
            }
            if (starts.getAndIncrement() == 0) {
                inside.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            if (unregistered) {
                callsAfterUnregister.incrementAndGet();
            }
        }

        @Override
        public String toString() {
            return "Stuck";
        }
    }

    private final Stuck stuck = new Stuck();

    @BeforeEach
    void setUp() {
        core.stallPolicy().set(STALL_MS, GIVE_UP_MS);
        core.setOwnerResolver(code -> code == stuck ? stuckOwner : Owner.NONE);
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        machine.close();
    }

    private Process process() {
        Process p = machine.spawn();
        p.mm().mmap(REGION, 4 * PAGE, Vma.PROT_READ | Vma.PROT_WRITE, false);
        p.mm().write(REGION, 1);
        return p;
    }

    /** Starts an mprotect (mmap_lock held for write) whose start callback gets stuck. */
    private Thread stuckMprotect(AddressSpace mm) throws InterruptedException {
        mm.register(stuck);
        Thread t = new Thread(() -> mm.mprotect(REGION, 4 * PAGE, Vma.PROT_READ), "workload-stuck");
        t.setDaemon(true);
        t.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        return t;
    }

    @Test
    void aStuckCallbackIsReportedOnceNamingTheBundleTheOperationAndTheStack() throws Exception {
        AddressSpace mm = process().mm();
        Thread t = stuckMprotect(mm);
        Stall s = awaitStall(Stall.Kind.CALLBACK);
        assertEquals(17, s.bundleId());
        assertEquals(BUNDLE, s.bundle());
        assertTrue(s.notifier().startsWith("Stuck"), s.notifier());
        assertEquals("invalidate_range_start PROTECTION_VMA [0x40000000, 0x40004000)", s.operation());
        assertEquals(mm.id(), s.mmId());
        assertEquals("workload-stuck", s.thread());
        assertTrue(s.ongoing());
        assertTrue(s.stack().stream().anyMatch(f -> f.contains("Stuck.invalidateRangeStart")), s.stack().toString());
        TestSupport.spin(3 * STALL_MS * 1_000_000);
        assertEquals(1, core.watchdog().recent().stream().filter(x -> x.kind() == Stall.Kind.CALLBACK).count(),
                "reported once");
        release.countDown();
        t.join(5_000);
        await(() -> !core.watchdog().recent().get(0).ongoing());
        assertTrue(core.watchdog().recent().get(0).millis() >= STALL_MS);
    }

    @Test
    void anUnrelatedUnregisterWaitsNoLongerThanAStall() throws Exception {
        stuckMprotect(process().mm());
        AddressSpace other = process().mm();
        MmuNotifier unrelated = new MmuNotifier() { };
        other.register(unrelated);
        long t0 = System.nanoTime();
        TestSupport.callWithin(5_000, () -> {
            other.unregister(unrelated);
            return null;
        });
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < GIVE_UP_MS, "unregister on an unrelated mm waited " + ms + " ms for a stuck callback");
    }

    @Test
    void unregisteringTheStuckNotifierGivesUpAfterTheBoundAndItIsNeverCalledAgain() throws Exception {
        AddressSpace mm = process().mm();
        Thread t = stuckMprotect(mm);
        long t0 = System.nanoTime();
        TestSupport.callWithin(10_000, () -> {
            mm.unregister(stuck);
            return null;
        });
        stuck.unregistered = true;
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= GIVE_UP_MS - 50 && ms < 5 * GIVE_UP_MS, "gave up after " + ms + " ms");
        await(() -> core.watchdog().recent().stream().anyMatch(s -> s.outcome().contains("gave up")));
        release.countDown();
        t.join(5_000);
        assertFalse(t.isAlive());
        mm.munmap(REGION, PAGE);
        assertEquals(0, stuck.callsAfterUnregister.get(), "called after its unregister returned");
    }

    /**
     * Once a grace period gave up on a stuck section, every later grace period that meets it (each
     * process exit's) gives up at once: they are counted on the first report, not reported each
     * (they once pushed every other stall out of the kept history within a second).
     */
    @Test
    void laterGracePeriodsGivingUpOnTheSameStuckSectionAreCountedNotReportedAgain() throws Exception {
        AddressSpace mm = process().mm();
        Thread t = stuckMprotect(mm);
        TestSupport.callWithin(10_000, () -> {
            mm.unregister(stuck);
            return null;
        });
        stuck.unregistered = true;
        await(() -> core.watchdog().recent().stream().anyMatch(s -> s.outcome().startsWith("gave up after")));
        for (int i = 0; i < 40; i++) {
            Process p = process();
            p.mm().register(new MmuNotifier() { });
            TestSupport.callWithin(10_000, () -> {
                p.exit();
                return null;
            });
        }
        List<Stall> gaveUp = core.watchdog().recent().stream().filter(s -> s.outcome().startsWith("gave up after")).toList();
        assertEquals(1, gaveUp.size(), gaveUp.size() + " give-ups reported: " + gaveUp.stream().map(Stall::bundle).limit(5).toList());
        assertTrue(gaveUp.get(0).outcome().contains("40 later grace periods on the same section (the last for exit of mm"),
                gaveUp.get(0).outcome());
        release.countDown();
        t.join(5_000);
    }

    @Test
    void exitWithItsLockHeldByAStuckCallbackReturnsAndTearsDownLater() throws Exception {
        Process p = process();
        Thread t = stuckMprotect(p.mm());
        TestSupport.callWithin(10_000, () -> {
            p.exit();
            return null;
        });
        assertTrue(machine.memory().usedCount() > 0, "nothing can be freed while the lock is held");
        release.countDown();
        t.join(5_000);
        await(() -> machine.memory().usedCount() == 0);
        assertEquals(List.of(), machine.checkConsistency());
    }

    @Test
    void registeringOnAnMmWedgedByAStuckCallbackFailsAfterTheBound() throws Exception {
        AddressSpace mm = process().mm();
        stuckMprotect(mm);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TestSupport.callWithin(10_000, () -> {
                    mm.register(new MmuNotifier() { });
                    return null;
                }));
        assertTrue(e.getMessage().contains("mmap_lock of mm " + mm.id()), e.getMessage());
        assertTrue(core.watchdog().recent().stream().anyMatch(s -> s.kind() == Stall.Kind.WAIT), "the wait was reported");
    }

    private Stall awaitStall(Stall.Kind kind) throws InterruptedException {
        await(() -> core.watchdog().recent().stream().anyMatch(s -> s.kind() == kind));
        return core.watchdog().recent().stream().filter(s -> s.kind() == kind).findFirst().orElseThrow();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(5);
        }
    }
}
