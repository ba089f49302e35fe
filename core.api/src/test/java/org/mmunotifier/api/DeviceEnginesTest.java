package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeviceEnginesTest {
    private final List<DeviceEngines> started = new ArrayList<>();

    private DeviceEngines engines(String name, int count) {
        DeviceEngines e = new DeviceEngines(name);
        e.start(count);
        started.add(e);
        return e;
    }

    @AfterEach
    void stopAll() {
        started.forEach(DeviceEngines::stop);
    }

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(5);
        }
    }

    @Test
    void fiftyContextsRunOnTwoThreadsAndEachMakesProgress() throws Exception {
        DeviceEngines e = engines("fifty", 2);
        AtomicLong[] steps = new AtomicLong[50];
        for (int i = 0; i < steps.length; i++) {
            AtomicLong n = steps[i] = new AtomicLong();
            e.attach("ctx" + i, i, rnd -> n.incrementAndGet() > 0);
        }
        awaitTrue("every context got steps", () -> java.util.Arrays.stream(steps).allMatch(n -> n.get() >= 10));
        assertEquals(2, threadsNamed("fifty"), "threads grow with the engines, not with the contexts");
        assertEquals(50, e.contextCount());
    }

    @Test
    void noContextRunsOnTwoEnginesAtOnce() throws Exception {
        DeviceEngines e = engines("exclusive", 4);
        AtomicInteger overlaps = new AtomicInteger();
        AtomicLong total = new AtomicLong();
        for (int i = 0; i < 2; i++) {
            AtomicInteger inside = new AtomicInteger();
            e.attach("ctx" + i, i, rnd -> {
                if (inside.incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
                Thread.onSpinWait();
                inside.decrementAndGet();
                total.incrementAndGet();
                return true;
            });
        }
        awaitTrue("steps ran", () -> total.get() > 200_000);
        assertEquals(0, overlaps.get(), "two engines ran one context's step at the same time");
    }

    @Test
    void detachWaitsForTheStepInFlightAndNoStepRunsAfterIt() throws Exception {
        DeviceEngines e = engines("detach", 2);
        AtomicBoolean inStep = new AtomicBoolean();
        AtomicInteger stepsAfterDetach = new AtomicInteger();
        AtomicBoolean detachedFlag = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(1);
        DeviceEngines.Context c = e.attach("slow", 1, rnd -> {
            if (detachedFlag.get()) {
                stepsAfterDetach.incrementAndGet();
            }
            inStep.set(true);
            running.countDown();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            inStep.set(false);
            return true;
        });
        AtomicLong other = new AtomicLong();
        e.attach("other", 2, rnd -> other.incrementAndGet() > 0);
        assertTrue(running.await(5, TimeUnit.SECONDS));
        for (int i = 0; i < 20; i++) { // detach at random points of the step
            Thread.sleep(3);
            if (inStep.get()) {
                break;
            }
        }
        assertTrue(c.detach());
        detachedFlag.set(true);
        assertFalse(inStep.get(), "detach returned while its step was running");
        assertTrue(c.isDetached());
        long before = other.get();
        Thread.sleep(100);
        assertEquals(0, stepsAfterDetach.get(), "a step of a detached context ran");
        assertTrue(other.get() > before, "the other context stopped too");
        assertEquals(1, e.contextCount());
        assertTrue(c.detach(), "detaching again returns at once");
    }

    @Test
    void aStuckStepIsLeftBehindWithinTheBoundAndANewEngineRunsTheOthers() throws Exception {
        DeviceEngines e = engines("stuck", 1);
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        DeviceEngines.Context deaf = e.attach("deaf", 1, StuckSteps.deaf(stuck, never));
        assertTrue(stuck.await(5, TimeUnit.SECONDS));
        AtomicLong other = new AtomicLong();
        e.attach("other", 2, rnd -> other.incrementAndGet() > 0);
        Thread.sleep(50);
        assertEquals(0, other.get(), "the only engine is stuck");
        long t0 = System.nanoTime();
        assertFalse(deaf.detach(Duration.ofMillis(100)), "a step that never returns is reported");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "detach is bounded");
        awaitTrue("a replacement engine runs the other context", () -> other.get() > 100);
        assertEquals(1, e.engineCount());
        never.countDown();
    }

    @Test
    void anInterruptedStepEndsAndTheInterruptDoesNotReachTheNextStep() throws Exception {
        DeviceEngines e = engines("sleepy", 1);
        CountDownLatch asleep = new CountDownLatch(1);
        DeviceEngines.Context c = e.attach("sleeper", 1, StuckSteps.sleeper(asleep));
        AtomicInteger interruptedSteps = new AtomicInteger();
        AtomicLong steps = new AtomicLong();
        e.attach("next", 2, rnd -> {
            if (Thread.currentThread().isInterrupted()) {
                interruptedSteps.incrementAndGet();
            }
            return steps.incrementAndGet() > 0;
        });
        assertTrue(asleep.await(5, TimeUnit.SECONDS));
        assertTrue(c.detach(Duration.ofMillis(100)), "an interrupted step returned");
        awaitTrue("the next context runs", () -> steps.get() > 100);
        assertEquals(0, interruptedSteps.get());
    }

    /**
     * Detach interrupts a step still running when its wait is up. The step may end between detach's
     * look at the runner and its interrupt (or the interrupt may come between the step's end and its
     * release): the interrupt must then not reach the step of another context the engine runs next.
     * Short steps and no wait make that window common; it is the same at any wait.
     */
    @Test
    void anInterruptForADetachedContextNeverReachesAnotherContextsStep() throws Exception {
        DeviceEngines e = engines("leak", 1);
        AtomicInteger interruptedSteps = new AtomicInteger();
        AtomicLong others = new AtomicLong();
        e.attach("other", 2, rnd -> {
            if (Thread.currentThread().isInterrupted()) {
                interruptedSteps.incrementAndGet();
            }
            return others.incrementAndGet() > 0;
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        int rounds = 0;
        while (System.nanoTime() < end && interruptedSteps.get() == 0) {
            AtomicBoolean started = new AtomicBoolean();
            DeviceEngines.Context c = e.attach("short" + rounds, rounds, rnd -> {
                started.set(true);
                long until = System.nanoTime() + rnd.nextInt(2_000);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                return true;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (!started.get() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            c.detach(Duration.ZERO);
            rounds++;
        }
        long before = others.get();
        awaitTrue("the other context runs on", () -> others.get() > before + 100);
        assertEquals(0, interruptedSteps.get(), "steps of another context began interrupted (" + rounds + " detaches)");
    }

    @Test
    void aThrowingStepDetachesItsContextOnlyAndAFalseStepEndsItsOwn() throws Exception {
        DeviceEngines e = engines("faulty", 1);
        DeviceEngines.Context bad = e.attach("bad", 1, rnd -> {
            throw new IllegalStateException("driver bug");
        });
        AtomicInteger finiteSteps = new AtomicInteger();
        DeviceEngines.Context finite = e.attach("finite", 1, rnd -> finiteSteps.incrementAndGet() < 5);
        AtomicLong good = new AtomicLong();
        e.attach("good", 2, rnd -> good.incrementAndGet() > 0);
        awaitTrue("the good context runs on", () -> good.get() > 1000 && bad.isDetached() && finite.isDetached());
        assertEquals(5, finiteSteps.get());
        assertEquals(1, e.contextCount());
        assertEquals(1, threadsNamed("faulty"), "the engine survived the exception");
    }

    @Test
    void stopKeepsTheContextsAndStartRunsThemAgain() throws Exception {
        DeviceEngines e = engines("restart", 2);
        AtomicLong steps = new AtomicLong();
        e.attach("ctx", 1, rnd -> steps.incrementAndGet() > 0);
        awaitTrue("runs", () -> steps.get() > 10);
        assertEquals(List.of(), e.stop());
        assertEquals(0, threadsNamed("restart"));
        long stopped = steps.get();
        Thread.sleep(50);
        assertEquals(stopped, steps.get(), "a step ran after stop");
        assertThrows(IllegalStateException.class, () -> {
            e.start(1);
            e.start(1);
        });
        awaitTrue("runs again", () -> steps.get() > stopped + 10);
    }

    @Test
    void idleEnginesDoNotSpin() throws Exception {
        DeviceEngines e = engines("idle", 2);
        Thread.sleep(50);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Thread> idle = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("idle")).toList();
        assertEquals(2, idle.size());
        long cpu0 = idle.stream().mapToLong(t -> mx.getThreadCpuTime(t.getId())).sum();
        Thread.sleep(500);
        long cpu = idle.stream().mapToLong(t -> mx.getThreadCpuTime(t.getId())).sum() - cpu0;
        // A spinning engine would use about the whole 2 x 500 ms; a parked one next to nothing.
        assertTrue(cpu < TimeUnit.MILLISECONDS.toNanos(250), "idle engines used " + cpu / 1_000_000 + " ms of CPU in 500 ms");
        AtomicLong steps = new AtomicLong();
        e.attach("wake", 1, rnd -> steps.incrementAndGet() > 0);
        awaitTrue("an attach wakes them", () -> steps.get() > 10);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(NullPointerException.class, () -> new DeviceEngines(null));
        DeviceEngines e = new DeviceEngines("bad");
        assertThrows(IllegalArgumentException.class, () -> e.start(-1));
        assertThrows(NullPointerException.class, () -> e.attach("x", 0, null));
        assertThrows(NullPointerException.class, () -> e.attach(null, 0, rnd -> false));
        assertEquals(0, e.engineCount());
        assertEquals(0, e.contextCount());
    }
}
