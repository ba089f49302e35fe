package org.mmunotifier.core.internal.log;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.mmunotifier.core.internal.osgi.FrameworkLifecycle;
import org.mmunotifier.core.internal.util.Console;
import org.mmunotifier.core.internal.util.RecentLog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.LoggerFactory;

/**
 * The launcher's log. Every entry the LogService takes goes to the log file with its stack trace;
 * entries at or above the console level (WARN) are also one line on the console (above the
 * shell's prompt), naming the bundle and saying where the stack trace is. The last
 * {@value #KEEP} entries are kept for {@code log:tail}.
 *
 * <p>System properties: {@code mmunotifier.log.file} (default {@code mmunotifier.log} in the working
 * directory; {@code none} for no file), {@code mmunotifier.log.console} (a level, or {@code OFF}).
 */
@Component(service = OperatorLog.class, immediate = true)
public final class OperatorLog implements LogListener {
    static final String FILE = "mmunotifier.log.file";
    static final String CONSOLE = "mmunotifier.log.console";
    static final String DEFAULT_FILE = "mmunotifier.log";
    static final long MAX_FILE_BYTES = 16L << 20;
    static final int KEEP = 1000;

    private final boolean active;
    private final LogReaderService reader;
    private final JulBridge bridge;
    private final LogFile file;
    private final RecentLog<Entry> recent = new RecentLog<>(KEEP);
    /**
     * The java.util.logging loggers {@code log:level} set a level on: JUL holds its loggers weakly,
     * and a collected one would come back with no level, silently undoing the command.
     */
    private final java.util.Map<String, java.util.logging.Logger> levelled = new java.util.concurrent.ConcurrentHashMap<>();

    /** One entry as {@code log:tail} lists it. */
    private record Entry(LogLevel level, String line) {
    }
    private volatile LogLevel consoleLevel;

    @Activate
    public OperatorLog(@Reference FrameworkLifecycle lifecycle, @Reference LogReaderService reader,
            @Reference LoggerFactory factory, BundleContext context) {
        this.reader = reader;
        // Under Pax Exam (not the launcher) the test JVM's logging is not ours to take over.
        active = lifecycle.launchedByBnd() || context.getProperty(FILE) != null;
        if (!active) {
            bridge = null;
            file = null;
            return;
        }
        consoleLevel = level(context.getProperty(CONSOLE), LogLevel.WARN);
        String name = context.getProperty(FILE) == null ? DEFAULT_FILE : context.getProperty(FILE);
        LogFile f = null;
        if (!name.equalsIgnoreCase("none")) {
            try {
                f = new LogFile(Path.of(name), MAX_FILE_BYTES);
            } catch (IOException | RuntimeException e) {
                Console.println(System.err, "[mmu] WARN cannot open the log file " + name + " (" + e
                        + "); stack traces go nowhere");
            }
        }
        file = f;
        reader.addLogListener(this);
        bridge = new JulBridge(factory, context);
        bridge.install();
    }

    /** The log without a LogService to listen to or a bridge: entries come through {@link #logged} (tests). */
    OperatorLog(LogFile file, LogLevel consoleLevel) {
        active = true;
        reader = null;
        bridge = null;
        this.file = file;
        this.consoleLevel = consoleLevel;
    }

    /** {@code text} as a level; {@code OFF} is null (nothing on the console). */
    static LogLevel level(String text, LogLevel dflt) {
        if (text == null || text.isBlank()) {
            return dflt;
        }
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (t.equals("OFF")) {
            return null;
        }
        try {
            return LogLevel.valueOf(t.equals("WARNING") ? "WARN" : t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a log level: one of AUDIT, ERROR, WARN, INFO,"
                    + " DEBUG, TRACE (or OFF)");
        }
    }

    @Deactivate
    void deactivate() {
        if (bridge != null) {
            bridge.uninstall();
            reader.removeLogListener(this);
        }
        if (file != null) {
            file.close();
        }
    }

    @Override
    public void logged(LogEntry e) {
        if (frameworkEvent(e)) {
            return;
        }
        String line = line(e);
        recent.add(new Entry(e.getLogLevel(), line));
        if (file != null) {
            // The whole message (a stall report's stack is in it) and the exception's stack trace.
            String rest = e.getMessage() == null ? "" : e.getMessage().lines().skip(1).map(l -> l + "\n")
                    .reduce("", String::concat);
            file.write(Instant.ofEpochMilli(e.getTime()) + " " + line + " [" + e.getThreadInfo() + "]\n" + rest
                    + (e.getException() == null ? "" : stackTrace(e.getException())));
        }
        LogLevel c = consoleLevel;
        if (c != null && c.implies(e.getLogLevel())) { // WARN implies ERROR and AUDIT
            String where = e.getException() == null || file == null ? "" : " (stack trace in " + file.path() + ")";
            Console.println(System.err, "[mmu] " + line + where);
        }
    }

    /**
     * The framework's own record of every bundle, service and framework event (Felix Log logs them
     * all at INFO and DEBUG): bookkeeping, not a problem, and a hot swap makes hundreds. At WARN and
     * above (a framework error) it is kept.
     */
    private static boolean frameworkEvent(LogEntry e) {
        String m = e.getMessage();
        return !LogLevel.WARN.implies(e.getLogLevel()) && m != null
                && (m.startsWith("BundleEvent ") || m.startsWith("ServiceEvent ") || m.startsWith("FrameworkEvent "));
    }

    /**
     * One line: level, bundle, logger, the message's first line and the exception's; what the
     * console shows and {@code log:tail} lists.
     */
    static String line(LogEntry e) {
        Bundle b = e.getBundle();
        String bundle = b == null ? "-" : b.getSymbolicName() + " [" + b.getBundleId() + "]";
        String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
        Throwable t = e.getException();
        return String.format("%-5s %s %s: %s%s", e.getLogLevel(), bundle, shortName(e.getLoggerName()), message,
                t == null || message.contains(String.valueOf(t)) ? "" : ": " + t);
    }

    /** {@code org.mmunotifier.core.internal.notifier.NotifierFaults} → {@code NotifierFaults}. */
    private static String shortName(String logger) {
        if (logger == null || logger.isEmpty()) {
            return "-";
        }
        int dot = logger.lastIndexOf('.');
        return dot < 0 || dot == logger.length() - 1 ? logger : logger.substring(dot + 1);
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** The last {@code n} entries at or above {@code min}, oldest first. */
    public List<String> tail(int n, LogLevel min) {
        List<String> all = recent.recent().stream().filter(e -> min.implies(e.level())).map(Entry::line).toList();
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    /** Sets the level of the java.util.logging logger {@code name} ("" for the root) and keeps it set. */
    void julLevel(String name, java.util.logging.Level level) {
        levelled.computeIfAbsent(name, java.util.logging.Logger::getLogger).setLevel(level);
    }

    public boolean active() {
        return active;
    }

    /** The console's level; null: nothing goes to the console. */
    public LogLevel consoleLevel() {
        return consoleLevel;
    }

    public void consoleLevel(LogLevel level) {
        consoleLevel = level;
    }

    /** The log file, or null when there is none. */
    public Path file() {
        return file == null ? null : file.path().toAbsolutePath();
    }
}
