package org.mmunotifier.core.internal.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;

class OperatorLogTest {
    @TempDir
    Path dir;

    private static LogEntry entry(LogLevel level, String logger, String message, Throwable t) {
        return new LogEntry() {
            public Bundle getBundle() {
                return null;
            }

            public ServiceReference<?> getServiceReference() {
                return null;
            }

            @SuppressWarnings("deprecation")
            public int getLevel() {
                return level.ordinal();
            }

            public String getMessage() {
                return message;
            }

            public Throwable getException() {
                return t;
            }

            public long getTime() {
                return 0;
            }

            public LogLevel getLogLevel() {
                return level;
            }

            public String getLoggerName() {
                return logger;
            }

            public long getSequence() {
                return 0;
            }

            public String getThreadInfo() {
                return "t";
            }

            public StackTraceElement getLocation() {
                return null;
            }
        };
    }

    /** A problem is one console line saying where the rest is; the file has every line of it and the stack. */
    @Test
    void oneLineOnTheConsoleTheWholeEntryInTheFile() throws Exception {
        Path file = dir.resolve("x.log");
        OperatorLog log = new OperatorLog(new LogFile(file, 1 << 20), LogLevel.WARN);
        PrintStream err = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            log.logged(entry(LogLevel.WARN, "a.b.StallWatchdog", "stall #1\n  at Stuck.run(Stuck.java:9)",
                    new IllegalStateException("boom")));
            log.logged(entry(LogLevel.INFO, "a.b.C", "an info", null));
        } finally {
            System.setErr(err);
            log.deactivate();
        }
        assertEquals("[mmu] WARN  - StallWatchdog: stall #1: java.lang.IllegalStateException: boom (stack trace in "
                + file + ")\n", console.toString(StandardCharsets.UTF_8));
        String text = Files.readString(file);
        assertTrue(text.contains("  at Stuck.run(Stuck.java:9)\n"), text);
        assertTrue(text.contains("\tat org.mmunotifier.core.internal.log.OperatorLogTest"), text);
        assertTrue(text.contains("INFO  - C: an info"), text);
        assertEquals(List.of("WARN  - StallWatchdog: stall #1: java.lang.IllegalStateException: boom"),
                log.tail(10, LogLevel.WARN));
        assertEquals(2, log.tail(10, LogLevel.TRACE).size());
    }

    /** The framework's record of every bundle and service event is left out below WARN, kept above. */
    @Test
    void frameworkEventBookkeepingIsLeftOut() throws Exception {
        OperatorLog log = new OperatorLog(null, null);
        log.logged(entry(LogLevel.INFO, "org.apache.felix.log", "ServiceEvent REGISTERED", null));
        log.logged(entry(LogLevel.DEBUG, "org.apache.felix.scr", "ServiceEvent MODIFIED", null));
        log.logged(entry(LogLevel.ERROR, "org.apache.felix.framework", "FrameworkEvent ERROR", new Exception("x")));
        assertEquals(List.of("ERROR - framework: FrameworkEvent ERROR: java.lang.Exception: x"),
                log.tail(10, LogLevel.TRACE));
    }

    @Test
    void theFileMovesAsideOnceFull() throws Exception {
        Path file = dir.resolve("y.log");
        LogFile f = new LogFile(file, 100);
        f.write("a".repeat(80) + "\n");
        f.write("b".repeat(80) + "\n"); // past 100: moved to y.log.1, a new y.log begins
        f.write("c\n");
        f.close();
        assertTrue(Files.readString(dir.resolve("y.log.1")).contains("bbb"));
        assertEquals("c\n", Files.readString(file));
        assertFalse(Files.readString(file).contains("a"));
    }
}
