package org.mmunotifier.core.internal.shell;

import java.lang.reflect.Method;
import java.nio.file.Path;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.mmunotifier.core.internal.osgi.FrameworkLifecycle;
import org.mmunotifier.core.internal.util.Console;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * What the launcher needs from the operator's shell session when it is Gogo's JLine shell
 * ({@code org.apache.felix.gogo.jline}), seen through the commands it runs (its login profile's
 * first): its line reader, so that {@link Console} lines go above the prompt instead of into the
 * line being typed; and its history file, moved from {@code ~/.gogo.history} to the working
 * directory. The profile runs before the reader first reads, which is when JLine loads the history:
 * changing the session's variable then is in time. JLine is reached by reflection, so this bundle
 * does not import it; with the plain Gogo shell (the launcher's, see README) there is no reader and
 * lines go to the streams.
 */
@Component(service = CommandSessionListener.class)
public final class ShellSessions implements CommandSessionListener {
    /** The history file, relative to the working directory; system property {@code mmunotifier.history}. */
    static final String HISTORY = ".mmunotifier-history";
    private static final String READER = ".reader";
    private static final String HISTORY_FILE = "history-file";
    private final boolean launcher;
    private volatile CommandSession attached;

    @Activate
    public ShellSessions(@Reference FrameworkLifecycle lifecycle) {
        this.launcher = lifecycle.launchedByBnd();
    }

    @Override
    public void beforeExecute(CommandSession session, CharSequence command) {
        if (!launcher) {
            return;
        }
        Object history = session.get(HISTORY_FILE);
        if (history instanceof Path p && p.getFileName() != null && p.getFileName().toString().equals(".gogo.history")) {
            session.put(HISTORY_FILE, Path.of(System.getProperty("mmunotifier.history", HISTORY)).toAbsolutePath());
        }
        if (session != attached) {
            // The operator's session (the login profile's commands run in it, before its first prompt).
            attached = session;
            Console.attach(line -> printAbove(session, line));
        }
    }

    /** Prints {@code line} above the prompt of {@code session}'s line reader; false if it has none yet. */
    private static boolean printAbove(CommandSession session, String line) {
        Object reader = session.get(READER);
        if (reader == null) {
            return false;
        }
        try {
            Method m = reader.getClass().getMethod("printAbove", String.class);
            m.invoke(reader, line);
            return true;
        } catch (ReflectiveOperationException e) {
            return false; // not a JLine reader
        }
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Exception exception) {
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Object result) {
    }

    @Deactivate
    void deactivate() {
        Console.attach(null);
    }
}
