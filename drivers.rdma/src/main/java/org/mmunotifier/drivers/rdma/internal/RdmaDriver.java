package org.mmunotifier.drivers.rdma.internal;

import org.mmunotifier.api.ConfigValues;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceCountersProvider;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.FaultRetryException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.PageFrames;
import org.mmunotifier.api.SegmentationFaultException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The RDMA secondary MMU: on-demand-paging memory regions over process memory, DMA engines
 * transferring through them (a fixed number of threads serving every region's work queue in turn),
 * and a remote peer that maps exported pages through the rmap notifier. Under DS the engines start
 * with the component. Deactivation stops the engines and deregisters every region and the peer, and
 * refuses every region asked for after it began. Registering and deregistering regions hold the
 * lifecycle lock for read and deactivation holds it for write, so no region slips past it.
 */
@Component(service = {RdmaDriver.class, DeviceCountersProvider.class}, configurationPid = RdmaDriver.PID, immediate = true)
@Designate(ocd = RdmaDriver.Config.class)
public final class RdmaDriver implements DeviceCountersProvider {
    public static final String PID = "org.mmunotifier.drivers.rdma";
    private static final System.Logger LOG = System.getLogger(RdmaDriver.class.getName());

    @ObjectClassDefinition(name = "mmu-notifier RDMA driver", description = "ODP memory regions and DMA engines")
    public @interface Config {
        @AttributeDefinition(name = "DMA engines", description = "DMA engine threads serving every region in turn (0..16)",
                min = "0", max = "16")
        @ConfigValues.Range(min = 0, max = 16)
        int dmaThreads() default 1;

        @AttributeDefinition(name = "Attach",
                description = "register a memory region over every new process's memory at attachAddress")
        boolean attach() default true;

        @AttributeDefinition(name = "Attach address",
                description = "start of the region, page aligned (default: the demo's region 1)")
        long attachAddress() default 0x5000_0000L;

        @AttributeDefinition(name = "Attach pages",
                description = "pages of the region registered on a new process (1..65536)", min = "1", max = "" + AttachRegion.MAX_PAGES)
        @ConfigValues.Range(min = 1, max = AttachRegion.MAX_PAGES)
        int attachPages() default 32;
    }

    /** The checked {@code attach*} settings of {@code config}. */
    static AttachRegion attachRegion(Config config) {
        return new AttachRegion(config.attach(), config.attachAddress(), config.attachPages());
    }

    private final CoherenceOracle oracle;
    private final MmuNotifiers notifiers;
    private final DeviceCounters counters = new DeviceCounters();
    private final Map<Integer, MemoryRegion> mrs = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final RemotePeer peer;
    private final boolean peerRegistered;
    private int dmaThreads; // guarded by this
    private final DeviceEngines engines = new DeviceEngines("rdma-dma");
    private volatile long seed = 1; // the regions' work queues draw from seed * 31 + id
    private volatile boolean closed; // set under this and lifecycle's write lock
    /**
     * Held for read while a region is registered or deregistered, for write by
     * {@link #deactivate()}. Registration waits for {@code mmap_lock} and deregistration for the
     * region's DMA in flight: under the driver's monitor, every other process's fork and exit
     * queued behind them. Deactivation still finds none in flight (a region caught half-deregistered
     * would be reported as a leak).
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** A planted bug (the mutants catalogue) for the regions registered from now on; {@link RdmaBug#NONE} in every real run. */
    private volatile RdmaBug bug = RdmaBug.NONE;

    @Activate
    public RdmaDriver(@Reference CoherenceOracle oracle, @Reference MmuNotifiers notifiers,
            @Reference PageFrames frames, Config defaults, Map<String, ?> properties) {
        // defaults: only declared, so that bnd writes Config's defaults into the component description
        // (service properties show every setting); the values are read from properties.
        this(oracle, notifiers, frames, ConfigValues.lenient(PID, Config.class, properties,
                ConfigValues.warnings(RdmaDriver.class)).dmaThreads());
        startDma(1); // none if dmaThreads is 0
    }

    public RdmaDriver(CoherenceOracle oracle, MmuNotifiers notifiers, PageFrames frames, int dmaThreads) {
        checkDmaThreads(dmaThreads);
        this.oracle = Objects.requireNonNull(oracle, "oracle");
        this.notifiers = Objects.requireNonNull(notifiers, "notifiers");
        this.dmaThreads = dmaThreads;
        this.peer = new RemotePeer(oracle, Objects.requireNonNull(frames, "frames"), counters);
        boolean registered;
        try {
            notifiers.registerRmap(peer);
            registered = true;
        } catch (UnsupportedOperationException e) {
            // 32-bit page layout: no PG_external_rmap, so no remote export.
            LOG.log(Level.INFO, "remote export disabled: " + e.getMessage());
            registered = false;
        }
        this.peerRegistered = registered;
    }

    /**
     * {@code ibv_reg_mr} with ODP over {@code [start, start + length)} of {@code mm}.
     *
     * @throws org.mmunotifier.api.InvalidRangeException if the range is empty, inverted or not page
     *         aligned (nothing is registered)
     * @throws IllegalStateException if the driver is deactivated
     */
    public MemoryRegion registerMr(MmStruct mm, long start, long length) {
        Objects.requireNonNull(mm, "mm");
        Addresses.checkRange(start, start + length);
        lifecycle.readLock().lock();
        try {
            checkOpen();
            MemoryRegion mr = new MemoryRegion(ids.incrementAndGet(), mm, start, start + length, oracle, counters);
            mr.bug = bug;
            mr.subscribe(); // waits for mmap_lock: outside the driver's lock (see lifecycle)
            mr.queue = engines.attach("rdma-mr" + mr.id(), seed * 31 + mr.id(), rnd -> workRequest(mr, rnd));
            mrs.put(mr.id(), mr); // last: once in the map, anyone may deregister it
            return mr;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * {@code ibv_dereg_mr}: waits for DMA in flight, then removes the subscription.
     *
     * @throws IllegalArgumentException if {@code mr} was deregistered already
     */
    public void deregisterMr(MemoryRegion mr) {
        lifecycle.readLock().lock();
        try {
            if (!mrs.remove(mr.id(), mr)) {
                throw new IllegalArgumentException("no memory region " + mr.id() + " in this driver");
            }
            if (mr.bug == RdmaBug.REMOVE_BEFORE_DRAIN) {
                mr.deregister(); // planted: the subscription goes while the queue's DMA is still in flight
            }
            mr.queue.detach(); // no work request of the region is in flight from here on
            peer.forget(mr);
            if (mr.bug != RdmaBug.REMOVE_BEFORE_DRAIN) {
                mr.deregister();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("RDMA driver is deactivated");
        }
    }

    /**
     * The region with {@code id}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public MemoryRegion mr(int id) {
        MemoryRegion mr = mrs.get(id);
        if (mr == null) {
            throw new IllegalArgumentException("no memory region " + id);
        }
        return mr;
    }

    public List<MemoryRegion> mrs() {
        return List.copyOf(mrs.values());
    }

    /**
     * Exports the page at {@code address} of {@code mr} to the remote peer.
     *
     * @throws UnsupportedOperationException on the 32-bit page layout
     */
    public long exportPage(MemoryRegion mr, long address) {
        if (!peerRegistered) {
            throw new UnsupportedOperationException("remote export needs PG_external_rmap (64-bit page layout)");
        }
        return peer.export(mr, address);
    }

    /** A remote read of an exported frame; false if the peer no longer maps it. */
    public boolean remoteRead(long pfn) {
        return peer.remoteRead(pfn);
    }

    public long[] exportedPfns() {
        return peer.exportedPfns();
    }

    @Override
    public DeviceCounters counters() {
        return counters;
    }

    private static void checkDmaThreads(int n) {
        if (n < 0 || n > 16) {
            throw new IllegalArgumentException("dmaThreads=" + n + " is out of range: 0..16");
        }
    }

    /**
     * A configuration change: the DMA engines restart with the new number. A bad value throws
     * before anything changes, and SCR keeps this instance as it was.
     */
    @Modified
    synchronized void modified(Map<String, ?> properties) {
        Config config = ConfigValues.changed(PID, Config.class, properties, ConfigValues.warnings(RdmaDriver.class));
        if (config == null) {
            return;
        }
        checkDmaThreads(config.dmaThreads());
        if (config.dmaThreads() != dmaThreads && !closed) {
            stopDma();
            dmaThreads = config.dmaThreads();
            startDma(1);
        }
    }

    /**
     * Starts the DMA engines: random transfers through every region, and remote reads and exports;
     * regions registered from now on draw from {@code seed}.
     */
    public synchronized void startDma(long seed) {
        this.seed = seed;
        engines.start(dmaThreads);
    }

    /** One work request of {@code mr}: a DMA transfer, an export, or a remote read; false once the region or its process is gone. */
    private boolean workRequest(MemoryRegion mr, Random rnd) {
        long pages = (mr.end() - mr.start()) / Addresses.PAGE_SIZE;
        long address = mr.start() + rnd.nextInt((int) Math.min(Integer.MAX_VALUE, pages)) * Addresses.PAGE_SIZE;
        try {
            int what = rnd.nextInt(20);
            if (what == 0 && peerRegistered) {
                peer.export(mr, address);
            } else if (what == 1) {
                peer.remoteReadAny(rnd);
            } else {
                mr.dma(address, rnd.nextInt(3), rnd.nextInt(1_000));
            }
        } catch (SegmentationFaultException | OutOfMemoryException | FaultRetryException e) {
            Thread.onSpinWait(); // the process unmapped the page: a failed work request
        } catch (MrGoneException | MmDeadException e) {
            return false; // the region went, or its process exited: its queue ends
        }
        return true;
    }

    /** Stops the DMA engines and waits for them. */
    public void stopDma() {
        engines.stop();
    }

    @Deactivate
    public void deactivate() {
        lifecycle.writeLock().lock(); // after every registration and deregistration in flight
        try {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            stopDma();
            for (MemoryRegion mr : mrs()) {
                deregisterMr(mr);
            }
            if (peerRegistered && bug != RdmaBug.RMAP_LEAK) {
                notifiers.unregisterRmap(peer);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Plants {@code b} in the remote peer and in the regions registered from now on (the mutants catalogue). */
    void plant(RdmaBug b) {
        bug = b;
        peer.bug = b;
    }
}
