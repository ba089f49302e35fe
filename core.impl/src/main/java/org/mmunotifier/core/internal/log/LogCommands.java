package org.mmunotifier.core.internal.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.Logger;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.service.log.admin.LoggerContext;

/** The {@code log} shell scope: the operator log's last entries, and its levels, changed while it runs. */
@Component(service = LogCommands.class, property = {"osgi.command.scope=log", "osgi.command.function=tail",
        "osgi.command.function=level", "osgi.command.function=console"})
public final class LogCommands {
    private final OperatorLog log;
    private final LoggerAdmin admin;

    @Activate
    public LogCommands(@Reference OperatorLog log, @Reference LoggerAdmin admin) {
        this.log = log;
        this.admin = admin;
    }

    @Descriptor("the last 20 log entries (level, bundle, logger, message; stack traces are in the log file)")
    public List<String> tail() {
        return tail(20);
    }

    @Descriptor("the last log entries (level, bundle, logger, message; stack traces are in the log file)")
    public List<String> tail(@Descriptor("how many (1..1000)") int n) {
        return tail(n, "TRACE");
    }

    @Descriptor("the last log entries at or above a level")
    public List<String> tail(@Descriptor("how many (1..1000)") int n,
            @Descriptor("the least severe level listed: ERROR, WARN, INFO, DEBUG, TRACE") String level) {
        if (n < 1 || n > OperatorLog.KEEP) {
            throw new IllegalArgumentException("lines=" + n + " is out of range: 1.." + OperatorLog.KEEP);
        }
        LogLevel min = OperatorLog.level(level, LogLevel.TRACE);
        List<String> out = log.tail(n, min == null ? LogLevel.AUDIT : min);
        return out.isEmpty() ? List.of("no log entries" + (log.active() ? "" : " (the operator log runs in the launcher only)"))
                : out;
    }

    @Descriptor("the log levels: the default (ROOT) and per logger, the console's, and the log file")
    public List<String> level() {
        List<String> out = new ArrayList<>();
        Map<String, LogLevel> levels = new TreeMap<>(root().getLogLevels());
        out.add("ROOT " + root().getEffectiveLogLevel(Logger.ROOT_LOGGER_NAME));
        levels.remove(Logger.ROOT_LOGGER_NAME);
        levels.forEach((name, l) -> out.add(name + " " + l));
        out.add("console " + (log.consoleLevel() == null ? "OFF" : log.consoleLevel()));
        out.add("file " + (log.file() == null ? "none" : log.file()));
        return out;
    }

    @Descriptor("set the default log level (what reaches the log file and 'log:tail')")
    public List<String> level(@Descriptor("AUDIT, ERROR, WARN, INFO, DEBUG or TRACE") String level) {
        return level(Logger.ROOT_LOGGER_NAME, level);
    }

    @Descriptor("set the log level of one logger and those below it (a class or package name, e.g."
            + " org.mmunotifier.drivers.kvm), or ROOT")
    public List<String> level(@Descriptor("logger name, or ROOT") String logger,
            @Descriptor("AUDIT, ERROR, WARN, INFO, DEBUG or TRACE") String level) {
        LogLevel l = OperatorLog.level(level, null);
        if (l == null) {
            throw new IllegalArgumentException("a logger's level cannot be OFF (use AUDIT or ERROR); 'log:console OFF'"
                    + " silences the console");
        }
        LoggerContext root = root();
        Map<String, LogLevel> levels = new TreeMap<>(root.getLogLevels());
        levels.put(logger, l);
        root.setLogLevels(levels);
        // System.Logger records are filtered by java.util.logging before they reach the bridge.
        log.julLevel(logger.equals(Logger.ROOT_LOGGER_NAME) ? "" : logger, jul(l));
        return level();
    }

    @Descriptor("what the console shows: entries at or above this level, or OFF")
    public String console() {
        return "console " + (log.consoleLevel() == null ? "OFF" : log.consoleLevel());
    }

    @Descriptor("set what the console shows: entries at or above this level, or OFF (the log file keeps everything)")
    public String console(@Descriptor("ERROR, WARN, INFO, DEBUG, TRACE or OFF") String level) {
        log.consoleLevel(OperatorLog.level(level, log.consoleLevel()));
        return console();
    }

    private LoggerContext root() {
        return admin.getLoggerContext(null);
    }

    static Level jul(LogLevel l) {
        return switch (l) {
            case AUDIT, ERROR -> Level.SEVERE;
            case WARN -> Level.WARNING;
            case INFO -> Level.INFO;
            case DEBUG -> Level.FINE;
            case TRACE -> Level.FINEST;
        };
    }
}
