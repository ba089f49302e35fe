package org.mmunotifier.drivers.gru.internal;

import org.mmunotifier.api.ConfigValues;
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
import org.mmunotifier.api.MmuNotifierOps;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.OutOfMemoryException;
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
 * The SGI GRU secondary MMU: one chip TLB shared by every context, contexts of one mm sharing one
 * notifier registration ({@code mmu_notifier_get}/{@code put}) and one ASID, and instruction
 * threads running GRU loads, stores and atomics. Under DS the instruction threads start with the
 * component. Deactivation stops them, closes every context, refuses every context asked for after
 * it began (opening and closing contexts hold the lifecycle lock for read, deactivation for write), and waits for
 * the frees its puts scheduled ({@code mmu_notifier_synchronize}), so none runs after it is gone.
 */
@Component(service = {GruDriver.class, DeviceCountersProvider.class}, configurationPid = GruDriver.PID, immediate = true)
@Designate(ocd = GruDriver.Config.class)
public final class GruDriver implements DeviceCountersProvider {
    public static final String PID = "org.mmunotifier.drivers.gru";

    @ObjectClassDefinition(name = "mmu-notifier GRU driver", description = "The GRU chip's TLB and contexts")
    public @interface Config {
        @AttributeDefinition(name = "TLB entries", description = "entries in the chip TLB (1..4096)", min = "1", max = "4096")
        @ConfigValues.Range(min = 1, max = 4096)
        int tlbEntries() default 64;

        @AttributeDefinition(name = "Flush threshold", description = "pages above which an invalidation flushes the whole"
                + " ASID (at least 1)", min = "1")
        @ConfigValues.Range(min = 1, max = Integer.MAX_VALUE)
        int flushThreshold() default 16;

        @AttributeDefinition(name = "Instruction threads", description = "engine threads running every context's"
                + " GRU instructions in turn (0..16)", min = "0", max = "16")
        @ConfigValues.Range(min = 0, max = 16)
        int instructionThreads() default 1;

        @AttributeDefinition(name = "Attach",
                description = "open a GRU context on every new process's memory at attachAddress")
        boolean attach() default true;

        @AttributeDefinition(name = "Attach address",
                description = "start of the context's buffer, page aligned (default: the demo's region 2)")
        long attachAddress() default 0x6000_0000L;

        @AttributeDefinition(name = "Attach pages",
                description = "pages of the context's buffer (1..65536)", min = "1", max = "" + AttachRegion.MAX_PAGES)
        @ConfigValues.Range(min = 1, max = AttachRegion.MAX_PAGES)
        int attachPages() default 32;
    }

    /** The checked {@code attach*} settings of {@code config}. */
    static AttachRegion attachRegion(Config config) {
        return new AttachRegion(config.attach(), config.attachAddress(), config.attachPages());
    }

    private final CoherenceOracle oracle;
    private final MmuNotifiers notifiers;
    private final GruTlb tlb;
    private volatile int flushThreshold; // for the mms registered from now on
    private int instructionThreads; // guarded by this
    private final DeviceCounters counters = new DeviceCounters();
    private final AtomicInteger asids = new AtomicInteger();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, GruContext> contexts = new ConcurrentHashMap<>();
    private final DeviceEngines threads = new DeviceEngines("gru-insn");
    private volatile long seed = 1; // the contexts' instruction streams draw from seed * 31 + id
    private volatile boolean closed; // set under this and lifecycle's write lock
    /**
     * Held for read while a context is opened or closed, for write by {@link #deactivate()}. The
     * first open of an mm registers under {@code mmap_lock} and a close waits for the context's
     * instruction in flight: under the driver's monitor, every other process's fork and exit
     * queued behind them. Deactivation still finds none in flight, so its {@code synchronize}
     * comes after every put.
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** A planted bug (the mutants catalogue) for the mms registered from now on; {@link GruBug#NONE} in every real run. */
    volatile GruBug bug = GruBug.NONE;

    /** The ops that key the shared registration: one {@link GruMmState} per mm. */
    private final MmuNotifierOps<GruMmState> ops = new MmuNotifierOps<>() {
        @Override
        public GruMmState allocNotifier(MmStruct mm) {
            return new GruMmState(asids.incrementAndGet(), mm, tlb, flushThreshold, counters, bug);
        }

        @Override
        public void freeNotifier(GruMmState gms) {
            tlb.flushAsid(gms.asid); // nothing can run any more: the ASID is retired
        }
    };

    @Activate
    public GruDriver(@Reference CoherenceOracle oracle, @Reference MmuNotifiers notifiers, Config defaults, Map<String, ?> properties) {
        // defaults: only declared, so that bnd writes Config's defaults into the component description
        // (service properties show every setting); the values are read from properties.
        this(oracle, notifiers, ConfigValues.lenient(PID, Config.class, properties, ConfigValues.warnings(GruDriver.class)));
        startInstructions(1); // none if instructionThreads is 0
    }

    private GruDriver(CoherenceOracle oracle, MmuNotifiers notifiers, Config config) {
        this(oracle, notifiers, config.tlbEntries(), config.flushThreshold(), config.instructionThreads());
    }

    public GruDriver(CoherenceOracle oracle, MmuNotifiers notifiers, int tlbEntries, int flushThreshold,
            int instructionThreads) {
        checkSettings(tlbEntries, flushThreshold, instructionThreads);
        this.oracle = Objects.requireNonNull(oracle, "oracle");
        this.notifiers = Objects.requireNonNull(notifiers, "notifiers");
        this.tlb = new GruTlb(tlbEntries);
        this.flushThreshold = flushThreshold;
        this.instructionThreads = instructionThreads;
    }

    private static void checkSettings(int tlbEntries, int flushThreshold, int instructionThreads) {
        if (tlbEntries < 1 || tlbEntries > 4096) {
            throw new IllegalArgumentException("tlbEntries=" + tlbEntries + " is out of range: 1..4096");
        }
        if (flushThreshold < 1) {
            throw new IllegalArgumentException("flushThreshold=" + flushThreshold + " must be at least 1");
        }
        if (instructionThreads < 0 || instructionThreads > 16) {
            throw new IllegalArgumentException("instructionThreads=" + instructionThreads + " is out of range: 0..16");
        }
    }

    /**
     * A configuration change, applied to the running chip: the TLB is resized (shrinking evicts),
     * mms registered from now on use the new flush threshold, and the instruction threads are
     * restarted if their number changed. A bad value is reported and changes nothing.
     */
    @Modified
    synchronized void modified(Map<String, ?> properties) {
        Config config = ConfigValues.changed(PID, Config.class, properties, ConfigValues.warnings(GruDriver.class));
        if (config == null) {
            return;
        }
        checkSettings(config.tlbEntries(), config.flushThreshold(), config.instructionThreads());
        tlb.resize(config.tlbEntries());
        flushThreshold = config.flushThreshold();
        if (config.instructionThreads() != instructionThreads && !closed) {
            stopInstructions();
            instructionThreads = config.instructionThreads();
            startInstructions(1);
        }
    }

    /** TLB entries now. */
    public int tlbEntries() {
        return tlb.capacity();
    }

    /**
     * Opens a GRU context on {@code mm} working on {@code [start, end)}; shares the mm's registration.
     *
     * @throws org.mmunotifier.api.InvalidRangeException if the range is empty, inverted or not page
     *         aligned (nothing is opened)
     * @throws IllegalStateException if the driver is deactivated
     */
    public GruContext open(MmStruct mm, long start, long end) {
        Objects.requireNonNull(mm, "mm");
        Addresses.checkRange(start, end);
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("GRU driver is deactivated");
            }
            GruMmState gms = mm.get(ops); // the first one registers, under mmap_lock: outside the monitor
            GruContext ctx;
            synchronized (this) {
                gms.contexts++;
                ctx = new GruContext(ids.incrementAndGet(), gms, start, end, tlb, oracle, counters);
            }
            ctx.stream = threads.attach("gru-ctx" + ctx.id(), seed * 31 + ctx.id(), rnd -> instruction(ctx, rnd));
            contexts.put(ctx.id(), ctx); // last: once in the map, anyone may close it
            return ctx;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Closes {@code ctx}: waits for its instruction in flight; the mm's last context flushes the
     * ASID (no entry may outlive the registration) and puts the shared registration.
     *
     * @throws IllegalArgumentException if {@code ctx} was closed already
     */
    public void close(GruContext ctx) {
        lifecycle.readLock().lock();
        try {
            if (!contexts.remove(ctx.id(), ctx)) {
                throw new IllegalArgumentException("no GRU context " + ctx.id() + " in this driver");
            }
            ctx.stream.detach(); // no instruction of the context is in flight from here on
            ctx.close();
            GruMmState gms = ctx.gms;
            boolean last;
            synchronized (this) { // after the detach: the last one out flushes after every stream of the mm stopped
                last = --gms.contexts == 0;
            }
            if (last) {
                counters.zapped(tlb.flushAsid(gms.asid));
            }
            if (gms.bug != GruBug.LEAK_ON_CLOSE) {
                gms.mm.put(gms);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * The context with {@code id}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public GruContext context(int id) {
        GruContext c = contexts.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no GRU context " + id);
        }
        return c;
    }

    public List<GruContext> contexts() {
        return List.copyOf(contexts.values());
    }

    @Override
    public DeviceCounters counters() {
        return counters;
    }

    int tlbSize() {
        return tlb.size();
    }

    int tlbSize(int asid) {
        return tlb.size(asid);
    }

    long tlbEvictions() {
        return tlb.evictions();
    }

    /**
     * Starts the instruction threads: random loads, stores and atomics on every context in turn;
     * contexts opened from now on draw from {@code seed}.
     */
    public synchronized void startInstructions(long seed) {
        this.seed = seed;
        threads.start(instructionThreads);
    }

    /** One GRU instruction of {@code ctx}; false once it is closed or its process is gone. */
    private boolean instruction(GruContext ctx, Random rnd) {
        long pages = (ctx.end - ctx.start) / Addresses.PAGE_SIZE;
        long address = ctx.start + rnd.nextInt((int) Math.min(Integer.MAX_VALUE, pages)) * Addresses.PAGE_SIZE;
        try {
            ctx.execute(rnd.nextInt(3), address, rnd.nextInt(1_000));
        } catch (SegmentationFaultException | OutOfMemoryException | FaultRetryException e) {
            Thread.onSpinWait(); // the process unmapped the page
        } catch (ContextGoneException | MmDeadException e) {
            return false; // the context closed, or its process exited: its stream ends
        }
        return true;
    }

    /** Stops the instruction threads and waits for them. */
    public void stopInstructions() {
        threads.stop();
    }

    @Deactivate
    public void deactivate() {
        lifecycle.writeLock().lock(); // after every open and close in flight
        try {
            synchronized (this) {
                closed = true;
            }
            stopInstructions();
            for (GruContext c : contexts()) {
                close(c);
            }
            if (bug != GruBug.PUT_WITHOUT_SYNCHRONIZE) {
                notifiers.synchronize(); // the frees of every put so far, ours included, have run
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
