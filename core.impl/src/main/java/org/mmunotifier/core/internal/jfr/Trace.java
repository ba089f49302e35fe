package org.mmunotifier.core.internal.jfr;

import java.io.IOException;
import java.nio.file.Path;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.notifier.Identity;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.launcher.options.OutputFile;

/**
 * The core's JFR events, as the rest of the core sees them: no {@code jdk.jfr} type here, so the
 * core runs where that module is missing ({@code jdk.jfr} is imported optionally). Whether it is
 * there is decided once, by loading {@link JfrEvents}; if it is not, every method is a no-op and
 * {@link #record} says why it cannot record.
 *
 * <p>An event with a duration is begun before what it times and ended after: {@code begin…}
 * returns null unless a recording wants the event, and the end does nothing for null. A dispatch
 * asks {@link #invalidations()} once and calls its notifiers through {@link #invalidate} only if
 * so. Off, that is a static final read and the event type's enabled check: no allocation, no clock.
 */
public final class Trace {
    public static final String INVALIDATE_RANGE = "org.mmunotifier.InvalidateRange";
    public static final String RELEASE = "org.mmunotifier.Release";
    public static final String DEVICE_FAULT = "org.mmunotifier.DeviceFault";
    public static final String VIOLATION = "org.mmunotifier.CoherenceViolation";
    public static final String STALL = "org.mmunotifier.Stall";
    public static final String DRIVER_SWAP = "org.mmunotifier.DriverSwap";

    private static final String MISSING = load();
    private static final boolean JFR = MISSING == null;

    private Trace() {
    }

    /** Null if jdk.jfr is there; else why not. */
    private static String load() {
        try {
            return JfrEvents.load();
        } catch (LinkageError e) {
            return "jdk.jfr is not available (" + e + ")";
        }
    }

    /** Null if this JVM can record; else why not, in one sentence. */
    public static String unavailable() {
        return JFR ? JfrEvents.unavailable() : MISSING;
    }

    /**
     * Whether a recording wants {@value #INVALIDATE_RANGE} events: asked once per dispatch, not per
     * callback (once JFR has run in this JVM, the check is a few loads; before, a constant).
     */
    public static boolean invalidations() {
        return JFR && JfrEvents.invalidations();
    }

    /** One notifier's callback; returns whether it accepted (true for one that returns nothing). */
    public interface Callback {
        boolean call();
    }

    /**
     * Calls {@code callback} (one notifier's {@code callbackName}) as an {@value #INVALIDATE_RANGE}
     * event; what it throws goes on to the caller. Only when {@link #invalidations()} said so: the
     * untraced call stays at the call site, which this keeps small enough to inline.
     */
    public static boolean invalidate(Identity who, String callbackName, MmuNotifierRange range, long mm,
            Callback callback) {
        Object event = JFR ? JfrEvents.beginInvalidate() : null;
        boolean ok = false;
        Throwable threw = null;
        try {
            ok = callback.call();
            return ok;
        } catch (Throwable t) {
            threw = t;
            throw t;
        } finally {
            if (event != null) {
                JfrEvents.invalidated(event, who, callbackName, range, mm, result(ok, threw));
            }
        }
    }

    public static Object beginRelease() {
        return JFR ? JfrEvents.beginRelease() : null;
    }

    public static void released(Object event, Identity who, long mm, Throwable threw) {
        if (event != null) {
            JfrEvents.released(event, who, mm, result(true, threw));
        }
    }

    public static Object beginDeviceFault() {
        return JFR ? JfrEvents.beginDeviceFault() : null;
    }

    /** @param failure what the fault threw, or null */
    public static void deviceFaulted(Object event, long mm, long start, long end, boolean write, Throwable failure) {
        if (event != null) {
            JfrEvents.deviceFaulted(event, mm, start, end, write, failure == null ? "" : failure.toString());
        }
    }

    public static void violation(Violation v) {
        if (JFR) {
            JfrEvents.violation(v);
        }
    }

    /** @param what "reported" or "ended" */
    public static void stall(String what, Stall s) {
        if (JFR) {
            JfrEvents.stall(what, s);
        }
    }

    public static Object beginSwap() {
        return JFR ? JfrEvents.beginSwap() : null;
    }

    /** @param failure why the swap failed, or null */
    public static void swapped(Object event, String bundle, String how, long teardownMicros, long startMicros,
            int leftBehind, String failure) {
        if (event != null) {
            JfrEvents.swapped(event, bundle, how, teardownMicros, startMicros, leftBehind,
                    failure == null ? "" : failure);
        }
    }

    private static String result(boolean ok, Throwable threw) {
        return threw != null ? "threw " + threw.getClass().getName() : ok ? "ok" : "refused";
    }

    /**
     * The file a recording is to be written to, checked before anything is recorded: its folder
     * exists, it is not a folder itself, it can be written, and this JVM can record.
     *
     * @return the file as an absolute path
     * @throws IllegalArgumentException saying, after the quoted {@code text}, what is wrong
     */
    public static Path recordingFile(String text) {
        Path file = OutputFile.check(text);
        String cannot = unavailable();
        if (cannot != null) {
            throw new IllegalArgumentException("'" + text + "': " + cannot);
        }
        return file;
    }

    /** What to say once a recording was written to {@code file}. */
    public static String written(Path file) {
        return "JFR recording written to " + file + " (jfr summary, jfr print --categories mmu-notifier)";
    }

    /** A running recording of the JDK's default events and all of ours, and the file it is for. */
    public interface Recorder {
        Path file();

        /** Stops the recording and writes it to its file. */
        void stop() throws IOException;
    }

    /**
     * Starts recording the JDK's default events and every one of ours ({@code mmunotifier.jfc}) into
     * {@code file}: written at {@link Recorder#stop}, or when the JVM exits before that.
     *
     * @throws IllegalStateException if this JVM cannot record (no {@code jdk.jfr}, or JFR disabled),
     *         or {@code file} cannot be written
     */
    public static Recorder record(String name, Path file) {
        String why = unavailable();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        return JfrEvents.record(name, file);
    }
}
