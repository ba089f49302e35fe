package org.mmunotifier.bench;

import java.io.File;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.felix.framework.Felix;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.notifier.MmNotifierSubscriptions;
import org.mmunotifier.core.internal.notifier.ReaderSlot;
import org.mmunotifier.core.internal.notifier.Srcu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.util.tracker.ServiceTracker;

/**
 * One range invalidation ({@code invalidateRangeStart} + {@code invalidateRangeEnd}) over all the
 * notifiers of an mm: ours against the same loop over the same notifiers held the ways a Java or
 * OSGi programmer might hold them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DispatchBench {
    @Param({"0", "1", "4", "16"})
    public int notifiers;

    private Machine machine;
    private MmNotifierSubscriptions ours;
    private InvalidationRange range;
    private MmuNotifier[] array;
    private Checked[] checked;
    private CopyOnWriteArrayList<MmuNotifier> cowList;
    private List<MmuNotifier> rwList;
    private final ReentrantReadWriteLock rwLock = new ReentrantReadWriteLock();
    private List<MmuNotifier> syncList;
    private Felix felix;
    private ServiceTracker<MmuNotifier, MmuNotifier> tracker;
    private File storage;
    private final Srcu srcu = new Srcu();

    @Setup(Level.Trial)
    public void setup() throws Exception {
        machine = new Machine(16, PageLayout.BITS_64);
        AddressSpace mm = machine.spawn().mm();
        ours = mm.notifiers();
        range = new InvalidationRange(mm, 0, 16 * Addresses.PAGE_SIZE, MmuNotifierEvent.UNMAP);
        List<MmuNotifier> all = new ArrayList<>();
        for (int i = 0; i < notifiers; i++) {
            NopNotifier n = new NopNotifier();
            mm.register(n);
            all.add(n);
        }
        array = all.toArray(new MmuNotifier[0]);
        checked = all.stream().map(Checked::new).toArray(Checked[]::new);
        cowList = new CopyOnWriteArrayList<>(all);
        rwList = new ArrayList<>(all);
        syncList = new ArrayList<>(all);

        storage = Files.createTempDirectory("felix-bench").toFile();
        Map<String, Object> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.getAbsolutePath());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        felix = new Felix(config);
        felix.start();
        BundleContext ctx = felix.getBundleContext();
        for (MmuNotifier n : all) {
            ctx.registerService(MmuNotifier.class, n, null);
        }
        tracker = new ServiceTracker<>(ctx, MmuNotifier.class, null);
        tracker.open();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        tracker.close();
        felix.stop();
        felix.waitForStop(10_000);
        machine.close();
        srcu.close();
    }

    @Benchmark
    public boolean ours() {
        boolean ok = ours.invalidateRangeStart(range);
        ours.invalidateRangeEnd(range);
        return ok;
    }

    /** The limit: a plain loop over an array, no read-side tracking at all. */
    @Benchmark
    public int bareArray() {
        return bareLoop(array);
    }

    private int bareLoop(MmuNotifier[] a) {
        for (MmuNotifier n : a) {
            n.invalidateRangeStart(range);
        }
        for (MmuNotifier n : a) {
            n.invalidateRangeEnd(range);
        }
        return a.length;
    }

    /**
     * The floor for a dispatch that lets unregister wait for its callbacks: the bare loop inside one
     * read-side section (our {@link Srcu}'s enter and exit, one StoreLoad fence), skipped like ours
     * when there is nothing to call. No registration state, owner check, fault isolation or oracle.
     */
    @Benchmark
    public int bareSection() {
        MmuNotifier[] a = array;
        if (a.length == 0) {
            return 0;
        }
        ReaderSlot r = srcu.enter();
        try {
            return bareLoop(a);
        } finally {
            srcu.exit(r);
        }
    }

    /**
     * The floor for a dispatch that, stricter than the kernel, never calls a registration once it
     * is dead: the bare loop inside one section, through a wrapper whose volatile state word is read
     * before each call (ours reads that word, and names the callee on the reader slot).
     */
    @Benchmark
    public int bareChecked() {
        Checked[] a = checked;
        if (a.length == 0) {
            return 0;
        }
        ReaderSlot r = srcu.enter();
        try {
            for (Checked c : a) {
                if (c.state == 0) {
                    c.notifier.invalidateRangeStart(range);
                }
            }
            for (Checked c : a) {
                if (c.state == 0) {
                    c.notifier.invalidateRangeEnd(range);
                }
            }
            return a.length;
        } finally {
            srcu.exit(r);
        }
    }

    /** A registration reduced to what bareChecked reads. */
    static final class Checked {
        final MmuNotifier notifier;
        volatile int state;

        Checked(MmuNotifier notifier) {
            this.notifier = notifier;
        }
    }

    /** The bare loop plus one full fence: what the StoreLoad alone costs, without any section state. */
    @Benchmark
    public int bareFence() {
        MmuNotifier[] a = array;
        if (a.length == 0) {
            return 0;
        }
        VarHandle.fullFence();
        return bareLoop(a);
    }

    @Benchmark
    public int copyOnWriteArrayList() {
        for (MmuNotifier n : cowList) {
            n.invalidateRangeStart(range);
        }
        for (MmuNotifier n : cowList) {
            n.invalidateRangeEnd(range);
        }
        return cowList.size();
    }

    @Benchmark
    public int readWriteLockList() {
        rwLock.readLock().lock();
        try {
            for (MmuNotifier n : rwList) {
                n.invalidateRangeStart(range);
            }
        } finally {
            rwLock.readLock().unlock();
        }
        rwLock.readLock().lock();
        try {
            for (MmuNotifier n : rwList) {
                n.invalidateRangeEnd(range);
            }
        } finally {
            rwLock.readLock().unlock();
        }
        return rwList.size();
    }

    @Benchmark
    public int synchronizedList() {
        synchronized (syncList) {
            for (MmuNotifier n : syncList) {
                n.invalidateRangeStart(range);
            }
        }
        synchronized (syncList) {
            for (MmuNotifier n : syncList) {
                n.invalidateRangeEnd(range);
            }
        }
        return syncList.size();
    }

    /** What a naive OSGi whiteboard does: ask the tracker for the services on every call. */
    @Benchmark
    public int serviceTracker() {
        Object[] start = tracker.getServices();
        if (start != null) {
            for (Object n : start) {
                ((MmuNotifier) n).invalidateRangeStart(range);
            }
        }
        Object[] end = tracker.getServices();
        if (end != null) {
            for (Object n : end) {
                ((MmuNotifier) n).invalidateRangeEnd(range);
            }
        }
        return start == null ? 0 : start.length;
    }
}
