package org.mmunotifier.itests;

import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.itests.tiny.faulty.FaultyDriver;
import org.mmunotifier.itests.tiny.faulty.FaultyNotifier;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.tinybundles.core.TinyBundle;
import org.ops4j.pax.tinybundles.core.TinyBundles;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The one framework every Pax Exam test class runs in, and the helpers the tests share.
 *
 * <p>A test class's {@code @Configuration} returns {@link #framework(Option...)} (or
 * {@link #frameworkWithout(Collection, Option...)}), runs with {@code @ExamReactorStrategy(PerClass.class)}
 * and so gets a fresh Felix per class, with:
 * <ul>
 * <li>SCR + org.osgi.service.component + org.osgi.util.promise + org.osgi.util.function, ConfigAdmin,
 * Metatype, the Gogo runtime and Gogo commands (no Gogo shell: it would read stdin), FileInstall;</li>
 * <li>TinyBundles (and the bndlib it imports), to build bundles inside a test;</li>
 * <li>the reactor's bundles as this build made them ({@link #MODULES}), by {@code file:} URL.</li>
 * </ul>
 * FileInstall watches a new folder per framework under {@code target/itest-work/}
 * ({@link #watchedFolder(BundleContext)}), polling every 200 ms.
 *
 * <p>The paths come from system properties that failsafe sets (see the pom); run from an IDE, the defaults
 * assume the working directory is {@code itests/} and {@code mvn verify} ran once.
 *
 * <p>The helpers that take a {@link BundleContext} are meant for the test methods, which run inside the
 * framework; {@code framework(...)} runs in the test driver.
 */
public final class ItestSupport {

    /** Folder holding the reactor's bundles as {@code <module>.jar}. */
    public static final String BUNDLES_DIR_PROPERTY = "itests.bundles.dir";
    /** Folder holding the third-party runtime bundles as {@code <artifactId>.jar}. */
    public static final String RUNTIME_DIR_PROPERTY = "itests.runtime.dir";
    /** Folder under which each framework gets its FileInstall folder. */
    public static final String WORK_DIR_PROPERTY = "itests.work.dir";

    /** The FileInstall property naming the watched folder (a framework property). */
    public static final String FILEINSTALL_DIR = "felix.fileinstall.dir";

    /** Symbolic names of our bundles are {@code BSN_PREFIX + module}. */
    public static final String BSN_PREFIX = "org.mmunotifier.";

    /** The reactor modules installed by default, in install (and start) order. */
    public static final List<String> MODULES =
            List.of("core.api", "core.impl", "drivers.kvm", "drivers.rdma", "drivers.gru");

    /** The driver modules (a subset of {@link #MODULES}). */
    public static final List<String> DRIVERS = List.of("drivers.kvm", "drivers.rdma", "drivers.gru");

    /** Third-party bundles, in start order (files in {@link #RUNTIME_DIR_PROPERTY}). */
    static final List<String> RUNTIME_BUNDLES = List.of(
            "org.osgi.util.function",
            "org.osgi.util.promise",
            "org.osgi.service.component",
            "org.apache.felix.scr",
            "org.apache.felix.configadmin",
            "org.apache.felix.metatype",
            "org.apache.felix.gogo.runtime",
            "org.apache.felix.gogo.command",
            "org.apache.felix.fileinstall",
            "bndlib",
            "tinybundles");

    /** How long the waiting helpers wait unless told otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** FileInstall's poll interval in milliseconds. */
    public static final long FILEINSTALL_POLL_MILLIS = 200;

    private ItestSupport() {
    }

    /**
     * The whole framework: runtime, TinyBundles, every module of {@link #MODULES}, then {@code extra}
     * (later options win where Pax Exam keeps one value).
     */
    public static Option[] framework(Option... extra) {
        return frameworkWithout(List.of(), extra);
    }

    /**
     * The framework without some of our modules, e.g. {@code frameworkWithout(List.of("drivers.kvm"))} for a
     * test that deploys {@code drivers.kvm.jar} through the watched folder itself.
     */
    public static Option[] frameworkWithout(Collection<String> leftOut, Option... extra) {
        for (String module : leftOut) {
            if (!MODULES.contains(module)) {
                throw new IllegalArgumentException("not a module: " + module + " (modules: " + MODULES + ")");
            }
        }
        List<Option> options = new ArrayList<>();

        // Quiet framework, SCR, ConfigAdmin and FileInstall: warnings and errors only.
        options.add(frameworkProperty("felix.log.level").value("2"));
        options.add(frameworkProperty("ds.loglevel").value("warn"));
        options.add(frameworkProperty("felix.cm.loglevel").value("2"));
        options.add(frameworkProperty("felix.fileinstall.log.level").value("2"));

        // JFR rewrites the core's event classes to call into jdk.jfr.internal (as in launcher.bndrun).
        options.add(bootDelegationPackage("jdk.jfr.internal.*"));

        // FileInstall on a folder of its own for this framework.
        options.add(frameworkProperty(FILEINSTALL_DIR).value(newWatchedFolder().toString()));
        options.add(frameworkProperty("felix.fileinstall.poll").value(Long.toString(FILEINSTALL_POLL_MILLIS)));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        // Without it, a dropped bundle that satisfies an optional import of SCR/FileInstall deadlocks a refresh.
        options.add(frameworkProperty("felix.fileinstall.optionalImportRefreshScope").value("managed"));

        // The paths, for code running inside the framework as well (same JVM with the native container,
        // but explicit rather than inherited).
        options.add(systemProperty(BUNDLES_DIR_PROPERTY).value(bundlesDir().toString()));
        options.add(systemProperty(RUNTIME_DIR_PROPERTY).value(runtimeDir().toString()));
        options.add(systemProperty(WORK_DIR_PROPERTY).value(workDir().toString()));

        options.add(junitBundles());
        for (String name : RUNTIME_BUNDLES) {
            options.add(bundle(location(runtimeDir().resolve(name + ".jar"))));
        }
        for (String module : MODULES) {
            if (!leftOut.contains(module)) {
                options.add(bundle(bundleLocation(module)));
            }
        }
        options.addAll(Arrays.asList(extra));
        return options.toArray(new Option[0]);
    }

    // ---- paths ---------------------------------------------------------------------------------------------

    /** {@code target/bundles}: the reactor's bundles as this build made them. */
    public static Path bundlesDir() {
        return dirProperty(BUNDLES_DIR_PROPERTY, "target/bundles");
    }

    /** {@code target/runtime-bundles}: the third-party bundles of the test framework. */
    public static Path runtimeDir() {
        return dirProperty(RUNTIME_DIR_PROPERTY, "target/runtime-bundles");
    }

    /** {@code target/itest-work}: per-run folders. */
    public static Path workDir() {
        return dirProperty(WORK_DIR_PROPERTY, "target/itest-work");
    }

    /**
     * The bundle jar of a module, e.g. {@code bundleJar("drivers.kvm")} is {@code .../target/bundles/drivers.kvm.jar}.
     * Fails if the file is missing (run {@code mvn verify}, which copies it in pre-integration-test).
     */
    public static Path bundleJar(String module) {
        Path jar = bundlesDir().resolve(module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no bundle jar for module " + module + ": " + jar
                    + " (copied by maven-dependency-plugin in pre-integration-test)");
        }
        return jar;
    }

    /** The {@code file:} URL a module's bundle is installed from. */
    public static String bundleLocation(String module) {
        return location(bundleJar(module));
    }

    /** The symbolic name of a module's bundle: {@code org.mmunotifier.<module>}. */
    public static String symbolicName(String module) {
        return BSN_PREFIX + module;
    }

    /**
     * The folder FileInstall watches in the framework of {@code context}. Bundles FileInstall installs from it
     * have {@code jar.toFile().toURI()} ({@code file:/...}) as location, not {@code Path.toUri()} ({@code file:///...}).
     */
    public static Path watchedFolder(BundleContext context) {
        String dir = context.getProperty(FILEINSTALL_DIR);
        if (dir == null) {
            throw new IllegalStateException(FILEINSTALL_DIR + " is not set in this framework");
        }
        return Paths.get(dir);
    }

    // ---- bundles -------------------------------------------------------------------------------------------

    /** The installed bundle with this symbolic name, if any (the newest if several). */
    public static Optional<Bundle> findBundle(BundleContext context, String symbolicName) {
        Bundle found = null;
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())
                    && (found == null || b.getVersion().compareTo(found.getVersion()) > 0)) {
                found = b;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The installed bundle with this symbolic name; fails, listing what is installed, if there is none. */
    public static Bundle bundleBySymbolicName(BundleContext context, String symbolicName) {
        return findBundle(context, symbolicName).orElseThrow(() -> new AssertionError(
                "no bundle " + symbolicName + " installed; installed: " + describeBundles(context)));
    }

    /** A module's installed bundle, e.g. {@code moduleBundle(context, "core.api")}. */
    public static Bundle moduleBundle(BundleContext context, String module) {
        return bundleBySymbolicName(context, symbolicName(module));
    }

    /** {@code [id] symbolicName version STATE, ...} of every installed bundle. */
    public static String describeBundles(BundleContext context) {
        return Arrays.stream(context.getBundles())
                .map(ItestSupport::describe)
                .collect(Collectors.joining(", "));
    }

    /** {@code [id] symbolicName version STATE}. */
    public static String describe(Bundle b) {
        return "[" + b.getBundleId() + "] " + b.getSymbolicName() + " " + b.getVersion() + " " + stateName(b.getState());
    }

    /** The name of a bundle state constant. */
    public static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "STATE(" + state + ")";
        }
    }

    // ---- TinyBundles ---------------------------------------------------------------------------------------

    /**
     * A bundle built on the fly: {@code activator} (one class, no nested or other classes) as its Bundle-Activator,
     * importing {@code org.osgi.framework} plus {@code imports} (Import-Package clauses). Built with TinyBundles'
     * classic builder: its bnd builder (bndlib 2.4.0) cannot analyse Java 17 classes, so imports are by hand.
     * The caller closes the stream.
     */
    public static InputStream activatorBundle(String symbolicName, Class<? extends BundleActivator> activator,
            String... imports) throws IOException {
        return tinyBundle(symbolicName, Map.of(), activator, List.of(), imports);
    }

    /**
     * As {@link #activatorBundle}, with more classes (each one class file: no nested, anonymous or other classes
     * of theirs come along) and more manifest headers. Works inside the framework and outside it (TinyBundles is a
     * plain library): the class files are read through the classes' own class loaders.
     */
    public static InputStream tinyBundle(String symbolicName, Map<String, String> headers,
            Class<? extends BundleActivator> activator, List<Class<?>> classes, String... imports) throws IOException {
        TinyBundle bundle = TinyBundles.bundle();
        List<Class<?>> all = new ArrayList<>();
        all.add(activator);
        all.addAll(classes);
        for (Class<?> type : all) {
            // TinyBundle.add(Class) only reads file: and jar: URLs; inside the framework classes are bundle: URLs.
            String classFile = type.getName().replace('.', '/') + ".class";
            byte[] bytes;
            try (InputStream in = type.getClassLoader().getResourceAsStream(classFile)) {
                if (in == null) {
                    throw new IOException("class file not found: " + classFile);
                }
                bytes = in.readAllBytes();
            }
            bundle.add(classFile, new ByteArrayInputStream(bytes));
        }
        List<String> allImports = new ArrayList<>();
        allImports.add("org.osgi.framework;version=\"[1.8,2)\"");
        allImports.addAll(Arrays.asList(imports));
        bundle.set(org.osgi.framework.Constants.BUNDLE_MANIFESTVERSION, "2")
                .set(org.osgi.framework.Constants.BUNDLE_SYMBOLICNAME, symbolicName)
                .set(org.osgi.framework.Constants.BUNDLE_VERSION, "1.0.0")
                .set(org.osgi.framework.Constants.BUNDLE_ACTIVATOR, activator.getName())
                .set(org.osgi.framework.Constants.IMPORT_PACKAGE, String.join(",", allImports));
        headers.forEach(bundle::set);
        return bundle.build(TinyBundles.withClassicBuilder());
    }

    /** The Import-Package clause of {@code org.mmunotifier.api}, for bundles built here. */
    public static final String API_IMPORT = "org.mmunotifier.api;version=\"[2.0,3)\"";

    /**
     * A {@link FaultyDriver} bundle misbehaving as {@code mode} says (one of its mode constants), importing only
     * {@code org.mmunotifier.api} and {@code org.osgi.framework}.
     */
    public static InputStream faultyDriver(String symbolicName, String mode) throws IOException {
        return tinyBundle(symbolicName, Map.of(FaultyDriver.MODE_HEADER, mode), FaultyDriver.class,
                List.of(FaultyNotifier.class), API_IMPORT);
    }

    // ---- DS ------------------------------------------------------------------------------------------------

    /** Our bundles: those whose symbolic name starts with {@link #BSN_PREFIX}. */
    public static Bundle[] ourBundles(BundleContext context) {
        return Arrays.stream(context.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith(BSN_PREFIX))
                .toArray(Bundle[]::new);
    }

    /** The stall watchdog's configuration PID, and the core component that applies it. */
    public static final String WATCHDOG_PID = "org.mmunotifier.core.watchdog";
    static final String WATCHDOG_COMPONENT = "org.mmunotifier.core.internal.osgi.WatchdogSettings";

    /**
     * Sets the stall watchdog's thresholds through ConfigAdmin and waits until the core's settings component has
     * them.
     */
    public static void configureWatchdog(BundleContext context, long stallMillis, long giveUpMillis) throws Exception {
        ConfigAdmin cm = new ConfigAdmin(context);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("stallMillis", stallMillis);
        props.put("giveUpMillis", giveUpMillis);
        cm.update(cm.configuration(WATCHDOG_PID), props);
        ServiceComponentRuntime scr = waitForService(context, ServiceComponentRuntime.class);
        Bundle core = moduleBundle(context, "core.impl");
        waitUntil(WATCHDOG_COMPONENT + " with stallMillis=" + stallMillis + ", giveUpMillis=" + giveUpMillis,
                DEFAULT_TIMEOUT, () -> {
                    ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(core, WATCHDOG_COMPONENT);
                    return d != null && scr.getComponentConfigurationDTOs(d).stream()
                            .anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE
                                    && String.valueOf(stallMillis).equals(String.valueOf(c.properties.get("stallMillis")))
                                    && String.valueOf(giveUpMillis).equals(String.valueOf(c.properties.get("giveUpMillis"))));
                });
    }

    /**
     * What is wrong with the DS components of {@code bundles}: one line per component that is disabled, has no
     * configuration, or has a configuration that is not ACTIVE or SATISFIED, naming the component, its bundle,
     * its state and, for UNSATISFIED_REFERENCE, each unsatisfied reference with its interface. Empty when all is well.
     */
    public static List<String> componentProblems(ServiceComponentRuntime scr, Bundle... bundles) {
        List<String> problems = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(bundles)) {
            String who = d.name + " [" + d.bundle.symbolicName + "]";
            if (!scr.isComponentEnabled(d)) {
                problems.add(who + " DISABLED");
                continue;
            }
            Collection<ComponentConfigurationDTO> configs = scr.getComponentConfigurationDTOs(d);
            if (configs.isEmpty()) {
                problems.add(who + " has no configuration (configuration-policy " + d.configurationPolicy + ")");
            }
            for (ComponentConfigurationDTO c : configs) {
                switch (c.state) {
                    case ComponentConfigurationDTO.ACTIVE:
                    case ComponentConfigurationDTO.SATISFIED:
                        break;
                    case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                        problems.add(who + " UNSATISFIED_REFERENCE: " + Arrays.stream(c.unsatisfiedReferences)
                                .map(u -> describe(d, u))
                                .collect(Collectors.joining(", ")));
                        break;
                    case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION:
                        problems.add(who + " UNSATISFIED_CONFIGURATION (configuration-policy "
                                + d.configurationPolicy + ", pids " + Arrays.toString(d.configurationPid) + ")");
                        break;
                    case ComponentConfigurationDTO.FAILED_ACTIVATION:
                        problems.add(who + " FAILED_ACTIVATION: " + c.failure);
                        break;
                    default:
                        problems.add(who + " state " + c.state);
                }
            }
        }
        return problems;
    }

    /** {@code name (interface, cardinality, target filter)} of an unsatisfied reference. */
    private static String describe(ComponentDescriptionDTO d, UnsatisfiedReferenceDTO u) {
        ReferenceDTO ref = Arrays.stream(d.references).filter(r -> r.name.equals(u.name)).findFirst().orElse(null);
        String iface = ref == null ? "?" : ref.interfaceName;
        String cardinality = ref == null ? "?" : ref.cardinality;
        return u.name + " (" + iface + ", " + cardinality + (u.target == null ? "" : ", target " + u.target) + ")";
    }

    // ---- waiting -------------------------------------------------------------------------------------------

    /** A service of this type, waiting up to {@link #DEFAULT_TIMEOUT}. */
    public static <T> T waitForService(BundleContext context, Class<T> type) {
        return waitForService(context, type, null, DEFAULT_TIMEOUT);
    }

    /**
     * A service of this type matching {@code filter} (an LDAP filter, or null for any), waiting up to
     * {@code timeout}; fails with an {@link AssertionError} naming type and filter when none comes. The service
     * is got through {@code context} and stays got for the life of the test's framework.
     */
    public static <T> T waitForService(BundleContext context, Class<T> type, String filter, Duration timeout) {
        ServiceReference<T> ref = waitForServiceReference(context, type, filter, timeout);
        T service = context.getService(ref);
        if (service == null) {
            throw new AssertionError("service " + type.getName() + " went away before it could be got");
        }
        return service;
    }

    /** Like {@link #waitForService(BundleContext, Class, String, Duration)}, but the reference only. */
    public static <T> ServiceReference<T> waitForServiceReference(BundleContext context, Class<T> type, String filter,
            Duration timeout) {
        String ldap = "(" + org.osgi.framework.Constants.OBJECTCLASS + "=" + type.getName() + ")";
        if (filter != null && !filter.isBlank()) {
            ldap = "(&" + ldap + filter + ")";
        }
        Filter f;
        try {
            f = FrameworkUtil.createFilter(ldap);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad filter " + filter, e);
        }
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, f, null);
        tracker.open();
        try {
            if (tracker.waitForService(timeout.toMillis()) == null) {
                throw new AssertionError("no service " + ldap + " within " + timeout.toMillis() + " ms");
            }
            ServiceReference<T> ref = tracker.getServiceReference();
            if (ref == null) {
                throw new AssertionError("service " + ldap + " went away while being waited for");
            }
            return ref;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + ldap, e);
        } finally {
            tracker.close();
        }
    }

    /** Polls {@code condition} every 20 ms until it holds; fails with {@code what} after {@code timeout}. */
    public static void waitUntil(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }

    // ---- load ---------------------------------------------------------------------------------------------

    /** The built-in drivers' shell scopes; {@code <scope>:counters} returns the driver's DeviceCounters. */
    public static final List<String> DRIVER_SCOPES = List.of("kvm", "rdma", "gru");

    /**
     * What the machine has done so far: the demo workload's operations and each built-in driver's counters.
     *
     * @param workloadOps {@link MachineStats#workloadOps()}
     * @param drivers each driver's counters, by shell scope
     */
    public record Load(long workloadOps, Map<String, DeviceCounters.Snapshot> drivers) {

        /** A sample, through {@code shell} for the drivers' counters. */
        public static Load sample(MachineControl machine, GogoShell shell) {
            Map<String, DeviceCounters.Snapshot> drivers = new TreeMap<>();
            for (String scope : DRIVER_SCOPES) {
                try {
                    drivers.put(scope, (DeviceCounters.Snapshot) shell.execute(scope + ":counters"));
                } catch (Exception e) {
                    throw new AssertionError(scope + ":counters failed: " + e, e);
                }
            }
            return new Load(machine.stats().workloadOps(), drivers);
        }

        /**
         * What did not move since {@code before}: the workload's operations, and each driver's invalidations
         * (the workload's munmaps reaching it) and device accesses (its device threads running). Empty when all
         * of them moved.
         */
        public List<String> stillSince(Load before) {
            List<String> still = new ArrayList<>();
            if (workloadOps <= before.workloadOps) {
                still.add("workload ops " + workloadOps);
            }
            drivers.forEach((scope, now) -> {
                DeviceCounters.Snapshot then = before.drivers.get(scope);
                if (now.invalidations() <= then.invalidations()) {
                    still.add(scope + " invalidations " + now.invalidations());
                }
                if (now.accesses() <= then.accesses()) {
                    still.add(scope + " accesses " + now.accesses());
                }
            });
            return still;
        }

        @Override
        public String toString() {
            return "workload ops " + workloadOps + ", " + drivers;
        }
    }

    /**
     * Waits until the workload and every built-in driver have moved on from where they are now (see
     * {@link Load#stillSince}); fails after {@code timeout} naming what stood still {@code during} what.
     */
    public static void awaitProgress(String during, MachineControl machine, GogoShell shell, Duration timeout) {
        List<String> still = standingStill(machine, shell, timeout);
        if (!still.isEmpty()) {
            throw new AssertionError("no progress in " + timeout.toMillis() + " ms " + during + ": " + still);
        }
    }

    /**
     * What of the workload and the built-in drivers did not move on from where they are now within {@code timeout}
     * (see {@link Load#stillSince}), each entry followed by the samples and the device threads that wait; empty as
     * soon as everything moved.
     */
    public static List<String> standingStill(MachineControl machine, GogoShell shell, Duration timeout) {
        Load before = Load.sample(machine, shell);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            sleep(100);
            Load now = Load.sample(machine, shell);
            List<String> still = now.stillSince(before);
            if (still.isEmpty()) {
                return still;
            }
            if (System.nanoTime() - deadline > 0) {
                List<String> out = new ArrayList<>(still);
                out.add("before: " + before + "; after: " + now + "; waiting device threads:" + waitingDeviceThreads());
                return out;
            }
        }
    }

    /** The drivers' device threads that are blocked or waiting, with where (for a failure message). */
    static String waitingDeviceThreads() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            boolean device = DRIVER_SCOPES.stream().anyMatch(scope -> t.getName().startsWith(scope + "-"));
            if (device && t.getState() != Thread.State.RUNNABLE) {
                b.append("\n  ").append(t.getName()).append(' ').append(t.getState());
                Arrays.stream(stack).limit(8).forEach(f -> b.append("\n      at ").append(f));
            }
        });
        return b.length() == 0 ? " none" : b.toString();
    }

    /** Thread.sleep; an interrupt fails the test (the interrupt status is kept). */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ---- internals -----------------------------------------------------------------------------------------

    private static String location(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing bundle " + jar + " (copied by maven-dependency-plugin in"
                    + " pre-integration-test: run mvn verify)");
        }
        return jar.toUri().toString();
    }

    private static Path dirProperty(String property, String fallback) {
        return Paths.get(System.getProperty(property, fallback)).toAbsolutePath().normalize();
    }

    /** A new, empty folder under {@link #workDir()}, named after the test class that asks for it. */
    private static Path newWatchedFolder() {
        String prefix = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.map(StackWalker.StackFrame::getDeclaringClass)
                        .filter(c -> c != ItestSupport.class)
                        .findFirst())
                .map(Class::getSimpleName)
                .orElse("run");
        try {
            Path base = Files.createDirectories(workDir().resolve("fileinstall"));
            return Files.createTempDirectory(base, prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the watched folder", e);
        }
    }
}
