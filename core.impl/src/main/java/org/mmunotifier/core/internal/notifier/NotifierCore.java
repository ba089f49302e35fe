package org.mmunotifier.core.internal.notifier;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.runtime.Stall;

/**
 * The machine-wide part of the notifier core: the grace-period domain every mm shares (one SRCU,
 * as in Linux), the global rmap list, every live registration by id, the fault log and the stall
 * watchdog.
 */
public final class NotifierCore implements MmuNotifiers, AutoCloseable {
    private final PageLayout layout;
    private final StallPolicy policy = new StallPolicy();
    private final Srcu srcu = new Srcu(policy);
    private final NotifierFaults faults = new NotifierFaults();
    private final RmapNotifiers rmap;
    private final LongAdder lateCalls = new LongAdder();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Lease> registrations = new ConcurrentHashMap<>();
    private final Set<String> contractWarnings = ConcurrentHashMap.newKeySet();
    private final Map<Long, LongAdder> accesses = new ConcurrentHashMap<>();
    private final StallWatchdog watchdog = new StallWatchdog(srcu, registrations::get);
    private volatile OwnerResolver owners = OwnerResolver.NONE;

    public NotifierCore(PageLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.rmap = new RmapNotifiers(this);
    }

    /** The subscriptions of a new mm whose {@code mmap_lock} is {@code mmapLock}. */
    public MmNotifierSubscriptions newSubscriptions(MmStruct mm, MmLifetime lifetime, ReentrantReadWriteLock mmapLock) {
        return new MmNotifierSubscriptions(mm, lifetime, mmapLock, this);
    }

    /** How registrations find their owner; set by the OSGi runtime, {@link OwnerResolver#NONE} outside it. */
    public void setOwnerResolver(OwnerResolver resolver) {
        owners = Objects.requireNonNull(resolver, "resolver");
    }

    /** Whose code {@code code} is; refuses an owner that is going away. */
    Owner openOwnerOf(Object code) {
        Owner owner = owners.ownerOf(code);
        owner.checkOpen();
        return owner;
    }

    /**
     * Who a new registration of {@code notifier} is. Takes the notifier's {@code toString()}: call
     * it on the registering thread before taking any lock.
     */
    Identity newIdentity(Owner owner, Object notifier) {
        MmuNotifierContract declared = notifier instanceof MmuNotifier n ? n.contract() : null;
        MmuNotifierContract contract = declared != null ? declared
                : owner.contract() != null ? owner.contract() : MmuNotifierContract.V6;
        if (notifier instanceof MmuNotifier n) {
            warnIfWrittenForAnotherKernel(owner, n, contract);
        }
        return new Identity(ids.incrementAndGet(), owner, notifier, contract);
    }

    /** Once per bundle, class and contract: callbacks it fills in that its contract never calls. */
    private void warnIfWrittenForAnotherKernel(Owner owner, MmuNotifier n, MmuNotifierContract contract) {
        List<String> unheard = Implemented.by(n).unheard(contract);
        if (!unheard.isEmpty() && contractWarnings.add(owner.name() + " " + n.getClass().getName() + " " + contract)) {
            System.getLogger(NotifierCore.class.getName()).log(System.Logger.Level.WARNING, owner.name() + ": "
                    + n.getClass().getName() + " implements " + String.join(" and ", unheard) + ", which the "
                    + contract.label() + " contract never calls; if it was written for another kernel, declare that"
                    + " contract (MmuNotifier.contract(), or Require-Capability: " + MmuNotifierContract.NAMESPACE
                    + ";filter:=\"(" + MmuNotifierContract.NAMESPACE + "=<seed|2.6.27|6.x>)\")");
        }
    }

    /** {@code lease} is linked: stall reports can name it from its id. */
    void registered(Lease lease) {
        registrations.put(lease.identity().id, lease);
    }

    /** Who interval subscription {@code sub} is, for the oracle. */
    public Identity identityOf(MmuIntervalSubscription sub) {
        if (sub instanceof IntervalSubscription s) {
            return s.identity;
        }
        throw new IllegalArgumentException("not an interval subscription of this machine: " + sub);
    }

    /**
     * Who rmap notifier {@code notifier} is, for the oracle.
     *
     * @throws org.mmunotifier.api.NotRegisteredException if it is not registered
     */
    public Identity identityOf(MmuRmapNotifier notifier) {
        return rmap.identityOf(notifier);
    }

    /** The live registration with {@code id}, or null. */
    Lease lease(long id) {
        return registrations.get(id);
    }

    /** {@code lease} is gone for good (after its grace period). */
    void removed(Lease lease) {
        registrations.remove(lease.identity().id, lease);
    }

    /** A new owner whose refused calls count towards {@link #lateCalls()}. */
    public Owner newOwner(String name, long bundleId) {
        return newOwner(name, bundleId, null);
    }

    /**
     * A new owner whose notifiers get {@code contract} unless they declare their own (null: the
     * default, {@link MmuNotifierContract#V6}).
     */
    public Owner newOwner(String name, long bundleId, MmuNotifierContract contract) {
        return new Owner(name, bundleId, lateCalls, srcu, contract,
                accesses.computeIfAbsent(bundleId, id -> new LongAdder()));
    }

    /** Device accesses the coherence oracle checked for bundle {@code bundleId}'s registrations, every revision of it. */
    public long accessesOf(long bundleId) {
        LongAdder a = accesses.get(bundleId);
        return a == null ? 0 : a.sum();
    }

    /** Calls refused because their notifier's owner was gone: must stay zero. */
    public long lateCalls() {
        return lateCalls.sum();
    }

    @Override
    public PageLayout pageLayout() {
        return layout;
    }

    @Override
    public boolean isCompiledIn() {
        return NotifierConfig.COMPILED_IN;
    }

    @Override
    public void registerRmap(MmuRmapNotifier notifier) {
        rmap.register(notifier);
    }

    @Override
    public void unregisterRmap(MmuRmapNotifier notifier) {
        rmap.unregister(notifier);
    }

    /** Reclaim's hook for a page whose primary mappings are gone and that is about to be freed. */
    public void rmapInvalidatePage(Page page) {
        rmap.invalidatePage(page);
    }

    public int rmapNotifierCount() {
        return rmap.size();
    }

    /**
     * {@code mmu_notifier_synchronize}.
     *
     * @throws IllegalStateException from inside a notifier callback, where it would wait for itself
     */
    @Override
    public void synchronize() {
        srcu.barrier();
    }

    public NotifierFaults faults() {
        return faults;
    }

    public Srcu srcu() {
        return srcu;
    }

    /** How long a driver may hold the core up; settable at runtime. */
    public StallPolicy stallPolicy() {
        return policy;
    }

    public StallWatchdog watchdog() {
        return watchdog;
    }

    /**
     * Takes {@code lock} for {@code what}, waiting at most the give-up bound: a wait longer than a
     * stall is reported, and one longer than the give-up bound fails instead of hanging for ever
     * (the holder is stuck, and the stall report names it).
     *
     * @return false if it gave up
     */
    public boolean lockBounded(Lock lock, String what, long mmId) {
        long t0 = System.nanoTime();
        if (tryLock(lock, policy.stallNanos())) {
            return true;
        }
        try (StallWatchdog.Activity waiting = watchdog.track(Stall.Kind.WAIT, what, mmId, t0)) {
            return tryLock(lock, Math.max(0, policy.giveUpNanos() - (System.nanoTime() - t0)));
        }
    }

    /** {@code tryLock} with a timeout, uninterruptibly (an interrupt is kept for the caller). */
    private static boolean tryLock(Lock lock, long nanos) {
        long deadline = System.nanoTime() + nanos;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        watchdog.close();
        srcu.close();
    }
}
