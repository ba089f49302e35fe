package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeviceThreadsTest {

    @Test
    void stopWaitsForTheStepInFlight() throws Exception {
        DeviceThreads engines = new DeviceThreads("test-engine");
        CountDownLatch inStep = new CountDownLatch(1);
        AtomicBoolean stepDone = new AtomicBoolean();
        engines.start(1, 1, rnd -> {
            inStep.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            stepDone.set(true);
            return true;
        });
        assertTrue(inStep.await(5, TimeUnit.SECONDS));
        engines.stop();
        assertTrue(stepDone.get(), "stop returned while a step was still running");
    }

    @Test
    void aStepReturningFalseEndsItsThreadAndTheEnginesCanStartAgain() throws Exception {
        DeviceThreads engines = new DeviceThreads("test-engine");
        AtomicInteger steps = new AtomicInteger();
        CountDownLatch ended = new CountDownLatch(2);
        engines.start(2, 7, rnd -> {
            if (steps.incrementAndGet() < 10) {
                return true;
            }
            ended.countDown();
            return false; // each thread ends itself
        });
        assertTrue(ended.await(5, TimeUnit.SECONDS), "a thread whose step returned false did not end");
        int stepsWhenEnded = steps.get();
        engines.stop();
        assertEquals(stepsWhenEnded, steps.get(), "a thread kept stepping after its step returned false");
        CountDownLatch ranAgain = new CountDownLatch(1);
        engines.start(1, 7, rnd -> {
            ranAgain.countDown();
            return false;
        });
        assertTrue(ranAgain.await(5, TimeUnit.SECONDS), "a stopped DeviceThreads did not start again");
        engines.stop();
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("test-engine")),
                "a device thread outlived stop()");
    }

    @Test
    void aStuckStepIsInterruptedAndOneThatIgnoresItIsLeftBehindWithinTheBound() throws Exception {
        DeviceThreads interruptible = new DeviceThreads("sleepy");
        CountDownLatch asleep = new CountDownLatch(1);
        interruptible.start(1, 1, StuckSteps.sleeper(asleep));
        assertTrue(asleep.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        assertEquals(java.util.List.of(), interruptible.stop(java.time.Duration.ofMillis(100)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));

        DeviceThreads deaf = new DeviceThreads("deaf");
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        deaf.start(1, 1, StuckSteps.deaf(stuck, never));
        assertTrue(stuck.await(5, TimeUnit.SECONDS));
        t0 = System.nanoTime();
        assertEquals(java.util.List.of("deaf0"), deaf.stop(java.time.Duration.ofMillis(100)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "stop is bounded");
        never.countDown();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(NullPointerException.class, () -> new DeviceThreads(null));
        DeviceThreads engines = new DeviceThreads("x");
        assertThrows(IllegalArgumentException.class, () -> engines.start(-1, 0, rnd -> false));
        assertThrows(NullPointerException.class, () -> engines.start(1, 0, null));
        assertEquals(0, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("x0")).count());
    }
}
