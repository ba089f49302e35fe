package org.mmunotifier.launcher;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.List;
import org.mmunotifier.launcher.options.Scenario;

/**
 * The executable jar's {@code Main-Class}, in front of the bnd launcher. Before the framework boots
 * (and before Felix wipes {@code .mmunotifier-cache}) it checks the options, answers {@code --help},
 * and takes the working directory's {@link InstanceLock}; then it hands the command line to the
 * bnd launcher, which starts Felix with the embedded bundles.
 *
 * <p>Exit status here: 0 after {@code --help}, 2 for bad options, 4 when another launcher runs in
 * this directory. Without the lock a second launcher would wipe the first one's framework storage
 * under its running bundles and share its {@code deploy/}.
 */
public final class Main {
    static final int EXIT_BAD_ARGUMENTS = 2;
    static final int EXIT_LOCKED = 4;
    /** The bnd launcher's own entry point, next to this class at the jar's root. */
    static final String BND_LAUNCHER = "aQute.launcher.pre.EmbeddedLauncher";

    private Main() {
    }

    public static void main(String[] args) throws Throwable {
        int status = check(List.of(args), Path.of("").toAbsolutePath());
        if (status >= 0) {
            System.out.flush();
            System.err.flush();
            System.exit(status);
        }
        try {
            Class.forName(BND_LAUNCHER).getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Everything decided before the framework boots.
     *
     * @return the exit status to end with now, or -1 to go on and boot (the lock is then held)
     */
    static int check(List<String> args, Path workingDirectory) {
        try {
            Scenario.parse(args, System::getProperty);
        } catch (Scenario.HelpRequested e) {
            System.out.println(Scenario.HELP);
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return EXIT_BAD_ARGUMENTS;
        }
        try {
            InstanceLock.acquire(workingDirectory);
        } catch (InstanceLock.HeldException e) {
            System.err.println("error: " + e.getMessage());
            return EXIT_LOCKED;
        } catch (IOException e) {
            // A read-only or odd file system: run without the lock rather than not at all.
            System.err.println("warning: cannot lock " + workingDirectory.resolve(InstanceLock.FILE) + " (" + e
                    + "); a second launcher in this directory would not be stopped");
        }
        return -1;
    }
}
