package org.mmunotifier.core.internal.osgi;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Stops and restarts, or updates, a driver bundle, and times the teardown: from the stop request
 * until the bundle has stopped, which includes its components' deactivation and the core's forced
 * cleanup of anything it left registered.
 */
public final class DriverSwapper {
    /**
     * What one swap did.
     *
     * @param bundle the bundle swapped
     * @param how "restart" or "update"
     * @param teardownMicros stop request until stopped (deactivation, grace periods, forced cleanup)
     * @param startMicros start (or update and start) until active
     * @param leftBehind registrations the core had to take back from it
     */
    public record Swap(String bundle, String how, long teardownMicros, long startMicros, int leftBehind) {
    }

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
                String bsn = b.getSymbolicName();
                if (w.equals(bsn) || (ScenarioRunner.DRIVERS + w).equals(bsn)) {
                    return b;
                }
            }
        }
        throw new IllegalArgumentException("no bundle '" + which + "': give a bundle id, a symbolic name, or kvm/rdma/gru");
    }

    /** Stops {@code bundle} and starts it again. */
    public Swap restart(Bundle bundle) throws BundleException {
        return swap(bundle, "restart", b -> { });
    }

    /**
     * Stops {@code bundle}, updates it from {@code jar} (a path or URL; null: from its own
     * location), refreshes it (the old revision's class loader goes away here) and starts it.
     */
    public Swap update(Bundle bundle, String jar) throws BundleException {
        URL url = jar == null ? ownLocation(bundle) : toUrl(jar); // checked before anything is stopped
        return swap(bundle, "update", b -> {
            try (InputStream in = url.openStream()) {
                b.update(in);
            } catch (IOException e) {
                throw new BundleException("cannot read " + url + ": " + e.getMessage(), e);
            }
            refresh(b);
        });
    }

    private interface Change {
        void apply(Bundle b) throws BundleException;
    }

    private Swap swap(Bundle bundle, String how, Change change) throws BundleException {
        if (bundle.getBundleId() == 0 || bundle.equals(context.getBundle())) {
            throw new IllegalArgumentException(BundleOwners.name(bundle) + " is not a driver: it cannot be swapped");
        }
        if (bundle.getState() != Bundle.ACTIVE) {
            throw new IllegalStateException(BundleOwners.name(bundle) + " is not active");
        }
        String name = BundleOwners.name(bundle);
        long before = owners.cleanupCount();
        long t0 = System.nanoTime();
        bundle.stop();
        long t1 = System.nanoTime();
        change.apply(bundle);
        bundle.start();
        long t2 = System.nanoTime();
        int left = owners.leftBehindSince(before, bundle.getBundleId());
        return new Swap(name, how, (t1 - t0) / 1_000, (t2 - t1) / 1_000, left);
    }

    /**
     * Where the bundle was installed from: a URL, or (the bnd launcher installs the bundles it
     * embeds from a stream) a path inside the launcher jar.
     */
    private static URL ownLocation(Bundle bundle) {
        String loc = bundle.getLocation();
        URL embedded = ClassLoader.getSystemResource(loc);
        if (embedded != null) {
            return embedded;
        }
        return toUrl(loc.startsWith("reference:") ? loc.substring("reference:".length()) : loc);
    }

    private static URL toUrl(String jar) {
        try {
            URI uri = jar.contains(":") && !jar.matches("^[A-Za-z]:\\\\.*") ? URI.create(jar) : new File(jar).toURI();
            URL url = uri.toURL();
            url.openConnection().connect(); // fail here, before anything is stopped
            return url;
        } catch (IllegalArgumentException | IOException e) {
            throw new IllegalArgumentException("cannot read jar '" + jar + "': " + e.getMessage());
        }
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
