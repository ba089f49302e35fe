package org.mmunotifier.core.internal.jfr;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import jdk.jfr.Configuration;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.notifier.Identity;
import org.mmunotifier.core.internal.oracle.Violation;

/**
 * The events themselves; loaded only through {@link Trace}, which survives its failing to load.
 * Each {@code begin…} asks a shared instance of its event type whether any recording wants it
 * (a few loads once JFR has instrumented the type, a constant false before), and only then
 * allocates ({@code beginInvalidate}'s caller asked {@link #invalidations} once per dispatch). An
 * event is filled in only if it is to be committed (past its threshold).
 */
final class JfrEvents {
    /** The settings that record all of our events, as the operator can use them too. */
    static final String SETTINGS = "/mmunotifier.jfc";
    private static final int MAX_TEXT = 500;

    // Enabled checks only: isEnabled() reads the type's state, not the instance's.
    private static final InvalidateRangeEvent INVALIDATE = new InvalidateRangeEvent();
    private static final ReleaseEvent RELEASE = new ReleaseEvent();
    private static final DeviceFaultEvent DEVICE_FAULT = new DeviceFaultEvent();
    private static final ViolationEvent VIOLATION = new ViolationEvent();
    private static final StallEvent STALL = new StallEvent();
    private static final DriverSwapEvent DRIVER_SWAP = new DriverSwapEvent();

    private JfrEvents() {
    }

    /** Loads this class (and so jdk.jfr); null: it is there. */
    static String load() {
        return null;
    }

    static boolean invalidations() {
        return INVALIDATE.isEnabled();
    }

    static Object beginInvalidate() {
        return begun(new InvalidateRangeEvent());
    }

    static void invalidated(Object event, Identity who, String callback, MmuNotifierRange range, long mm,
            String result) {
        end(event, InvalidateRangeEvent.class, e -> {
            call(e, who, mm, result);
            e.callback = callback;
            e.event = range.event().name();
            e.start = range.start();
            e.end = range.end();
            e.blockable = range.isBlockable();
        });
    }

    static Object beginRelease() {
        return RELEASE.isEnabled() ? begun(new ReleaseEvent()) : null;
    }

    static void released(Object event, Identity who, long mm, String result) {
        end(event, ReleaseEvent.class, e -> call(e, who, mm, result));
    }

    private static void call(NotifierCallEvent e, Identity who, long mm, String result) {
        driver(e, who.owner().name(), who.owner().bundleId(), who.notifier(), mm);
        e.registration = who.id();
        e.result = result;
    }

    private static void driver(DriverEvent e, String bundle, long bundleId, String notifier, long mm) {
        e.bundle = bundle;
        e.bundleId = bundleId;
        e.notifier = notifier;
        e.mm = mm;
    }

    static Object beginDeviceFault() {
        return DEVICE_FAULT.isEnabled() ? begun(new DeviceFaultEvent()) : null;
    }

    static void deviceFaulted(Object event, long mm, long start, long end, boolean write, String failure) {
        end(event, DeviceFaultEvent.class, e -> {
            e.mm = mm;
            e.start = start;
            e.end = end;
            e.write = write;
            e.pages = Math.max(0, end - start) >>> org.mmunotifier.api.Addresses.PAGE_SHIFT;
            e.failure = failure;
        });
    }

    static void violation(Violation v) {
        if (VIOLATION.isEnabled()) {
            end(begun(new ViolationEvent()), ViolationEvent.class, e -> {
                driver(e, v.bundle(), v.bundleId(), v.notifier(), v.mmId());
                e.number = v.number();
                e.rule = v.rule().name();
                e.address = v.address();
                e.access = v.op();
                e.summary = cap(v.reason());
            });
        }
    }

    static void stall(String what, Stall s) {
        if (STALL.isEnabled()) {
            end(begun(new StallEvent()), StallEvent.class, e -> {
                driver(e, s.bundle(), s.bundleId(), s.notifier(), s.mmId());
                e.stall = s.id();
                e.what = what;
                e.kind = s.kind().name();
                e.operation = cap(s.operation());
                e.stuckThread = s.thread();
                e.stuckFor = s.millis();
                e.outcome = s.outcome();
            });
        }
    }

    static Object beginSwap() {
        return DRIVER_SWAP.isEnabled() ? begun(new DriverSwapEvent()) : null;
    }

    static void swapped(Object event, String bundle, String how, long teardownMicros, long startMicros,
            int leftBehind, String failure) {
        end(event, DriverSwapEvent.class, e -> {
            e.bundle = bundle;
            e.how = how;
            e.teardown = teardownMicros;
            e.start = startMicros;
            e.leftBehind = leftBehind;
            e.failure = cap(failure);
        });
    }

    private static Event begun(Event e) {
        e.begin();
        return e;
    }

    /**
     * Ends {@code event} (an instant one is begun just before) and commits it filled in, if it is
     * to be committed (past its threshold). Never throws: a lost event must not break its operation.
     */
    private static <E extends Event> void end(Object event, Class<E> type, Consumer<E> fill) {
        try {
            E e = type.cast(event);
            e.end();
            if (e.shouldCommit()) {
                fill.accept(e);
                e.commit();
            }
        } catch (Throwable t) {
            lost(t);
        }
    }

    private static final AtomicBoolean SAID = new AtomicBoolean();

    /** An event could not be committed: said once (a framework that does not boot-delegate jdk.jfr.internal). */
    private static void lost(Throwable t) {
        if (SAID.compareAndSet(false, true)) {
            try {
                System.getLogger(Trace.class.getName()).log(System.Logger.Level.WARNING, "the core's JFR events are"
                        + " lost (" + t + "); a framework must boot-delegate jdk.jfr.internal.*"
                        + " (org.osgi.framework.bootdelegation) for them to be recorded");
            } catch (Throwable ignored) {
                // nothing more to lose
            }
        }
    }

    private static String cap(String s) {
        return s == null || s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "…";
    }

    // ------------------------------------------------------------------ recordings

    /** Null if this JVM can record; else why not. */
    static String unavailable() {
        return FlightRecorder.isAvailable() ? null
                : "this JVM cannot record: its Flight Recorder is disabled or missing";
    }

    static Trace.Recorder record(String name, Path file) {
        Map<String, String> settings = new HashMap<>(defaults().getSettings());
        settings.putAll(ours().getSettings());
        Recording r = new Recording(settings);
        r.setName(name);
        r.setToDisk(true);
        r.setDumpOnExit(true); // an exit before the stop (a run that got stuck, a signal) still writes it
        try {
            r.setDestination(file);
        } catch (IOException e) {
            r.close();
            throw new IllegalStateException(file + " cannot be written: " + e.getMessage(), e);
        }
        r.start();
        return new Trace.Recorder() {
            @Override
            public Path file() {
                return file;
            }

            @Override
            public void stop() throws IOException {
                try {
                    r.stop(); // writes it to its destination, which the start created empty
                } finally {
                    r.close();
                }
                if (!Files.isRegularFile(file) || Files.size(file) == 0) {
                    throw new IOException("nothing was written to " + file);
                }
            }
        };
    }

    private static Configuration defaults() {
        try {
            return Configuration.getConfiguration("default");
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("the JDK's default JFR settings could not be read: " + e, e);
        }
    }

    /** {@value #SETTINGS}: every event of ours, each callback and fault whatever its duration. */
    static Configuration ours() {
        try (InputStream in = JfrEvents.class.getResourceAsStream(SETTINGS)) {
            if (in == null) {
                throw new IllegalStateException(SETTINGS + " is missing from the core");
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return Configuration.create(reader);
            }
        } catch (IOException | ParseException e) {
            throw new IllegalStateException(SETTINGS + " could not be read: " + e, e);
        }
    }
}
