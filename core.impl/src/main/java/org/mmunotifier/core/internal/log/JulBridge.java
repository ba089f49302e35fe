package org.mmunotifier.core.internal.log;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.LoggerFactory;

/**
 * {@code java.util.logging} (where every {@code System.Logger} of the core, the API's helpers and
 * the drivers ends up) into the LogService, attributed to the bundle whose symbolic name is the
 * longest prefix of the logger's name (loggers are named after their class), the core otherwise.
 * While it is installed the JDK's console handlers are off: the console gets the operator log's one
 * line instead of a record's two lines and its stack trace.
 */
final class JulBridge extends Handler {
    private static final SimpleFormatter FORMAT = new SimpleFormatter();
    private final LoggerFactory factory;
    private final BundleContext context;
    private final Logger root = Logger.getLogger("");
    private final List<Handler> removed = new ArrayList<>();

    JulBridge(LoggerFactory factory, BundleContext context) {
        this.factory = factory;
        this.context = context;
    }

    void install() {
        for (Handler h : root.getHandlers()) {
            if (h instanceof ConsoleHandler) {
                root.removeHandler(h);
                removed.add(h);
            }
        }
        root.addHandler(this);
    }

    void uninstall() {
        root.removeHandler(this);
        for (Handler h : removed) {
            root.addHandler(h);
        }
        removed.clear();
    }

    @Override
    public void publish(LogRecord r) {
        if (r == null) {
            return;
        }
        String name = r.getLoggerName() == null ? "" : r.getLoggerName();
        try {
            org.osgi.service.log.Logger log = factory.getLogger(bundleOf(name), name, org.osgi.service.log.Logger.class);
            String message = FORMAT.formatMessage(r);
            Throwable t = r.getThrown();
            int level = r.getLevel().intValue();
            if (level >= Level.SEVERE.intValue()) {
                log.error("{}", message, t);
            } else if (level >= Level.WARNING.intValue()) {
                log.warn("{}", message, t);
            } else if (level >= Level.INFO.intValue()) {
                log.info("{}", message, t);
            } else if (level >= Level.FINE.intValue()) {
                log.debug("{}", message, t);
            } else {
                log.trace("{}", message, t);
            }
        } catch (RuntimeException e) {
            // The LogService went away under us (a bundle stopping): the record is lost, not the caller.
        }
    }

    /** The bundle that logs as {@code name}: the longest symbolic-name prefix, else the core. */
    private Bundle bundleOf(String name) {
        Bundle best = context.getBundle();
        int bestLength = 0;
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && bsn.length() > bestLength && name.startsWith(bsn)
                    && (name.length() == bsn.length() || name.charAt(bsn.length()) == '.')) {
                best = b;
                bestLength = bsn.length();
            }
        }
        return best;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
