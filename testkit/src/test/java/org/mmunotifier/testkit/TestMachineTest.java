package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.ProcessListener;

/** The kit as a driver's test uses it. */
@MmuTest(driver = "com.example.kit-test")
class TestMachineTest {
    private static final long P = 4096;
    private static final long A = 0x10_0000L;

    /** Records the callbacks it gets, by kernel name. */
    static final class Recorder implements MmuNotifier {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
            calls.add("invalidate_range");
        }

        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            calls.add("invalidate_range_start " + range.event());
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            calls.add("invalidate_range_end");
        }

        @Override
        public void archInvalidateSecondaryTlbs(MmStruct mm, long start, long end) {
            calls.add("arch_invalidate_secondary_tlbs");
        }
    }

    /** Two resident pages, {@code r} registered, then the munmap of both. */
    private static void unmapUnder(TestMachine machine, Recorder r) {
        TestProcess p = machine.spawn();
        p.mmap(A, 2 * P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        p.write(A, 1);
        p.mm().register(r);
        p.munmap(A, 2 * P);
    }

    /** A read by a registered device through a translation of a page its process then unmapped. */
    private static Runnable staleRead(TestMachine machine) {
        Recorder r = new Recorder();
        TestProcess p = machine.spawn();
        p.mmap(A, P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        p.mm().register(r);
        MappedFrame f = p.mm().faultRange(A, A + P, true)[0];
        p.munmap(A, P);
        return () -> machine.oracle().device(r, p.mm()).read(f);
    }

    @Test
    void eachTestGetsAFreshMachine(TestMachine machine) {
        TestProcess p = machine.spawn();
        assertEquals(1, p.pid());
        assertEquals(List.of(1), machine.processes().pids());
        assertEquals(0, machine.framesInUse());
    }

    @Test
    void aMunmapUnderToday_sContractIsARangeStartTheTlbFlushAndTheEnd(TestMachine machine) {
        Recorder r = new Recorder();
        unmapUnder(machine, r);

        assertEquals(List.of("invalidate_range_start UNMAP", "arch_invalidate_secondary_tlbs", "invalidate_range_end"),
                r.calls);
        machine.assertClean();
    }

    @Test
    @MmuTest(contract = "seed")
    void theSettingsPickTheSeedContract(TestMachine machine) {
        Recorder r = new Recorder();
        unmapUnder(machine, r);

        assertEquals(List.of("invalidate_range"), r.calls);
    }

    @Test
    void listenersHearOfEveryProcessInOrder(TestMachine machine) {
        List<String> heard = new CopyOnWriteArrayList<>();
        TestProcess first = machine.spawn();
        machine.attach(new ProcessListener() {
            @Override
            public void spawned(int pid, MmStruct mm) {
                heard.add("spawned " + pid);
            }

            @Override
            public void exiting(int pid, MmStruct mm) {
                heard.add("exiting " + pid + (mm.isAlive() ? "" : " (already dead)"));
            }
        });
        TestProcess child = first.fork();
        child.exit();
        first.oomKill();

        assertEquals(List.of("spawned 1", "spawned 2", "exiting 2", "exiting 1"), heard);
    }

    @Test
    void anAccessThroughATranslationThePrimaryTookAwayFailsAssertCoherentNamingTheDriverAndTheRule(
            TestMachine machine) {
        staleRead(machine).run();

        AssertionError e = assertThrows(AssertionError.class, machine::assertCoherent);
        assertTrue(e.getMessage().startsWith("1 violation:"), e.getMessage());
        assertTrue(e.getMessage().contains("com.example.kit-test") && e.getMessage().contains("USE_AFTER_FREE"),
                e.getMessage());
        assertTrue(e.getMessage().contains("The first violation's report:\n\nviolation #1: USE_AFTER_FREE by"
                + " com.example.kit-test"), e.getMessage());
        assertTrue(e.getMessage().contains("The access:\n    at " + TestMachineTest.class.getName()), e.getMessage());
        assertEquals(1, machine.violationReports().size());
        assertThrows(AssertionError.class, machine::assertClean);
    }

    @Test
    void aThrowingCallbackIsAFault(TestMachine machine) {
        TestProcess p = machine.spawn();
        p.mmap(A, P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        p.write(A, 1);
        p.mm().register(new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                throw new IllegalStateException("planted");
            }
        });

        p.munmap(A, P); // the core survives it

        AssertionError e = assertThrows(AssertionError.class, machine::assertNoFault);
        assertTrue(e.getMessage().contains("planted") && e.getMessage().contains("com.example.kit-test"),
                e.getMessage());
    }

    @Test
    void aRegistrationLeftBehindIsAForcedCleanup(TestMachine machine) {
        TestProcess p = machine.spawn();
        p.mm().register(new Recorder());
        machine.assertNoForcedCleanup();

        assertEquals(1, machine.stopDriver().size());

        AssertionError e = assertThrows(AssertionError.class, machine::assertNoForcedCleanup);
        assertTrue(e.getMessage().startsWith("1 forced cleanup:"), e.getMessage());
        assertEquals(0, machine.registrationsOn(p.mm()));
    }

    @Test
    void theWorkloadAnnouncesItsProcessesAndRunsTheDeviceLoops(TestMachine machine) {
        List<Integer> spawned = new CopyOnWriteArrayList<>();
        List<Integer> exited = new CopyOnWriteArrayList<>();
        machine.attach(new ProcessListener() {
            @Override
            public void spawned(int pid, MmStruct mm) {
                spawned.add(pid);
            }

            @Override
            public void exiting(int pid, MmStruct mm) {
                exited.add(pid);
            }
        });

        WorkloadRun run = machine.runWorkload(3, 2, 2, Duration.ofMillis(500), random -> Thread.sleep(1));

        assertEquals(3, run.seed());
        assertTrue(run.total() > 100 && run.deviceSteps() > 10, run.toString());
        assertTrue(spawned.size() >= 2, spawned.toString());
        assertEquals(spawned.stream().sorted().toList(), exited.stream().sorted().toList());
        assertTrue(run.toString().contains("not the interleaving"), run.toString());
        machine.assertClean();
    }

    @Test
    void aRunUntilProblemEndsWithinMillisecondsOfTheFirstViolation(TestMachine machine) {
        Runnable staleRead = staleRead(machine);
        AtomicInteger steps = new AtomicInteger();

        WorkloadRun run = machine.runWorkloadUntilProblem(5, 2, 2, Duration.ofSeconds(30), random -> {
            if (steps.incrementAndGet() == 100) {
                staleRead.run(); // the planted bug
            }
            Thread.sleep(1);
        });

        assertTrue(run.firstProblemNanos() > 0 && run.nanos() < 10_000_000_000L, run.toString());
        assertTrue(run.toString().contains("first problem after"), run.toString());
        assertEquals(1, machine.problemCount());
        assertThrows(AssertionError.class, machine::assertCoherent);
    }

    @Test
    void aRunWithoutProblemsLastsItsBudget(TestMachine machine) {
        WorkloadRun run = machine.runWorkloadUntilProblem(6, 1, 1, Duration.ofMillis(300), random -> Thread.sleep(1));

        assertEquals(-1, run.firstProblemNanos());
        assertTrue(run.nanos() >= 280_000_000L, run.toString()); // its own clock starts just after the deadline is set
        machine.assertClean();
    }

    /**
     * A put whose free is still pending when the driver stops: held up by a callback of the
     * driver's running on another thread (in its own grace period), it comes after the stop.
     */
    @Test
    void aFreeStillPendingWhenTheDriverStopsIsACallAfterStop(TestMachine machine) throws Exception {
        TestProcess busy = machine.spawn();
        busy.mmap(A, P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
        busy.write(A, 1);
        CountDownLatch inEnd = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        busy.mm().register(new MmuNotifier() {
            @Override
            public void invalidateRangeEnd(MmuNotifierRange range) {
                inEnd.countDown();
                await(letGo); // the munmap's last call: nothing of it follows
            }
        });
        Thread unmapper = new Thread(() -> busy.munmap(A, P), "unmapper");
        unmapper.start();
        assertTrue(inEnd.await(10, TimeUnit.SECONDS));
        TestProcess p = machine.spawn();
        MmuNotifierOps<Recorder> ops = mm -> new Recorder();
        p.mm().put(p.mm().get(ops)); // its free waits for the unmapper's section; no synchronize()
        Thread release = new Thread(() -> {
            sleep(200);
            letGo.countDown();
        });
        release.start();

        machine.stopDriver(); // the bundle is gone before the free ran

        unmapper.join(10_000);
        assertEquals(1, machine.callsAfterStop());
        AssertionError e = assertThrows(AssertionError.class, machine::assertNoCallAfterStop);
        assertTrue(e.getMessage().startsWith("1 call after the driver stopped:") && e.getMessage().contains("freeNotifier"),
                e.getMessage());
        assertThrows(AssertionError.class, machine::assertClean);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aDeviceLoopThatThrowsFailsTheRun(TestMachine machine) {
        AssertionError e = assertThrows(AssertionError.class, () -> machine.runWorkload(1, 1, 1,
                Duration.ofSeconds(30), random -> {
                    throw new IllegalStateException("device broke");
                }));
        assertTrue(e.getMessage().contains("device broke"), e.getMessage());
    }

    @Test
    void badSettingsAreRefusedWithOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestMachine.settings().contract("7.x"));
        assertEquals("no MMU-notifier contract '7.x': one of seed, 2.6.27, 6.x", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestMachine.settings().frames(3));
        assertThrows(IllegalArgumentException.class, () -> DemoLayout.region(4));
    }
}
