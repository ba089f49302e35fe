package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.testkit.TestMachineTest.Recorder;

/** The kit's race, without a controlled scheduler: ordered by latches where a test needs one order. */
class RaceTest {
    private static final long P = 4096;
    private static final long A = 0x10_0000L;

    /** A process with one page at {@code A}, a registered notifier and its device. */
    record Rig(TestProcess p, DeviceAccess device, CountDownLatch faulted, CountDownLatch unmapped) {
        static Rig on(TestMachine m) {
            TestProcess p = m.spawn();
            p.mmap(A, P, TestProcess.PROT_READ | TestProcess.PROT_WRITE);
            p.write(A, 1);
            Recorder r = new Recorder();
            p.mm().register(r);
            return new Rig(p, m.oracle().device(r, p.mm()), new CountDownLatch(1), new CountDownLatch(1));
        }

        MappedFrame fault() {
            return p.mm().faultRange(A, A + P, false)[0];
        }
    }

    private static Race<Rig> race() {
        return Race.of(TestMachine.settings().driver("com.example.race-test"), Rig::on);
    }

    @Test
    void actorsThatKeepToTheContractPass() {
        Race.Outcome o = race()
                .actor("primary", r -> r.p().write(A, 2), r -> r.p().mprotect(A, P, TestProcess.PROT_READ))
                .actor("device", r -> r.device().read(r.fault()), r -> r.device().read(r.fault()))
                .run();

        assertTrue(o.isClean(), o.message());
        race().actor("a", r -> r.p().read(A)).actor("b", r -> r.p().read(A)).assertCoherent();
    }

    @Test
    void aTranslationUsedAfterTheUnmapFailsNamingTheRuleTheAddressAndHowToReplay() {
        Race<Rig> race = race()
                .actor("device", r -> {
                    MappedFrame f = r.fault();
                    r.faulted().countDown();
                    Waits.await(r.unmapped());
                    r.device().read(f);
                })
                .actor("primary", r -> {
                    Waits.await(r.faulted());
                    r.p().munmap(A, P);
                    r.unmapped().countDown();
                });
        System.setProperty(Race.REPLAY_PROPERTY, "Replay: run it with -Dplanted=1.");
        AssertionError e;
        try {
            e = assertThrows(AssertionError.class, race::assertCoherent);
        } finally {
            System.clearProperty(Race.REPLAY_PROPERTY);
        }

        String m = e.getMessage();
        assertTrue(m.startsWith("race of device (1 step), primary (1 step): 1 violation, 0 failures\n  "), m);
        assertTrue(m.contains("\n\nThe first violation's report:\n\nviolation #1: USE_AFTER_FREE by com.example.race-test\n"
                + "read at 0x100000 of mm "), m);
        assertTrue(m.contains("by thread \"device\""), m);
        assertTrue(m.endsWith("\n\nReplay: run it with -Dplanted=1."), m);
        assertEquals(1, race.run().reports().size()); // each run a fresh machine: the same one violation
    }

    @Test
    void anActorThatThrowsFailsTheRaceNamingItsStep() {
        Race.Outcome o = race()
                .actor("primary", r -> r.p().write(A, 2), r -> {
                    throw new IllegalStateException("planted");
                })
                .actor("device", r -> r.device().read(r.fault()))
                .run();

        assertEquals(1, o.failures().size(), o.message());
        assertTrue(o.failures().get(0).startsWith("actor primary step 2 threw java.lang.IllegalStateException: planted"),
                o.message());
        assertThrows(AssertionError.class, () -> race().actor("a", r -> {
            throw new IllegalStateException("planted");
        }).actor("b", r -> r.p().read(A)).assertCoherent());
    }

    @Test
    void anActorStillRunningAfterTheBoundFailsTheRaceInsteadOfHangingIt() {
        CountDownLatch never = new CountDownLatch(1);
        long t0 = System.nanoTime();
        Race.Outcome o = race()
                .actor("stuck", r -> never.await())
                .actor("device", r -> r.device().read(r.fault()))
                .within(Duration.ofMillis(200))
                .run();

        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos());
        assertEquals(1, o.failures().size(), o.message());
        assertTrue(o.failures().get(0).startsWith("actor stuck did not finish within PT0.2S:\n    at "), o.message());
    }

    @Test
    void aRaceIsTwoToFourActorsOfAtLeastOneStepEach() {
        Race<Rig> one = race().actor("a", r -> r.p().read(A));
        assertThrows(IllegalStateException.class, one::run);
        Race<Rig> four = race().actor("a", r -> { }).actor("b", r -> { }).actor("c", r -> { }).actor("d", r -> { });
        assertThrows(IllegalStateException.class, () -> four.actor("e", r -> { }));
        assertThrows(IllegalArgumentException.class, () -> race().actor("empty"));
        assertThrows(IllegalArgumentException.class, () -> race().within(Duration.ZERO));
    }
}
