package org.mmunotifier.core.internal.osgi;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.Drivers.Swap;
import org.mmunotifier.core.internal.jfr.Trace;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Stops and restarts, or updates, a driver bundle, and times the teardown: from the stop request until the bundle
 * has stopped, which includes its components' deactivation and the core's forced cleanup of anything it left
 * registered.
 *
 * <p>Everything that can be checked is checked before the bundle is stopped: which bundle, that it may be swapped,
 * and the jar (read into memory once, a bundle of the same symbolic name). A swap that fails after the stop is
 * rolled back: the previous revision is started again, and the error says so. Every refusal and failure is an
 * {@link IllegalArgumentException} or {@link IllegalStateException} with a one-line message. One swap runs at a
 * time.
 */
public final class DriverSwapper {
    /** Swaps one at a time, whoever asks (the shell, the hotswap scenario, the web page through {@link Drivers}). */
    private static final Object SWAPPING = new Object();

    private final BundleContext context;
    private final BundleOwners owners;

    public DriverSwapper(BundleContext context, BundleOwners owners) {
        this.context = context;
        this.owners = owners;
    }

    /**
     * A bundle by id, symbolic name, or the last part of an {@code org.mmunotifier.drivers.} name
     * ({@code kvm}).
     *
     * @throws IllegalArgumentException if no bundle matches
     */
    public Bundle bundle(String which) {
        String w = which.strip();
        if (!w.isEmpty() && w.chars().allMatch(Character::isDigit)) {
            Bundle b = context.getBundle(Long.parseLong(w));
            if (b != null) {
                return b;
            }
        } else {
            for (Bundle b : context.getBundles()) {
                if (DriverSelection.named(b, w)) {
                    return b;
                }
            }
        }
        throw new IllegalArgumentException("no bundle '" + which + "': give a bundle id, a symbolic name, or kvm/rdma/gru");
    }

    /**
     * Stops {@code bundle} and starts it again.
     *
     * @param force swap it even if it is not a driver (never the system bundle or the core)
     */
    public Swap restart(Bundle bundle, boolean force) {
        requireSwappable(bundle, force);
        return swap(bundle, null);
    }

    /**
     * Stops {@code bundle}, updates it from {@code jar}, refreshes it (the old revision's class loader goes away
     * here) and starts it.
     *
     * @param jar a filesystem path or {@code file:} URL; null: where the bundle was installed from
     * @param force swap it even if it is not a driver (never the system bundle or the core)
     */
    public Swap update(Bundle bundle, String jar, boolean force) {
        requireSwappable(bundle, force);
        BundleJar next = jar == null ? BundleJar.ofLocation(bundle) : BundleJar.read(jar);
        next.requireSymbolicNameOf(bundle);
        return swap(bundle, next);
    }

    /**
     * Whether {@code bundle} is a driver: it declares a {@link Drivers#NAMESPACE} capability, or it holds notifier
     * registrations.
     */
    boolean isDriver(Bundle bundle) {
        return DriverSelection.declaresDriver(bundle)
                || owners.registrations().stream().anyMatch(r -> r.bundleId() == bundle.getBundleId());
    }

    /** Why {@code bundle} is refused as not a driver, without the remedy. */
    static String notADriver(Bundle bundle) {
        return BundleOwners.name(bundle) + " is not a driver (no " + Drivers.NAMESPACE
                + " capability, no notifier registrations)";
    }

    private void requireSwappable(Bundle bundle, boolean force) {
        String name = BundleOwners.name(bundle);
        if (bundle.getBundleId() == 0) {
            throw new IllegalArgumentException(name + " is the system bundle: it cannot be swapped");
        }
        if (bundle.equals(context.getBundle())) {
            throw new IllegalArgumentException(name + " is the core, which runs the swap: it cannot be swapped");
        }
        if (!force && !isDriver(bundle)) {
            throw new IllegalArgumentException(notADriver(bundle) + ": --force swaps it anyway");
        }
        if (bundle.getState() != Bundle.ACTIVE) {
            throw new IllegalStateException(name + " is not active: only an active bundle is swapped");
        }
    }

    /** Stops {@code bundle}, updates it to {@code next} unless null, starts it; rolls back on failure. */
    private Swap swap(Bundle bundle, BundleJar next) {
        synchronized (SWAPPING) {
            return swapAlone(bundle, next);
        }
    }

    private Swap swapAlone(Bundle bundle, BundleJar next) {
        String name = BundleOwners.name(bundle);
        BundleJar previous = next == null ? null : BundleJar.ofRevision(bundle);
        String how = next == null ? "restart" : "update";
        long before = owners.cleanupCount();
        Object event = Trace.beginSwap();
        long t0 = System.nanoTime();
        long t1 = t0;
        boolean updated = false;
        try {
            try (AutoCloseable stop = owners.trackStop(bundle)) {
                bundle.stop();
            }
            t1 = System.nanoTime();
            if (next != null) {
                bundle.update(next.stream());
                updated = true;
                refresh(bundle);
            }
            bundle.start();
        } catch (Exception e) {
            IllegalStateException failed = rollBack(bundle, name, updated ? previous : null, e);
            Trace.swapped(event, name, how, (t1 - t0) / 1_000, 0, owners.leftBehindSince(before, bundle.getBundleId()),
                    failed.getMessage());
            throw failed;
        }
        long t2 = System.nanoTime();
        int left = owners.leftBehindSince(before, bundle.getBundleId());
        Swap swap = new Swap(name, how, (t1 - t0) / 1_000, (t2 - t1) / 1_000, left);
        Trace.swapped(event, name, how, swap.teardownMicros(), swap.startMicros(), left, null);
        return swap;
    }

    /**
     * Starts the previous revision again after a failed swap: as it is if it is still installed (the stop, the
     * update or the restart failed), else reinstalled from {@code previous}.
     *
     * @return the error to throw, saying what failed and whether the previous revision runs again
     */
    private IllegalStateException rollBack(Bundle bundle, String name, BundleJar previous, Exception failure) {
        String why = "swap of " + name + " failed: " + oneLine(failure);
        try {
            if (previous != null) {
                bundle.update(previous.stream());
                refresh(bundle);
            }
            bundle.start();
            return new IllegalStateException(why + "; the previous revision was started again", failure);
        } catch (BundleException | RuntimeException e) {
            IllegalStateException error = new IllegalStateException(why + "; starting the previous revision again"
                    + " also failed: " + oneLine(e) + "; the bundle is " + stateName(bundle.getState()), failure);
            error.addSuppressed(e);
            return error;
        }
    }

    /** An exception and its causes' messages on one line. */
    static String oneLine(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null && b.length() < 1_000; c = c.getCause()) {
            String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (b.indexOf(m) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(m);
            }
        }
        return b.toString().replaceAll("\\s+", " ").strip();
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "in state " + state;
        };
    }

    /** Refreshes {@code bundle} and waits: the old revision's class loader goes away here. */
    private void refresh(Bundle bundle) {
        FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        fw.refreshBundles(List.of(bundle), e -> done.countDown());
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
