package org.mmunotifier.itests;

import static org.junit.Assert.assertFalse;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a body on a thread of its own; {@link #join(Duration)} rethrows what it threw. */
final class Background {

    /** What a background thread runs. */
    interface Body {
        void run() throws Exception;
    }

    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** Starts {@code body} on a new thread named {@code name}. */
    Background(String name, Body body) {
        thread = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, name);
        thread.setDaemon(true); // a thread a stuck driver holds must not keep the JVM alive
        thread.start();
    }

    /** The thread's name (what a stall report calls it). */
    String name() {
        return thread.getName();
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    /** Waits at most {@code timeout} for the body to finish; fails if it did not, rethrows what it threw. */
    void join(Duration timeout) throws Throwable {
        thread.join(timeout.toMillis());
        assertFalse(thread.getName() + " still running after " + timeout.toMillis() + " ms", thread.isAlive());
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
