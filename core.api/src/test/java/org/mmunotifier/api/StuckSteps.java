package org.mmunotifier.api;

import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/** Device steps that get stuck, for the engines' tests. */
final class StuckSteps {
    private StuckSteps() {
    }

    /** Counts {@code stuck} down, then waits for {@code never} and will not be interrupted (a driver that ignores it). */
    static Predicate<Random> deaf(CountDownLatch stuck, CountDownLatch never) {
        return rnd -> {
            stuck.countDown();
            while (never.getCount() > 0) {
                try {
                    never.await();
                } catch (InterruptedException ignored) {
                    // a driver that will not be interrupted
                }
            }
            return false;
        };
    }

    /** Counts {@code asleep} down, then sleeps until interrupted (waiting for an invalidation that never ends). */
    static Predicate<Random> sleeper(CountDownLatch asleep) {
        return rnd -> {
            asleep.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        };
    }
}
