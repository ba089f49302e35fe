package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.function.Executable;

/** Assertions about operations that must be refused. */
public final class Refusals {
    private Refusals() {
    }

    /**
     * Runs {@code command}, which must fail with {@code type} and a one-line message containing
     * {@code fragment}, and leave {@code state} as it was before.
     *
     * @param state a snapshot of what the command must not change (compared with {@code equals})
     * @return what it threw
     */
    public static <E extends Exception> E refused(Class<E> type, String fragment, Supplier<?> state,
            Executable command) {
        Object before = state.get();
        E e = assertThrows(type, command);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(before, state.get(), "a refused command changed something");
        return e;
    }

    /**
     * Runs {@code operation} over and over on a thread of its own until it throws; once it has
     * succeeded at least once, runs {@code racer} (a deactivation, say) on this thread.
     *
     * @return what the operation threw
     */
    public static RuntimeException refusalOfLoopRacing(Runnable operation, Runnable racer) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        AtomicReference<RuntimeException> refused = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    operation.run();
                    running.countDown();
                }
            } catch (RuntimeException e) {
                refused.set(e);
            }
        });
        t.start();
        Waits.await(running);
        racer.run();
        t.join();
        assertNotNull(refused.get(), "the operation ended without being refused");
        return refused.get();
    }
}
