package org.mmunotifier.drivers.kvm.internal;

import org.mmunotifier.api.ConfigValues;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceCountersProvider;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.MmStruct;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The KVM secondary MMU: creates VMs bound to processes, each registered as an MMU notifier on its
 * mm, and runs their vCPUs on the host's CPUs: a fixed number of engines ({@code engines}) that run
 * every VM's vCPUs in turn, however many VMs there are. Deactivation destroys every VM (detaches its
 * vCPUs, unregisters it), stops the engines, and
 * refuses every VM asked for after it began. Creating and destroying VMs hold the lifecycle lock
 * for read and deactivation holds it for write, so none of them can slip a VM past deactivation.
 */
@Component(service = {KvmDriver.class, DeviceCountersProvider.class}, configurationPid = KvmDriver.PID, immediate = true)
@Designate(ocd = KvmDriver.Config.class)
public final class KvmDriver implements DeviceCountersProvider {
    public static final String PID = "org.mmunotifier.drivers.kvm";
    /** Host CPUs by default: one engine per driver leaves the primary its share of a small machine. */
    public static final int DEFAULT_ENGINES = 1;
    static final int MAX_ENGINES = 16;

    @ObjectClassDefinition(name = "mmu-notifier KVM driver", description = "VMs whose guest memory is a process's memory")
    public @interface Config {
        @AttributeDefinition(name = "vCPUs", description = "vCPU threads each VM runs (1..64)", min = "1", max = "64")
        @ConfigValues.Range(min = 1, max = 64)
        int vcpus() default 2;

        @AttributeDefinition(name = "Host CPUs", description = "engine threads that run every VM's vCPUs in turn"
                + " (0..16; 0: no vCPU runs)", min = "0", max = "16")
        @ConfigValues.Range(min = 0, max = MAX_ENGINES)
        int engines() default DEFAULT_ENGINES;

        @AttributeDefinition(name = "Attach",
                description = "give every new process a running VM over its memory at attachAddress")
        boolean attach() default true;

        @AttributeDefinition(name = "Attach address",
                description = "host address of the guest memory, page aligned (default: the demo's region 0)")
        long attachAddress() default 0x4000_0000L;

        @AttributeDefinition(name = "Attach pages",
                description = "guest pages of the VM attached to a new process (1..65536)", min = "1", max = "" + AttachRegion.MAX_PAGES)
        @ConfigValues.Range(min = 1, max = AttachRegion.MAX_PAGES)
        int attachPages() default 32;
    }

    /** The checked {@code attach*} settings of {@code config}. */
    static AttachRegion attachRegion(Config config) {
        return new AttachRegion(config.attach(), config.attachAddress(), config.attachPages());
    }

    private final CoherenceOracle oracle;
    private final DeviceCounters counters = new DeviceCounters();
    private final Map<Integer, Vm> vms = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile int vcpus;
    private int engines; // guarded by this
    private final DeviceEngines cpus = new DeviceEngines("kvm-cpu");
    private volatile boolean closed; // set under this and lifecycle's write lock
    /**
     * Held for read while a VM is created or destroyed, for write by {@link #deactivate()}. As
     * {@code kvm_create_vm}/{@code kvm_destroy_vm} hold {@code kvm_lock} only to link and unlink
     * the VM, creation and teardown run outside the driver's monitor: the registration waits for
     * {@code mmap_lock}, the teardown for the vCPUs' steps and a grace period, and under one lock
     * every other process's fork and exit queued behind them (0.7 s of 10 s per workload thread
     * in EndToEnd). Deactivation still finds none in flight: the core would take a VM caught
     * half-destroyed for a leak.
     */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** A planted bug (the mutants catalogue) for the VMs created from now on; {@link KvmBug#NONE} in every real run. */
    volatile KvmBug bug = KvmBug.NONE;

    @Activate
    public KvmDriver(@Reference CoherenceOracle oracle, Config defaults, Map<String, ?> properties) {
        // defaults: only declared, so that bnd writes Config's defaults into the component description
        // (service properties show every setting); the values are read from properties.
        this(oracle, ConfigValues.lenient(PID, Config.class, properties, ConfigValues.warnings(KvmDriver.class)));
    }

    private KvmDriver(CoherenceOracle oracle, Config config) {
        this(oracle, config.vcpus(), config.engines());
    }

    /** A driver whose VMs get {@code vcpus} vCPUs each, run by {@value #DEFAULT_ENGINES} host CPU. */
    public KvmDriver(CoherenceOracle oracle, int vcpus) {
        this(oracle, vcpus, DEFAULT_ENGINES);
    }

    /** A driver whose VMs get {@code vcpus} vCPUs each, all run by {@code engines} host CPUs (started here). */
    public KvmDriver(CoherenceOracle oracle, int vcpus, int engines) {
        this.oracle = Objects.requireNonNull(oracle, "oracle");
        this.vcpus = checkVcpus(vcpus);
        this.engines = checkEngines(engines);
        cpus.start(engines);
    }

    /** New VMs get the new vCPU count; a new number of host CPUs restarts them (every vCPU carries on). */
    @Modified
    synchronized void modified(Map<String, ?> properties) {
        Config config = ConfigValues.changed(PID, Config.class, properties, ConfigValues.warnings(KvmDriver.class));
        if (config != null) {
            vcpus = checkVcpus(config.vcpus()); // VMs created from now on
            if (config.engines() != engines && !closed) {
                cpus.stop();
                engines = checkEngines(config.engines());
                cpus.start(engines);
            }
        }
    }

    private static int checkEngines(int n) {
        if (n < 0 || n > MAX_ENGINES) {
            throw new IllegalArgumentException("engines=" + n + " is out of range: 0.." + MAX_ENGINES);
        }
        return n;
    }

    private static int checkVcpus(int n) {
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("vcpus=" + n + " is out of range: 1..64");
        }
        return n;
    }

    /**
     * {@code KVM_CREATE_VM} + {@code KVM_SET_USER_MEMORY_REGION}: a VM whose guest frames
     * {@code [0, pages)} are the process memory at {@code hva}; registers its notifier.
     *
     * @throws IllegalArgumentException if the memslot is empty or not page aligned (nothing is created)
     * @throws IllegalStateException if the driver is deactivated
     */
    public Vm createVm(MmStruct mm, long hva, long pages) {
        Objects.requireNonNull(mm, "mm");
        Memslot slot = new Memslot(0, pages, hva);
        lifecycle.readLock().lock();
        try {
            checkOpen();
            Vm vm = new Vm(ids.incrementAndGet(), mm, slot, oracle, counters, cpus);
            vm.bug = bug;
            mm.register(vm); // waits for mmap_lock: outside the driver's lock (see lifecycle)
            vm.registered();
            vms.put(vm.id(), vm);
            return vm;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Gives {@code vm} the configured number of vCPUs, run by the host CPUs from now on.
     *
     * @throws IllegalArgumentException if {@code vm} was destroyed
     * @throws IllegalStateException if the driver is deactivated
     */
    public synchronized void run(Vm vm, long seed) {
        checkOpen();
        checkOurs(vm);
        vm.startVcpus(vcpus, seed);
    }

    /**
     * Detaches the VM's vCPUs (none runs when this returns) and unregisters it (also after its
     * process exited).
     *
     * @throws IllegalArgumentException if {@code vm} was destroyed already
     */
    public void destroyVm(Vm vm) {
        lifecycle.readLock().lock();
        try {
            synchronized (this) { // against run(): a vCPU is started before this or not at all
                if (!vms.remove(vm.id(), vm)) {
                    throw new IllegalArgumentException("no VM " + vm.id() + " in this driver");
                }
            }
            boolean leak = vm.bug == KvmBug.LEAK_ON_DESTROY;
            vm.destroy(leak);
            if (!leak) {
                vm.mm().unregister(vm);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkOurs(Vm vm) {
        if (vms.get(vm.id()) != vm) {
            throw new IllegalArgumentException("no VM " + vm.id() + " in this driver");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KVM driver is deactivated");
        }
    }

    /**
     * The VM with {@code id}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public Vm vm(int id) {
        Vm vm = vms.get(id);
        if (vm == null) {
            throw new IllegalArgumentException("no VM " + id);
        }
        return vm;
    }

    public List<Vm> vms() {
        return List.copyOf(vms.values());
    }

    public int vcpus() {
        return vcpus;
    }

    /** Host CPUs (engine threads) running the vCPUs now. */
    public int engines() {
        return cpus.engineCount();
    }

    @Override
    public DeviceCounters counters() {
        return counters;
    }

    @Deactivate
    public void deactivate() {
        lifecycle.writeLock().lock(); // after every creation and teardown in flight
        try {
            synchronized (this) {
                closed = true;
            }
            for (Vm vm : vms()) {
                destroyVm(vm);
            }
            cpus.stop();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
