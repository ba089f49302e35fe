package org.mmunotifier.core.internal.notifier;

import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageLayout;

/**
 * The machine-wide part of the notifier core: the grace-period domain every mm shares (one SRCU,
 * as in Linux), the global rmap list, and the fault log.
 */
public final class NotifierCore implements MmuNotifiers, AutoCloseable {
    private final PageLayout layout;
    private final Srcu srcu = new Srcu();
    private final NotifierFaults faults = new NotifierFaults();
    private final RmapNotifiers rmap;
    private final LongAdder lateCalls = new LongAdder();
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

    Owner ownerOf(Object code) {
        return owners.ownerOf(code);
    }

    /** A new owner whose refused calls count towards {@link #lateCalls()}. */
    public Owner newOwner(String name, long bundleId) {
        return new Owner(name, bundleId, lateCalls, srcu);
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

    @Override
    public void close() {
        srcu.close();
    }
}
