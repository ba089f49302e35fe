package org.mmunotifier.core.internal.osgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.core.internal.util.Console;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * How the process ends, and what it was started with.
 *
 * <p>Under the bnd launcher (the executable jar built by the {@code launcher} module) this is the
 * launcher's main-thread service: a {@code Callable<Integer>} with {@code main.thread=true}. The
 * launcher calls {@link #call()} on the JVM's main thread once every bundle has started; when it
 * returns, the launcher stops the framework, waits for it, and {@code System.exit}s with the
 * returned value. Without such a service the launcher exits with 117 when the framework stops.
 * {@code call()} returns the status given to {@link #exit(int)}, or 0 once the framework stops
 * ({@code stop 0}, a SIGTERM). Stopping or updating the core bundle alone does not end the run.
 *
 * <p>A JVM shutdown hook (SIGTERM, Ctrl-C, {@code System.exit} elsewhere) stops the framework and
 * waits for it, so every DS component is deactivated before the JVM goes away.
 */
@Component(service = {Callable.class, FrameworkLifecycle.class}, property = "main.thread=true", immediate = true)
public final class FrameworkLifecycle implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger(FrameworkLifecycle.class.getName());
    /** Service property of the bnd launcher's own service: the command line, a {@code String[]}. */
    static final String LAUNCHER_ARGUMENTS = "launcher.arguments";
    static final String GOSH_ARGS = "gosh.args";
    static final String FILEINSTALL_DIR = "felix.fileinstall.dir";
    static final long STOP_TIMEOUT_MS = 30_000;
    /** System property: seconds the framework gets to stop before the JVM is halted (launcher only). */
    static final String STOP_SECONDS = "mmunotifier.stop.seconds";

    private final Framework framework;
    private final List<String> arguments;
    private final boolean underBndLauncher;
    /** Service property marking the launcher's exit status, registered by the system bundle. */
    static final String EXIT_STATUS = "org.mmunotifier.launcher.status";
    private final CompletableFuture<Integer> status;
    private final CountDownLatch mainReturned = new CountDownLatch(1);
    private final Thread hook;
    private final ShutdownGuard guard;
    private volatile boolean inHook;
    private final long coreId;

    @Activate
    public FrameworkLifecycle(BundleContext context) throws InvalidSyntaxException {
        framework = (Framework) context.getBundle(Constants.SYSTEM_BUNDLE_ID);
        coreId = context.getBundle().getBundleId();
        // bnd launcher 7.x registers its service (objectClass java.lang.Object and
        // aQute.launcher.Launcher) before it installs any bundle, so it is already there.
        ServiceReference<?>[] launcher = context.getServiceReferences((String) null, "(" + LAUNCHER_ARGUMENTS + "=*)");
        Object args = launcher == null ? null : launcher[0].getProperty(LAUNCHER_ARGUMENTS);
        underBndLauncher = args instanceof String[];
        arguments = underBndLauncher ? List.of((String[]) args) : List.of();
        // A run with arguments is a batch run: Gogo's shell would stop the framework on stdin EOF.
        // The shell reads gosh.args once, when it starts, through BundleContext.getProperty, which
        // in Felix falls back to system properties. launcher.bndrun starts the shell one start
        // level after every other bundle, so after this; started earlier, it would miss it.
        // An explicit -Dgosh.args (even empty) wins.
        // So is a scenario given by system property, and a run whose stdin is /dev/null (nohup,
        // systemd, a CI job): there the shell would read end-of-file at once and stop the framework,
        // ending the run with status 0 and no report.
        if ((!arguments.isEmpty() || context.getProperty("mmunotifier.scenario") != null || stdinIsDevNull())
                && context.getProperty(GOSH_ARGS) == null) {
            System.setProperty(GOSH_ARGS, "--nointeractive");
        }
        if (underBndLauncher) {
            // (context.getProperty falls back to the system properties, which the line above may have set)
            startShell(context, System.console() != null && context.getProperty(GOSH_ARGS) == null);
        }
        String deploy = context.getProperty(FILEINSTALL_DIR);
        if (underBndLauncher && deploy != null) {
            createFolder(deploy);
        }
        // Only the launcher's JVM is ours to halt: under Pax Exam the framework shares the test JVM.
        status = underBndLauncher ? launcherStatus(context) : new CompletableFuture<>();
        guard = underBndLauncher ? new ShutdownGuard(stopMillis(), System.err, framework, context.getBundle().getBundleId())
                : null;
        if (guard != null) {
            context.addBundleListener(guard);
        }
        hook = new Thread(() -> {
            inHook = true;
            // The guard's own timer (armed by the framework's STOPPING) names who held the stop up.
            stopFramework(guard == null ? 0 : 5_000);
            if (guard != null && guard.stalledDuringShutdown()) {
                Runtime.getRuntime().halt(ShutdownGuard.EXIT_STOP_TIMEOUT); // a SIGTERM'd run ends non-zero too
            }
        }, "mmunotifier-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private static final List<String> SHELLS = List.of("org.apache.felix.gogo.jline", "org.apache.felix.gogo.shell");

    /**
     * The launcher has two shells, both at a start level above the one the framework starts to
     * (launcher.bndrun): Gogo's JLine shell for an operator at a terminal (line editing, completion,
     * history), the plain one otherwise. JLine's takes no commands from a pipe, and run headless its
     * login profile fails with a stack trace; the plain one reads a pipe line by line. The chosen one
     * is moved down to one level above every other bundle's, which the framework reaches next: it
     * starts last.
     */
    private static void startShell(BundleContext context, boolean terminal) {
        String wanted = SHELLS.get(terminal ? 0 : 1);
        // After every other bundle (the web page's server starts at 3 and prints its address first).
        int level = 1;
        for (Bundle b : context.getBundles()) {
            if (!SHELLS.contains(b.getSymbolicName())) {
                level = Math.max(level, b.adapt(org.osgi.framework.startlevel.BundleStartLevel.class).getStartLevel() + 1);
            }
        }
        for (Bundle b : context.getBundles()) {
            if (wanted.equals(b.getSymbolicName())) {
                b.adapt(org.osgi.framework.startlevel.BundleStartLevel.class).setStartLevel(level);
            }
        }
    }

    /** Whether the JVM's stdin is {@code /dev/null} (where the OS says; false where it cannot tell). */
    static boolean stdinIsDevNull() {
        try {
            java.nio.file.Path in = java.nio.file.Path.of("/proc/self/fd/0");
            java.nio.file.Path devNull = java.nio.file.Path.of("/dev/null");
            return java.nio.file.Files.exists(in) && java.nio.file.Files.isSameFile(in, devNull);
        } catch (java.io.IOException | SecurityException | java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private static long stopMillis() {
        long s = Long.getLong(STOP_SECONDS, STOP_TIMEOUT_MS / 1000);
        return Math.max(1, s) * 1000;
    }

    /**
     * The status the launcher's main thread waits for, one per framework: registered by the system
     * bundle, so it outlives this bundle. The main thread stays in the first instance's {@link #call()}
     * when the core alone is stopped ({@code stop 9}) and started again, or updated; a new instance
     * must complete the same future. It is completed with 0 when the framework begins to stop, also
     * while the core is stopped (then no component of ours is there to do it).
     */
    @SuppressWarnings("unchecked")
    private static CompletableFuture<Integer> launcherStatus(BundleContext context) throws InvalidSyntaxException {
        BundleContext system = context.getBundle(Constants.SYSTEM_BUNDLE_ID).getBundleContext();
        ServiceReference<?>[] refs = system.getServiceReferences(CompletableFuture.class.getName(),
                "(" + EXIT_STATUS + "=*)");
        if (refs != null) {
            return (CompletableFuture<Integer>) system.getService(refs[0]);
        }
        CompletableFuture<Integer> status = new CompletableFuture<>();
        system.registerService(CompletableFuture.class.getName(), status,
                new java.util.Hashtable<>(java.util.Map.of(EXIT_STATUS, Boolean.TRUE)));
        system.addBundleListener((org.osgi.framework.SynchronousBundleListener) e -> {
            if (e.getBundle().getBundleId() == Constants.SYSTEM_BUNDLE_ID && e.getType() == BundleEvent.STOPPING) {
                status.complete(0);
            }
        });
        return status;
    }

    /** Whether the whole framework is stopping, not only this bundle. */
    private boolean frameworkStopping() {
        int state = framework.getState();
        return state == Bundle.STOPPING || state == Bundle.RESOLVED || state == Bundle.INSTALLED;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (underBndLauncher && !frameworkStopping()) {
            // The core alone was stopped (stop, update): the launcher's main thread goes on waiting
            // for the framework. Ending the run here would stop every other bundle with it. The
            // shutdown hook stays: a SIGTERM while the core is stopped still stops the framework.
            Console.println(System.out, "[mmu] the core (bundle " + coreId + ") stopped; the framework keeps"
                    + " running: 'start " + coreId + "' starts it again, 'stop 0' quits");
            return;
        }
        if (guard != null && guard.stalledDuringShutdown()) {
            // A driver held the stop up; it finished only because the core gave up waiting for it.
            System.err.println("mmunotifier: the shutdown was held up by a stuck driver:");
            for (String line : guard.heldUp()) {
                System.err.println("  " + line);
            }
            System.err.flush();
            status.complete(ShutdownGuard.EXIT_STOP_TIMEOUT);
        }
        status.complete(0); // no-op when exit(status) came first
        if (underBndLauncher) {
            // Let the launcher's main thread return from call() before the framework can reach
            // STOPPED (it cannot while we are deactivating): the launcher's FrameworkWaiter
            // thread exits with 117 if it sees STOPPED before the main thread has begun its own
            // orderly stop. Bounded: during startup the main thread may not get here at all.
            mainReturned.await(5, TimeUnit.SECONDS);
        }
        if (!inHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // System.exit is under way (the hook is then already running or done).
            }
        }
    }

    /** The launcher's watched folder: operators drop driver jars and .cfg files there. */
    private static void createFolder(String dir) {
        try {
            Files.createDirectories(Path.of(dir));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot create the watched folder " + dir + ": " + e);
        }
    }

    /** The bnd launcher's main thread: blocks until {@link #exit(int)} or deactivation. */
    @Override
    public Integer call() throws InterruptedException, ExecutionException {
        try {
            return status.get();
        } finally {
            mainReturned.countDown();
        }
    }

    /** The command line after the jar name; empty when not launched by the bnd launcher (e.g. Pax Exam). */
    public List<String> arguments() {
        return arguments;
    }

    /** Whether the bnd launcher started this framework (it then calls {@link #call()}). */
    public boolean launchedByBnd() {
        return underBndLauncher;
    }

    /**
     * Stops the framework and ends the JVM with {@code status}. Never blocks, so it is safe from a
     * component's own thread, its activate method, or an SCR callback. The first status wins.
     *
     * @param status 0..255, except 197 and 198 which the bnd launcher reserves (return instead of
     *     exit, wait for another main-thread service)
     */
    public void exit(int status) {
        if (status < 0 || status > 255 || status == 197 || status == 198) {
            throw new IllegalArgumentException("exit status " + status + " is not 0..255 or is reserved (197, 198)");
        }
        if (!this.status.complete(status)) {
            return;
        }
        if (!underBndLauncher) {
            // Nobody calls call(): stop from a thread of our own. Stopping on the caller's thread
            // would deadlock when the caller is a component waiting for its own deactivation.
            Thread exiter = new Thread(() -> {
                stopFramework(0);
                System.exit(status);
            }, "mmunotifier-exit");
            exiter.start();
        }
        // Bounded: if some bundle never finishes stopping, end the JVM anyway.
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(stopMillis() + 5_000);
                System.err.println("mmunotifier: the framework did not stop in time; halting with " + status);
                System.err.flush();
                Runtime.getRuntime().halt(status);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mmunotifier-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** @param extraMillis how much longer than the stop bound to wait (the guard speaks first) */
    private void stopFramework(long extraMillis) {
        try {
            framework.stop(); // returns at once; Felix stops on a thread of its own
            if (framework.waitForStop(stopMillis() + extraMillis).getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                // Straight to stderr: in a shutdown hook the JDK's logging may already be closed.
                System.err.println("mmunotifier: the framework did not stop within " + stopMillis() + " ms");
                System.err.flush();
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.ERROR, "stopping the framework failed", e);
        }
    }
}
