package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.api.MmuNotifierContract;

/**
 * The code a registration calls into: in OSGi one bundle's class loader. The core keeps what each
 * owner registered so that, when the owner goes away, it can take back whatever was left behind
 * before the class loader does (invariant 11).
 *
 * <p>Lifecycle: open → closing (no new registrations; the leftovers are being removed) → gone.
 * Every call into a notifier first asks {@link #admits()}, or for a mm notifier its registration's
 * state, which carries the owner's gone mark ({@link Lease#ownerGone}): a gone owner is never
 * called, and the attempt is counted. The count must stay zero; a nonzero count means the core called back into a
 * bundle after it had been cleaned up.
 */
public final class Owner {
    /** Outside OSGi: code that never goes away. */
    public static final Owner NONE = new Owner("(no bundle)", -1, new LongAdder(), null, null, new LongAdder());
    private static final System.Logger LOG = System.getLogger(Owner.class.getName());

    private final String name;
    private final long bundleId;
    private final LongAdder lateCalls;
    private final Srcu srcu;
    private final MmuNotifierContract contract;
    private final LongAdder accesses;
    private final Set<Lease> leases = new LinkedHashSet<>(); // guarded by this
    /** What a close took out of {@link #leases} to remove; guarded by this. */
    private List<Lease> closingLeases = List.of();
    private boolean closing; // guarded by this
    private volatile boolean gone;

    /**
     * @param lateCalls where refused calls are counted (shared by every owner of one machine)
     * @param srcu the domain its notifiers are called in
     * @param contract the contract its notifiers get unless they declare one, or null
     * @param accesses where its devices' accesses are counted (shared by the owners of one bundle)
     */
    Owner(String name, long bundleId, LongAdder lateCalls, Srcu srcu, MmuNotifierContract contract,
            LongAdder accesses) {
        this.name = name;
        this.bundleId = bundleId;
        this.lateCalls = lateCalls;
        this.srcu = srcu;
        this.contract = contract;
        this.accesses = accesses;
    }

    /** One device access of its registrations went through the coherence oracle. */
    public void accessed() {
        accesses.increment();
    }

    /** The contract the owner declared (an OSGi requirement of its bundle), or null. */
    public MmuNotifierContract contract() {
        return contract;
    }

    public String name() {
        return name;
    }

    public long bundleId() {
        return bundleId;
    }

    /** One volatile read on the dispatch path; false (and counted) once the owner is gone. */
    boolean admits() {
        if (!gone) {
            return true;
        }
        refused();
        return false;
    }

    /** A call into it was refused because it is gone: counted. */
    void refused() {
        lateCalls.increment();
    }

    /**
     * Marks the owner gone: first each registration it holds or is removing (a mm notifier's
     * dispatch reads only its registration's state), then its own flag, all under its lock, which
     * {@link #adopt} takes too. Once {@link #isGone()} says so, no dispatch calls into it.
     */
    private synchronized void markGone() {
        for (Lease l : leases) {
            l.ownerGone();
        }
        for (Lease l : closingLeases) {
            l.ownerGone();
        }
        gone = true;
    }

    boolean isGone() {
        return gone;
    }

    /** Cleanup has begun (or is done): nothing can be registered for this owner any more. */
    public synchronized boolean isClosing() {
        return closing;
    }

    /** Refuses a registration up front once cleanup has begun. */
    void checkOpen() {
        if (this != NONE) {
            synchronized (this) {
                if (closing) {
                    throw stopped();
                }
            }
        }
    }

    /**
     * Records a registration about to be published, under the lock that publishes it. False if
     * cleanup has begun: the registration must then not be published at all.
     */
    boolean adopt(Lease lease) {
        if (this == NONE) {
            return true;
        }
        synchronized (this) {
            if (closing) {
                return false;
            }
            if (gone) {
                lease.ownerGone(); // markGone ran before it: refused like the others
            }
            leases.add(lease);
            return true;
        }
    }

    /** The registration was unregistered, put or removed by its driver. */
    void disown(Lease lease) {
        if (this != NONE) {
            synchronized (this) {
                leases.remove(lease);
            }
        }
    }

    IllegalStateException stopped() {
        return new IllegalStateException(name + " is stopping or stopped: it cannot register notifiers any more");
    }

    /** What the owner holds now. */
    public synchronized List<Lease> leases() {
        return List.copyOf(leases);
    }

    synchronized int leaseCount() {
        return leases.size();
    }

    /**
     * Takes back everything the owner still holds and marks it gone. Call after the owner's own
     * deactivation, before its class loader is discarded.
     *
     * @param stopped the owner has already stopped: calls into it during the cleanup are refused
     *        and counted too. Otherwise (still stopping) they are let through until every lease
     *        is removed, since they may be legitimately under way
     * @return what was left behind (empty if the owner cleaned up after itself)
     */
    public List<String> close(boolean stopped) {
        if (stopped) {
            markGone();
        }
        List<Lease> left;
        synchronized (this) {
            if (closing) {
                return List.of();
            }
            closing = true;
            left = new ArrayList<>(leases);
            closingLeases = left;
            leases.clear();
        }
        List<String> described = new ArrayList<>();
        Set<Long> ids = new java.util.HashSet<>();
        try {
            for (Lease l : left) {
                described.add(l.describe());
                ids.add(l.identity().id);
                try {
                    l.forceRemove();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "could not take back " + l.describe() + " from " + name, e);
                }
            }
            // A put() just before the owner stopped left its free_notifier to the reclaim thread:
            // let it run now, while the owner may still run code, rather than refuse it later.
            srcu.barrier();
        } finally {
            // For a stopping owner only now: every forced removal has waited out the callbacks in
            // flight, so from here on any call would enter code whose bundle has stopped.
            markGone();
            synchronized (this) {
                closingLeases = List.of(); // no reference to what the bundle left behind
            }
        }
        // A call admitted just before gone was set may still be running. Wait for it (registrations
        // are adopted before they are published, so every one this owner has is in the snapshot).
        srcu.synchronize(ids::contains, () -> "the cleanup of " + name);
        return described;
    }

    @Override
    public String toString() {
        return name;
    }
}
