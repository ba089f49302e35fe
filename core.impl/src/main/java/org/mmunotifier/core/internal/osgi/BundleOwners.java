package org.mmunotifier.core.internal.osgi;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.notifier.Lease;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.core.internal.notifier.Owner;
import org.mmunotifier.core.internal.notifier.OwnerResolver;
import org.mmunotifier.core.internal.notifier.StallWatchdog;
import org.mmunotifier.core.internal.util.RecentLog;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Invariant 11: registrations belong to the bundle whose class loader defined the notifier (the
 * code the core would call), and are taken back when that bundle goes away.
 *
 * <p>When: while the bundle is STOPPING, once the framework releases the services it uses. That
 * is after its components were deactivated and its activator stopped (where a driver tears down
 * what it registered), before it is RESOLVED, so before it can be updated or refreshed and its
 * class loader goes away. To be told at that moment, the core takes one use of its per-bundle
 * {@link BundleServices} on the bundle's behalf when the bundle first registers something: the
 * use count then drops to zero only when the framework releases it. (A DS bundle's components
 * release their own references one by one while others still run, and again on every
 * configuration change; on their own those releases say nothing about the bundle.) Calls in
 * flight are let finish there. If that use could not be taken, the STOPPED event is the fallback:
 * the bundle has stopped, so calls into it are refused (and counted) from the start.
 *
 * <p>A cleaned-up owner stays in the map, closed, until the bundle starts again: a registration
 * racing the cleanup then finds it closed and is refused instead of creating a fresh owner that
 * nobody would ever clean up.
 */
@Component(service = {BundleOwners.class, NotifierRegistry.class}, immediate = true)
public final class BundleOwners implements OwnerResolver, NotifierRegistry, SynchronousBundleListener {
    private static final System.Logger LOG = System.getLogger(BundleOwners.class.getName());
    private static final int ALIVE = Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING;

    private final NotifierCore core;
    private final org.mmunotifier.core.internal.mm.Machine machine;
    private final BundleContext context;
    private final Map<Long, Owner> owners = new ConcurrentHashMap<>();
    private final RecentLog<ForcedCleanup> cleanups = new RecentLog<>(256);
    private final Map<Long, StallWatchdog.Activity> stops = new ConcurrentHashMap<>();

    @Activate
    public BundleOwners(@Reference MachineService machine, BundleContext context) {
        this.core = machine.machine().notifierCore();
        this.machine = machine.machine();
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
        Owner owner = owners.get(b.getBundleId());
        if (owner != null) {
            return owner; // possibly closed: the registration is then refused
        }
        Owner fresh = core.newOwner(name(b), b.getBundleId(), requiredContract(wiring));
        owner = owners.putIfAbsent(b.getBundleId(), fresh);
        if (owner != null) {
            return owner;
        }
        holdCoreServices(b); // not under a map lock: it calls into the framework and SCR
        return fresh;
    }

    /**
     * The contract a bundle's notifiers get unless they declare one: the capability its
     * requirement in the {@value MmuNotifierContract#NAMESPACE} namespace is wired to, or null.
     */
    private static MmuNotifierContract requiredContract(BundleWiring wiring) {
        for (BundleWire w : wiring.getRequiredWires(MmuNotifierContract.NAMESPACE)) {
            Object label = w.getCapability().getAttributes().get(MmuNotifierContract.NAMESPACE);
            if (label != null) {
                return MmuNotifierContract.parse(label.toString());
            }
        }
        return null;
    }

    /** One use of the bundle's {@link BundleServices}, taken on its behalf; see the class comment. */
    private static void holdCoreServices(Bundle b) {
        BundleContext bc = b.getBundleContext();
        try {
            ServiceReference<?> ref = bc == null ? null : bc.getServiceReference(Processes.class.getName());
            if (ref == null || bc.getService(ref) == null) {
                LOG.log(Level.INFO, "{0}: core services unavailable; leftovers are taken back on STOPPED", name(b));
            }
        } catch (IllegalStateException e) {
            // the bundle stopped meanwhile: the STOPPED event follows
        }
    }

    /** {@code bundle} released its {@link BundleServices} instance. */
    void released(Bundle bundle) {
        if (bundle.getState() == Bundle.STOPPING) {
            takeBack(bundle, false);
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        switch (event.getType()) {
            case BundleEvent.STARTING -> owners.computeIfPresent(b.getBundleId(), (id, o) -> o.isClosing() ? null : o);
            // A stop that does not finish (an activator waiting on a stuck device thread, ...) is a
            // stall. (A DS bundle's components are deactivated in SCR's listener for this event,
            // before ours: whoever stops a bundle on purpose tracks the stop itself, trackStop.)
            case BundleEvent.STOPPING -> {
                if (b.getBundleId() != 0) { // the framework's own stop is the shutdown guard's
                    trackStop(b);
                }
            }
            case BundleEvent.STOPPED, BundleEvent.UNRESOLVED -> {
                endStop(b);
                takeBack(b, true);
                machine.symbolizeFaultStacks(); // the fault rings must not keep its classes
            }
            case BundleEvent.UNINSTALLED -> {
                endStop(b);
                takeBack(b, true);
                owners.remove(b.getBundleId());
            }
            default -> { }
        }
    }

    /**
     * Tracks the stop of {@code b} as a wait the watchdog reports if it lasts (once, however many
     * callers track it); closing the result ends it, as does the STOPPED event.
     */
    AutoCloseable trackStop(Bundle b) {
        StallWatchdog.Activity mine = core.watchdog().track(Stall.Kind.STOP, b.getBundleId(), name(b), "",
                "stop of the bundle", -1);
        if (stops.putIfAbsent(b.getBundleId(), mine) != null) {
            mine.close();
            return () -> { };
        }
        return () -> endStop(b);
    }

    private void endStop(Bundle b) {
        StallWatchdog.Activity stop = stops.remove(b.getBundleId());
        if (stop != null) {
            stop.close();
        }
    }

    private void takeBack(Bundle bundle, boolean stopped) {
        Owner owner = owners.get(bundle.getBundleId());
        if (owner == null || owner.isClosing()) {
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
                out.add(new Registration(o.bundleId(), o.name(), l.mmId(), l.describe(),
                        l.identity().contract().label()));
            }
        }
        out.sort(Comparator.comparingLong(Registration::bundleId).thenComparingLong(Registration::mmId));
        return out;
    }

    @Override
    public List<ForcedCleanup> forcedCleanups() {
        return cleanups.recent();
    }

    /** Forced cleanups so far: all of them, where {@link #forcedCleanups()} keeps the recent ones. */
    long cleanupCount() {
        return cleanups.count();
    }

    /** Registrations taken back from {@code bundleId} since {@link #cleanupCount()} was {@code before}. */
    int leftBehindSince(long before, long bundleId) {
        List<ForcedCleanup> recent = cleanups.recent();
        long since = Math.min(recent.size(), cleanups.count() - before);
        return recent.stream().skip(recent.size() - since).filter(c -> c.bundleId() == bundleId)
                .mapToInt(c -> c.leftBehind().size()).sum();
    }

    @Override
    public long callsIntoStoppedBundles() {
        return core.lateCalls();
    }

    @Override
    public List<DriverFault> faults() {
        return core.faults().recent().stream().map(f -> new DriverFault(f.bundleId(), f.bundle(), f.notifier(),
                f.callback(), f.mmId(), f.message(), f.faultsOfRegistration(), f.timeMillis())).toList();
    }

    @Override
    public long faultCount() {
        return core.faults().count();
    }

    @Override
    public List<Stall> stalls() {
        return core.watchdog().recent();
    }

    @Override
    public long stallCount() {
        return core.watchdog().count();
    }

    static String name(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }
}
