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
        engines.start(2, 7, rnd -> steps.incrementAndGet() < 10);
        engines.stop();
        int afterFirst = steps.get();
        assertTrue(afterFirst >= 2, "each thread ran at least one step: " + afterFirst);
        AtomicBoolean ranAgain = new AtomicBoolean();
        engines.start(1, 7, rnd -> {
            ranAgain.set(true);
            return false;
        });
        engines.stop();
        assertTrue(ranAgain.get(), "a stopped DeviceThreads did not start again");
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("test-engine")),
                "a device thread outlived stop()");
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
