package org.mmunotifier.core.internal.osgi;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.core.internal.notifier.Lease;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.core.internal.notifier.Owner;
import org.mmunotifier.core.internal.notifier.OwnerResolver;
import org.mmunotifier.core.internal.util.RecentLog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Invariant 11: registrations belong to the bundle whose class loader defined the notifier (the
 * code the core would call), and are taken back when that bundle goes away.
 *
 * <p>When: on the bundle's STOPPED event, after its components were deactivated and its activator
 * stopped (which is where a driver tears down what it registered), and before it can be updated
 * or refreshed, so before its class loader goes away. The bundle has stopped, so calls into it
 * are refused (and counted) from the start. A bundle without DS components is cleaned up a little
 * earlier, when the framework releases the {@link BundleServices} instance it used: that happens
 * after its activator stopped, while it is still STOPPING, so calls in flight are let finish.
 * Not so for a DS bundle: its components release their references one by one while others may
 * still be running (and a component is also released on a configuration change), so a release
 * there says nothing about the bundle.
 */
@Component(service = {BundleOwners.class, NotifierRegistry.class}, immediate = true)
public final class BundleOwners implements OwnerResolver, NotifierRegistry, SynchronousBundleListener {
    private static final System.Logger LOG = System.getLogger(BundleOwners.class.getName());
    private static final int ALIVE = Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING;
    private static final String SERVICE_COMPONENT = "Service-Component";

    private final NotifierCore core;
    private final BundleContext context;
    private final Map<Long, Owner> owners = new ConcurrentHashMap<>();
    private final RecentLog<ForcedCleanup> cleanups = new RecentLog<>(256);

    @Activate
    public BundleOwners(@Reference MachineService machine, BundleContext context) {
        this.core = machine.machine().notifierCore();
        this.context = context;
        core.setOwnerResolver(this);
        context.addBundleListener(this);
    }

    @Deactivate
    void deactivate() {
        context.removeBundleListener(this);
        core.setOwnerResolver(OwnerResolver.NONE);
    }

    @Override
    public Owner ownerOf(Object code) {
        Class<?> type = code.getClass();
        Bundle b = FrameworkUtil.getBundle(type);
        if (b == null) {
            return Owner.NONE;
        }
        // A class of an older revision (the bundle was updated or refreshed since) or of a bundle
        // that is not running: whatever the core linked now would call into a dead class loader.
        BundleWiring wiring = b.adapt(BundleWiring.class);
        if ((b.getState() & ALIVE) == 0 || wiring == null || wiring.getClassLoader() != type.getClassLoader()) {
            throw new IllegalStateException(name(b) + " is not running: " + type.getName() + " cannot be registered");
        }
        return owners.computeIfAbsent(b.getBundleId(), id -> core.newOwner(name(b), id));
    }

    /** {@code bundle} released its {@link BundleServices} instance. */
    void released(Bundle bundle) {
        if (bundle.getState() == Bundle.STOPPING && bundle.getHeaders("").get(SERVICE_COMPONENT) == null) {
            takeBack(bundle, false);
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        int t = event.getType();
        if (t == BundleEvent.STOPPED || t == BundleEvent.UNINSTALLED || t == BundleEvent.UNRESOLVED) {
            takeBack(event.getBundle(), true);
        }
    }

    private void takeBack(Bundle bundle, boolean stopped) {
        Owner owner = owners.remove(bundle.getBundleId());
        if (owner == null) {
            return;
        }
        long t0 = System.nanoTime();
        List<String> left = owner.close(stopped);
        long nanos = System.nanoTime() - t0;
        if (!left.isEmpty()) {
            cleanups.add(new ForcedCleanup(bundle.getBundleId(), owner.name(), left, nanos));
            LOG.log(Level.WARNING, "{0} stopped without unregistering {1} notifier registration(s); the core took"
                    + " them back: {2}", owner.name(), left.size(), left);
        }
    }

    @Override
    public List<Registration> registrations() {
        List<Registration> out = new ArrayList<>();
        for (Owner o : owners.values()) {
            for (Lease l : o.leases()) {
                out.add(new Registration(o.bundleId(), o.name(), l.mmId(), l.describe()));
            }
        }
        out.sort(Comparator.comparingLong(Registration::bundleId).thenComparingLong(Registration::mmId));
        return out;
    }

    @Override
    public List<ForcedCleanup> forcedCleanups() {
        return cleanups.recent();
    }

    @Override
    public long callsIntoStoppedBundles() {
        return core.lateCalls();
    }

    static String name(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }
}
