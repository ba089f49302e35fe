package org.mmunotifier.itests;

import java.text.MessageFormat;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What a {@code java.util.logging} logger (and its children) logs while this is open: the core
 * logs through {@code System.Logger}, which is JUL in these frameworks. Quiet: the records are
 * kept here instead of printed too (a faulty driver's faults would fill the build's output).
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final boolean quiet;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(String name, boolean quiet) {
        this.logger = Logger.getLogger(name);
        this.quiet = quiet;
        logger.addHandler(this);
        if (quiet) {
            logger.setUseParentHandlers(false);
        }
    }

    /** Captures what {@code name} logs ("" for everything); {@code quiet}: without printing it. */
    public static LogCapture of(String name, boolean quiet) {
        return new LogCapture(name, quiet);
    }

    @Override
    public void publish(LogRecord r) {
        records.add(r);
    }

    /** Every record so far, and those to come (a live view). */
    public List<LogRecord> records() {
        return Collections.unmodifiableList(records);
    }

    /** The messages of the warnings and errors so far, their parameters filled in. */
    public List<String> warnings() {
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(r -> r.getParameters() == null ? r.getMessage() : new MessageFormat(r.getMessage()).format(r.getParameters()))
                .toList();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        if (quiet) {
            logger.setUseParentHandlers(true);
        }
    }
}
