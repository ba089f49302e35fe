package org.mmunotifier.core.internal.osgi;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.mmunotifier.api.runtime.Drivers;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Which driver bundles a scenario runs ({@code --drivers}): the built-in ones by short name, any
 * installed bundle by symbolic name (FileInstall's from {@code deploy/} included), or a bundle jar
 * by path, installed here. The drivers not selected are stopped (transiently) before the workload
 * starts, so they attach to nothing.
 */
final class DriverSelection {
    /** How long a named bundle may take to appear (FileInstall scans {@code deploy/} once a second or so). */
    private static final long APPEAR_NANOS = 10_000_000_000L;
    /** How long the framework may take to reach its start level before the selection applies anyway. */
    private static final long STARTED_NANOS = 60_000_000_000L;
    /** The property bnd's launcher sets on its service once it has started every run bundle. */
    private static final String LAUNCHER_READY = "launcher.ready";

    private final BundleContext context;

    DriverSelection(BundleContext context) {
        this.context = context;
    }

    /** A driver: a built-in one, or a bundle that declares the driver capability. */
    static boolean isDriver(Bundle b) {
        String bsn = b.getSymbolicName();
        return bsn != null && bsn.startsWith(ScenarioRunner.DRIVERS) || declaresDriver(b);
    }

    /** Whether {@code b} declares the {@value Drivers#NAMESPACE} capability. */
    static boolean declaresDriver(Bundle b) {
        BundleRevision revision = b.adapt(BundleRevision.class);
        return revision != null && !revision.getDeclaredCapabilities(Drivers.NAMESPACE).isEmpty();
    }

    /** Whether {@code b} is the bundle an operator calls {@code name}: its symbolic name, or kvm/rdma/gru. */
    static boolean named(Bundle b, String name) {
        String bsn = b.getSymbolicName();
        return name.equals(bsn) || (ScenarioRunner.DRIVERS + name).equals(bsn);
    }

    /** Every driver bundle installed now. */
    List<Bundle> all() {
        return Arrays.stream(context.getBundles()).filter(DriverSelection::isDriver).toList();
    }

    /**
     * The bundles {@code names} select, in order, jars installed (or found installed by their
     * symbolic name), each started.
     *
     * @throws IllegalArgumentException naming a driver that cannot be found, read or started
     */
    List<Bundle> resolve(List<String> names) throws InterruptedException {
        Set<Bundle> selected = new LinkedHashSet<>();
        for (String name : names) {
            Bundle b = !name.endsWith(".jar") ? await(name)
                    : watched(name) ? await(BundleJar.read(name).symbolicName()) : installed(name);
            if (!selected.add(b)) {
                throw new IllegalArgumentException("--drivers: '" + name + "' is " + BundleOwners.name(b)
                        + ", selected twice");
            }
        }
        return List.copyOf(selected);
    }

    /**
     * Stops every driver not in {@code selected} and starts (or marks to start) those that are not
     * active. Waits first until every bundle the launcher starts has been started: one it has not
     * started yet is not ACTIVE, so it would not be stopped here and would start a moment later,
     * attached to every process of a run that selected it out.
     */
    void apply(List<Bundle> selected) throws InterruptedException {
        awaitFrameworkStarted();
        for (Bundle b : all()) {
            if (!selected.contains(b) && b.getState() == Bundle.ACTIVE) {
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                } catch (BundleException | IllegalStateException e) {
                    throw new IllegalArgumentException("--drivers: could not stop " + BundleOwners.name(b)
                            + ", which is not selected: " + e.getMessage());
                }
            }
        }
        for (Bundle b : selected) {
            try {
                // Not transient: one FileInstall installed may wait for the framework's start level.
                b.start();
            } catch (BundleException | IllegalStateException e) {
                throw new IllegalArgumentException("--drivers: " + BundleOwners.name(b) + " does not start: "
                        + e.getMessage());
            }
        }
    }

    /**
     * Until the framework is ACTIVE (it is STARTING while it climbs its start levels) and, under
     * bnd's launcher, until that launcher says {@value #LAUNCHER_READY}: it starts the run bundles
     * itself, one by one, after the framework is ACTIVE. At most a minute.
     */
    private void awaitFrameworkStarted() throws InterruptedException {
        Bundle framework = context.getBundle(Constants.SYSTEM_BUNDLE_ID);
        long deadline = System.nanoTime() + STARTED_NANOS;
        while (!(framework.getState() == Bundle.ACTIVE && launcherDone()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** No bnd launcher, or one that has started its bundles. */
    private boolean launcherDone() {
        try {
            return context.getServiceReferences((String) null, "(" + LAUNCHER_READY + "=true)") != null
                    || context.getServiceReferences((String) null, "(launcher.arguments=*)") == null;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code jar} lies in the folder FileInstall watches ({@code deploy/}): FileInstall installs it. */
    private boolean watched(String jar) {
        String dir = context.getProperty("felix.fileinstall.dir");
        if (dir == null) {
            return false;
        }
        java.nio.file.Path parent = BundleJar.localFile(jar).toAbsolutePath().normalize().getParent();
        return parent != null && parent.equals(java.nio.file.Path.of(dir).toAbsolutePath().normalize());
    }

    /** The bundle of a jar: the one installed from it (by FileInstall, say) or with its symbolic name, else installed now. */
    private Bundle installed(String jar) {
        BundleJar read = BundleJar.read(jar);
        for (Bundle b : context.getBundles()) {
            if (read.symbolicName().equals(b.getSymbolicName())) {
                return b;
            }
        }
        String location = BundleJar.localFile(jar).toAbsolutePath().normalize().toUri().toString();
        try {
            return context.installBundle(location, new ByteArrayInputStream(read.bytes()));
        } catch (BundleException e) {
            throw new IllegalArgumentException("--drivers: cannot install " + jar + ": " + e.getMessage());
        }
    }

    /** The bundle {@code name} names (kvm/rdma/gru or a symbolic name), waiting a while for it to be installed. */
    private Bundle await(String name) throws InterruptedException {
        long deadline = System.nanoTime() + APPEAR_NANOS;
        while (true) {
            for (Bundle b : context.getBundles()) {
                if (named(b, name)) {
                    return b;
                }
            }
            if (System.nanoTime() > deadline) {
                List<String> known = new ArrayList<>();
                all().forEach(b -> known.add(b.getSymbolicName()));
                throw new IllegalArgumentException("--drivers: no bundle '" + name + "' (drivers installed: "
                        + String.join(", ", known) + "; a jar is named by its path, ending in .jar)");
            }
            Thread.sleep(100);
        }
    }
}
