package org.mmunotifier.core.internal.osgi;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.core.internal.notifier.StallWatchdog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * Keeps the framework's shutdown bounded. From the moment the framework begins to stop (the
 * system bundle's STOPPING event) it gives the bundles {@code timeoutMillis} to stop; past that it
 * writes, straight to stderr (the JDK's logging is itself shutting down by then), which bundle is
 * still stopping on which thread and where, and every stall still going on, and halts the JVM with
 * {@link #EXIT_STOP_TIMEOUT}. It also remembers whether anything stalled during the shutdown, so a
 * stop that finished only because the core gave up on a stuck driver does not exit 0.
 */
final class ShutdownGuard implements SynchronousBundleListener {
    /** The exit status when a driver held the shutdown up (stalled, or never stopped). */
    static final int EXIT_STOP_TIMEOUT = 3;
    private static final int FRAMES = 12;

    private final long timeoutMillis;
    private final PrintStream err;
    private final Bundle framework;
    private final long self;
    private final Map<Long, Stopping> stopping = new ConcurrentHashMap<>();
    private volatile long stallsAtStop = -1;

    /** A bundle being stopped, and by which thread. */
    private record Stopping(Bundle bundle, Thread thread, long sinceNanos) {
    }

    /**
     * @param framework the system bundle: the bundles it still has STOPPING are the ones to name
     * @param self the core's own bundle, which is stopping whenever this is asked from its deactivation
     */
    ShutdownGuard(long timeoutMillis, PrintStream err, Bundle framework, long self) {
        this.timeoutMillis = timeoutMillis;
        this.err = err;
        this.framework = framework;
        this.self = self;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        switch (event.getType()) {
            case BundleEvent.STOPPING -> {
                stopping.put(b.getBundleId(), new Stopping(b, Thread.currentThread(), System.nanoTime()));
                if (b.getBundleId() == 0 && stallsAtStop < 0) {
                    stallsAtStop = StallWatchdog.countEverywhere();
                    startTimer();
                }
            }
            case BundleEvent.STOPPED -> stopping.remove(b.getBundleId());
            default -> { }
        }
    }

    private void startTimer() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(timeoutMillis);
            } catch (InterruptedException e) {
                return;
            }
            err.println("mmunotifier: the framework did not stop within " + timeoutMillis / 1000 + " s; held up by:");
            for (String line : heldUp()) {
                err.println("  " + line);
            }
            err.flush();
            Runtime.getRuntime().halt(EXIT_STOP_TIMEOUT);
        }, "mmunotifier-shutdown-guard");
        t.setDaemon(true);
        t.start();
    }

    /** Whether a stall was reported since the framework began to stop, or is still going on. */
    boolean stalledDuringShutdown() {
        long at = stallsAtStop;
        return at >= 0 && (StallWatchdog.countEverywhere() > at || !StallWatchdog.ongoingEverywhere().isEmpty());
    }

    /**
     * The bundles still stopping (other than the framework and the core) and the stalls still
     * going on. A bundle's state is asked, not only its STOPPING event remembered: a DS bundle's
     * components are deactivated inside SCR's own listener for that event, which runs before ours,
     * so a deactivation that hangs keeps the event from ever reaching us.
     */
    List<String> heldUp() {
        List<String> out = new ArrayList<>();
        Bundle[] all;
        try {
            all = framework.getBundleContext() == null ? new Bundle[0] : framework.getBundleContext().getBundles();
        } catch (IllegalStateException stopped) {
            all = new Bundle[0];
        }
        for (Bundle b : all) {
            long id = b.getBundleId();
            if (id == 0 || id == self || b.getState() != Bundle.STOPPING) {
                continue;
            }
            Stopping s = stopping.get(id);
            out.add("bundle " + BundleOwners.name(b) + " is still stopping" + (s == null || s.thread == Thread.currentThread()
                    ? "" : " (for " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.sinceNanos) + " ms, thread "
                            + s.thread.getName() + ")" + top(s.thread)));
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            // Felix stops the bundles on one of these threads: where it is stuck shows whose code holds it.
            if (t != Thread.currentThread() && (t.getName().startsWith("FelixStartLevel")
                    || t.getName().startsWith("FelixShutdown"))) {
                out.add("the framework's stop thread " + t.getName() + top(t));
            }
        }
        for (String stall : StallWatchdog.ongoingEverywhere()) {
            out.add(stall.lines().findFirst().orElse(stall));
        }
        if (out.isEmpty()) {
            out.add("(no bundle is stopping and no stall is going on: the framework's own stop is slow)");
        }
        return out;
    }

    private static String top(Thread t) {
        StringBuilder b = new StringBuilder();
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(FRAMES, st.length); i++) {
            b.append("\n      at ").append(st[i]);
        }
        return b.toString();
    }
}
