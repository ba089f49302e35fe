package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits that fail the test instead of hanging it. */
public final class Waits {
    private Waits() {
    }

    /** Waits up to 10 s for {@code latch}; usable from any thread (an interrupt fails too). */
    public static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Polls {@code condition} every millisecond until it holds; fails with {@code message} after {@code limit}. */
    public static void until(BooleanSupplier condition, Duration limit, String message) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.sleep(1);
        }
    }
}
