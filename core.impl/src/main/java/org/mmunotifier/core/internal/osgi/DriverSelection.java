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

    /** Stops every driver not in {@code selected} and starts (or marks to start) those that are not active. */
    void apply(List<Bundle> selected) {
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
