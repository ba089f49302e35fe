package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.mmunotifier.itests.GogoShell.getLong;
import static org.mmunotifier.itests.GogoShell.list;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The drivers' configuration at runtime: Metatype describes each driver PID, ConfigAdmin changes reach the running
 * components, a {@code .cfg} file in the FileInstall folder arrives in ConfigAdmin and the component and goes away
 * with the file, and an out-of-range value does not silently apply.
 *
 * <p>ConfigAdmin and Metatype are reached by reflection through the interfaces their bundles export (the itests
 * module has no compile dependency on them). Configurations are created with location {@code "?"}, so that the
 * drivers' bundles (not the test probe) may use them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigIT {

    static final String KVM_PID = "org.mmunotifier.drivers.kvm";
    static final String RDMA_PID = "org.mmunotifier.drivers.rdma";
    static final String GRU_PID = "org.mmunotifier.drivers.gru";

    private static final String KVM_DRIVER = "org.mmunotifier.drivers.kvm.internal.KvmDriver";
    private static final String RDMA_DRIVER = "org.mmunotifier.drivers.rdma.internal.RdmaDriver";
    private static final String GRU_DRIVER = "org.mmunotifier.drivers.gru.internal.GruDriver";
    private static final String KVM_ATTACH = "org.mmunotifier.drivers.kvm.internal.KvmAttach";
    private static final String RDMA_ATTACH = "org.mmunotifier.drivers.rdma.internal.RdmaAttach";
    private static final String GRU_ATTACH = "org.mmunotifier.drivers.gru.internal.GruAttach";

    /** Thread name prefixes of the drivers' device threads (DeviceThreads names them prefix + index). */
    private static final String DMA_THREADS = "rdma-dma";
    private static final String INSN_THREADS = "gru-insn";
    private static final String KVM_CPUS = "kvm-cpu";
    /** Engines per driver by default (KVM engines, RDMA dmaThreads, GRU instructionThreads). */
    private static final int ENGINES = 1;

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    private BundleContext context;

    private ConfigAdmin cm;
    private ServiceComponentRuntime scr;
    private GogoShell shell;
    private MachineControl control;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void services() throws Exception {
        cm = new ConfigAdmin(context);
        scr = ItestSupport.waitForService(context, ServiceComponentRuntime.class);
        control = ItestSupport.waitForService(context, MachineControl.class);
        for (String driver : List.of(KVM_DRIVER, RDMA_DRIVER, GRU_DRIVER)) {
            waitForActive(driver);
        }
        shell = GogoShell.open(context);
    }

    @After
    public void cleanUp() throws Exception {
        if (shell != null) {
            shell.close();
        }
    }

    // ---- Metatype ------------------------------------------------------------------------------------------

    @Test
    public void metatypeDescribesEveryDriverPid() throws Exception {
        Map<String, Set<String>> expected = Map.of(
                KVM_PID, Set.of("vcpus", "engines", "attach", "attachAddress", "attachPages"),
                RDMA_PID, Set.of("dmaThreads", "attach", "attachAddress", "attachPages"),
                GRU_PID, Set.of("tlbEntries", "flushThreshold", "instructionThreads", "attach", "attachAddress",
                        "attachPages"));
        Metatype metatype = new Metatype(context);
        for (String module : ItestSupport.DRIVERS) {
            String pid = ItestSupport.symbolicName(module);
            Bundle bundle = ItestSupport.moduleBundle(context, module);
            assertTrue(module + " designates " + pid + ": " + metatype.pids(bundle), metatype.pids(bundle).contains(pid));
            Map<String, Object> ads = metatype.attributes(bundle, pid);
            assertEquals("attributes of " + pid, new TreeSet<>(expected.get(pid)), ads.keySet());
        }
        // The ranges the drivers enforce are declared, so a UI refuses what the driver would refuse.
        assertRange(metatype, "drivers.kvm", KVM_PID, "vcpus", "1", "64");
        assertRange(metatype, "drivers.kvm", KVM_PID, "engines", "0", "16");
        assertRange(metatype, "drivers.kvm", KVM_PID, "attachPages", "1", "65536");
        assertRange(metatype, "drivers.rdma", RDMA_PID, "dmaThreads", "0", "16");
        assertRange(metatype, "drivers.gru", GRU_PID, "tlbEntries", "1", "4096");
        assertRange(metatype, "drivers.gru", GRU_PID, "attachPages", "1", "65536");
        assertEquals("2", metatype.defaultValue(ItestSupport.moduleBundle(context, "drivers.kvm"), KVM_PID, "vcpus"));
        assertEquals("64", metatype.defaultValue(ItestSupport.moduleBundle(context, "drivers.gru"), GRU_PID, "tlbEntries"));
    }

    /** The GRU metatype declares the ranges the driver enforces (it once left two of them out). */
    @Test
    public void metatypeDeclaresTheRangesTheGruDriverEnforces() throws Exception {
        Metatype metatype = new Metatype(context);
        assertRange(metatype, "drivers.gru", GRU_PID, "instructionThreads", "0", "16");
        Bundle gru = ItestSupport.moduleBundle(context, "drivers.gru");
        assertFalse("flushThreshold=0 is refused by Metatype",
                metatype.validate(gru, GRU_PID, "flushThreshold", "0").isEmpty());
    }

    // ---- ConfigAdmin at runtime ----------------------------------------------------------------------------

    @Test
    public void kvmVcpusChangeReachesNewVms() throws Exception {
        Object cfg = cm.configuration(KVM_PID);
        try {
            cm.update(cfg, props("vcpus", 3));
            waitForProperty(KVM_DRIVER, "vcpus", 3);
            waitForActive(KVM_DRIVER);
            waitForActive(KVM_ATTACH);

            int pid = control.spawn();
            long mm = mmOf(pid);
            Object attached = vmsOn(mm).get(0);
            assertEquals("the VM attached to a new process runs the configured vCPUs", 3L, getLong(attached, "vcpus"));
            Object created = shell.execute("kvm:create " + pid + " 0x70000000 8");
            assertEquals("kvm:create runs the configured vCPUs", 3L, getLong(created, "vcpus"));
            control.kill(pid);
        } finally {
            cm.delete(cfg);
        }
        waitForProperty(KVM_DRIVER, "vcpus", 2);
        waitForActive(KVM_ATTACH);
        int pid = control.spawn();
        assertEquals("back to the default", 2L, getLong(vmsOn(mmOf(pid)).get(0), "vcpus"));
        control.kill(pid);
    }

    /**
     * KVM's host CPUs (the engines running every VM's vCPUs): a new number restarts them, and the VMs
     * that were running go on with their vCPUs (contexts on the engines, not threads of their own);
     * with none, no guest runs; deleting the configuration brings the default back.
     */
    @Test
    public void kvmEnginesChangeRestartsTheHostCpusAndRunningVmsGoOn() throws Exception {
        waitForThreads(KVM_CPUS, ENGINES);
        int pid = control.spawn(); // gets a VM, its vCPUs run on the host CPUs
        Object cfg = cm.configuration(KVM_PID);
        try {
            cm.update(cfg, props("engines", 3));
            waitForProperty(KVM_DRIVER, "engines", 3);
            waitForThreads(KVM_CPUS, 3);
            awaitKvmAccesses("with 3 host CPUs");
            assertTrue("the VM made before the change still exists", vmsOn(mmOf(pid)).size() == 1);

            cm.update(cfg, props("engines", 0));
            waitForProperty(KVM_DRIVER, "engines", 0);
            waitForThreads(KVM_CPUS, 0);
            long before = kvmAccesses();
            ItestSupport.sleep(300);
            assertEquals("a guest access with no host CPU", before, kvmAccesses());
        } finally {
            cm.delete(cfg);
        }
        waitForThreads(KVM_CPUS, ENGINES);
        awaitKvmAccesses("after the default came back");
        control.kill(pid);
    }

    private long kvmAccesses() throws Exception {
        return ((org.mmunotifier.api.DeviceCounters.Snapshot) shell.execute("kvm:counters")).accesses();
    }

    /** Until the VMs' guests make accesses (a VM's vCPUs run on the host CPUs). */
    private void awaitKvmAccesses(String during) throws Exception {
        long before = kvmAccesses();
        ItestSupport.waitUntil("KVM guest accesses " + during, WAIT, () -> {
            try {
                return kvmAccesses() > before;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    public void rdmaDmaThreadsChangeRestartsTheEngines() throws Exception {
        waitForThreads(DMA_THREADS, ENGINES);
        Object cfg = cm.configuration(RDMA_PID);
        try {
            cm.update(cfg, props("dmaThreads", 5));
            waitForProperty(RDMA_DRIVER, "dmaThreads", 5);
            waitForThreads(DMA_THREADS, 5);
            waitForActive(RDMA_DRIVER);

            cm.update(cfg, props("dmaThreads", 0));
            waitForProperty(RDMA_DRIVER, "dmaThreads", 0);
            waitForThreads(DMA_THREADS, 0);
            waitForActive(RDMA_DRIVER);

            // The rest of the driver works with no engine: a new process gets its region.
            int pid = control.spawn();
            assertTrue(list(shell.execute("rdma:mrs")).stream().anyMatch(m -> getLong(m, "mm") == mmOfQuietly(pid)));
            control.kill(pid);
        } finally {
            cm.delete(cfg);
        }
        waitForThreads(DMA_THREADS, ENGINES);
        // SCR publishes the properties after modified() has restarted the engines: wait, do not sample
        waitForProperty(RDMA_DRIVER, "dmaThreads", ENGINES);
    }

    // ---- FileInstall ---------------------------------------------------------------------------------------

    @Test
    public void cfgFileInTheWatchedFolderConfiguresGruUntilRemoved() throws Exception {
        waitForThreads(INSN_THREADS, ENGINES);
        Path folder = ItestSupport.watchedFolder(context);
        Path staged = Files.createTempFile(folder.getParent(), GRU_PID, ".cfg.tmp");
        Files.write(staged, List.of("# written by ConfigIT", "tlbEntries=128", "instructionThreads=3"),
                StandardCharsets.ISO_8859_1);
        Path cfg = Files.move(staged, folder.resolve(GRU_PID + ".cfg"), StandardCopyOption.ATOMIC_MOVE);
        try {
            ItestSupport.waitUntil("configuration " + GRU_PID + " from " + cfg, WAIT, () -> {
                Map<String, Object> p = cmProperties(GRU_PID);
                return p != null && "128".equals(String.valueOf(p.get("tlbEntries")));
            });
            Map<String, Object> p = cm.properties(GRU_PID);
            assertEquals("3", String.valueOf(p.get("instructionThreads")));
            assertNotNull("FileInstall records the file: " + p, p.get("felix.fileinstall.filename"));

            waitForProperty(GRU_DRIVER, "tlbEntries", "128");
            waitForThreads(INSN_THREADS, 3);
            waitForActive(GRU_DRIVER);
            // It still works: a new process gets a context.
            int pid = control.spawn();
            long mm = mmOf(pid);
            assertTrue(list(shell.execute("gru:contexts")).stream().anyMatch(c -> getLong(c, "mm") == mm));
            control.kill(pid);
        } finally {
            Files.deleteIfExists(cfg);
        }
        ItestSupport.waitUntil("configuration " + GRU_PID + " removed with " + cfg, WAIT, () -> cmProperties(GRU_PID) == null);
        waitForProperty(GRU_DRIVER, "tlbEntries", 64);
        waitForThreads(INSN_THREADS, ENGINES);
        waitForActive(GRU_DRIVER);
    }

    // ---- bad values ----------------------------------------------------------------------------------------

    /**
     * The GRU driver's modified method refuses the bad value by throwing before it changes anything: SCR 2.2.18
     * logs it and keeps the running instance, so the last good setting (3 instruction threads) stays in force and
     * new processes still get a context. Deleting the configuration brings back the defaults.
     */
    @Test
    public void outOfRangeGruTlbEntriesChangesNothing() throws Exception {
        assertBadValueChangesNothing(GRU_PID, "instructionThreads", 3, "tlbEntries", 0, GRU_DRIVER, GRU_ATTACH,
                INSN_THREADS, ENGINES, "gru");
    }

    /** As for GRU: the engines keep running at the last good number, and new processes still get a region. */
    @Test
    public void outOfRangeRdmaDmaThreadsChangesNothing() throws Exception {
        assertBadValueChangesNothing(RDMA_PID, "dmaThreads", 3, "dmaThreads", 17, RDMA_DRIVER, RDMA_ATTACH,
                DMA_THREADS, ENGINES, "rdma");
    }

    /**
     * KvmDriver is immediate and has a modified method, which refuses the bad value: one warning naming the PID, the
     * key, the value and its range; the running instance keeps its settings, so VMs keep getting the last good value
     * (while the service properties show the bad one). Deleting the configuration brings back the default.
     */
    @Test
    public void outOfRangeKvmVcpusKeepsTheLastGoodValue() throws Exception {
        Object cfg = cm.configuration(KVM_PID);
        try (LogCapture log = LogCapture.of("org.mmunotifier.drivers.kvm", true)) {
            cm.update(cfg, props("vcpus", 3));
            waitForProperty(KVM_DRIVER, "vcpus", 3);
            waitForActive(KVM_ATTACH);
            assertEquals(3L, getLong(attachedVm(), "vcpus"));

            cm.update(cfg, props("vcpus", 0));
            waitForProperty(KVM_DRIVER, "vcpus", 0); // SCR publishes the new properties after calling modified
            waitForActive(KVM_ATTACH);
            assertEquals("KvmDriver stays ACTIVE: " + failure(KVM_DRIVER), ComponentConfigurationDTO.ACTIVE,
                    state(KVM_DRIVER));
            assertEquals("a new process's VM runs the last good vcpus, not 0", 3L, getLong(attachedVm(), "vcpus"));
            int pid = control.spawn();
            assertEquals("kvm:create too", 3L, getLong(shell.execute("kvm:create " + pid + " 0x70000000 8"), "vcpus"));
            control.kill(pid);
            assertEquals(List.of("org.mmunotifier.drivers.kvm: vcpus='0' is out of range: 1..64; nothing changed"),
                    log.warnings());
        } finally {
            cm.delete(cfg);
        }
        waitForProperty(KVM_DRIVER, "vcpus", 2);
        waitForActive(KVM_ATTACH);
        assertEquals(ComponentConfigurationDTO.ACTIVE, state(KVM_DRIVER));
        assertEquals("the default again", 2L, getLong(attachedVm(), "vcpus"));
    }

    /**
     * An out-of-range attach setting: the attach component's modified method refuses it, SCR keeps the instance,
     * and new processes still get a VM with the last good settings. Deleting the configuration changes nothing
     * visible either (the defaults are what was in force).
     */
    @Test
    public void outOfRangeKvmAttachPagesChangesNothing() throws Exception {
        Object cfg = cm.configuration(KVM_PID);
        try {
            cm.update(cfg, props("attachPages", 8)); // a good change reaches the running attach component
            ItestSupport.waitUntil("a new process's VM has 8 pages", WAIT, () -> {
                try {
                    return getLong(attachedVm(), "pages") == 8L;
                } catch (Exception notYet) {
                    return false;
                }
            });
            cm.update(cfg, props("attachPages", 0));
            // SCR hands the new properties to the attach component's configuration whether it then modifies it
            // (refused: stays ACTIVE) or re-creates it (FAILED_ACTIVATION); only then is its state the answer.
            ItestSupport.waitUntil(KVM_ATTACH + " configured with attachPages=0", WAIT, () -> {
                ComponentConfigurationDTO c = configurationDTO(KVM_ATTACH);
                return c != null && "0".equals(String.valueOf(c.properties.get("attachPages")));
            });
            assertEquals("KvmAttach stays ACTIVE: " + failure(KVM_ATTACH), ComponentConfigurationDTO.ACTIVE,
                    state(KVM_ATTACH));
            assertEquals(ComponentConfigurationDTO.ACTIVE, state(KVM_DRIVER));
            assertEquals("a new process still gets a VM of the last good size", 8L, getLong(attachedVm(), "pages"));
        } finally {
            cm.delete(cfg);
        }
        assertDriverWorks(KVM_DRIVER, KVM_ATTACH, "kvm");
    }

    // ---- a configuration change is not a bundle stop --------------------------------------------------------

    /**
     * KvmCommands (configurationPid of the driver, no modified method) is the kvm bundle's only user of the core's
     * bundle-scoped Processes; once a {@code kvm} command has run, a KVM configuration change re-creates it and
     * releases that instance while the bundle is ACTIVE. The core must not take that for a stop (it once took back
     * every VM's registration, and the VMs ran on unregistered: hundreds of use-after-free violations).
     */
    @Test
    public void kvmConfigChangeLeavesLiveVmsRegisteredAndCoherent() throws Exception {
        NotifierRegistry registry = ItestSupport.waitForService(context, NotifierRegistry.class);
        long kvm = ItestSupport.moduleBundle(context, "drivers.kvm").getBundleId();
        int pid = control.spawn(); // KVM attaches a VM
        shell.execute("kvm:vms"); // activates KvmCommands, which gets the core's Processes
        int cleanups = registry.forcedCleanups().size();
        long violations = control.stats().violations();
        Object cfg = cm.configuration(KVM_PID);
        try {
            cm.update(cfg, props("vcpus", 3));
            waitForProperty(KVM_DRIVER, "vcpus", 3);
            waitForActive(KVM_ATTACH);
            assertEquals("forced cleanups after a configuration change: " + registry.forcedCleanups(), cleanups,
                    registry.forcedCleanups().size());
            for (Object vm : list(shell.execute("kvm:vms"))) {
                long vmMm = getLong(vm, "mm");
                assertTrue("VM " + vm + " runs without a registration: " + registry.registrations(),
                        Boolean.TRUE.equals(GogoShell.get(vm, "released"))
                                || registry.registrations().stream().anyMatch(r -> r.bundleId() == kvm && r.mmId() == vmMm));
            }
            // Its memory replaced under it: a registered VM gets the invalidation, an unregistered one uses freed frames.
            shell.execute("mmu:unmap " + pid + " 0x40000000 0x20000");
            shell.execute("mmu:map " + pid + " 0x40000000 0x20000 rw false");
            ItestSupport.waitForService(context, MmuNotifiers.class).synchronize();
            assertEquals("violations: " + control.recentViolations(), violations, control.stats().violations());
        } finally {
            cm.delete(cfg);
            control.kill(pid);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /**
     * Sets {@code goodKey=good} and sees it applied (the threads named {@code threadPrefix} number {@code good}),
     * then adds {@code badKey=bad}: the driver and its attach component stay ACTIVE, the threads stay at
     * {@code good}, and a new process still gets a registration. Deleting the configuration restores the defaults.
     */
    private void assertBadValueChangesNothing(String pid, String goodKey, int good, String badKey, int bad,
            String driver, String attach, String threadPrefix, int defaultThreads, String scope) throws Exception {
        waitForActive(driver);
        waitForThreads(threadPrefix, defaultThreads);
        Object cfg = cm.configuration(pid);
        try {
            cm.update(cfg, props(goodKey, good));
            waitForThreads(threadPrefix, good);
            Hashtable<String, Object> both = props(goodKey, good);
            both.put(badKey, bad);
            cm.update(cfg, both);
            waitForProperty(driver, badKey, bad); // SCR publishes the new properties after calling modified
            assertEquals(driver + " stays ACTIVE: " + failure(driver), ComponentConfigurationDTO.ACTIVE, state(driver));
            assertEquals("the threads of the last good configuration run on", good, threads(threadPrefix));
            assertDriverWorks(driver, attach, scope);
        } finally {
            cm.delete(cfg);
        }
        assertDriverWorks(driver, attach, scope);
        waitForThreads(threadPrefix, defaultThreads);
    }

    /** The driver and its attach component are ACTIVE and a new process gets a registration by the bundle. */
    private void assertDriverWorks(String driver, String attach, String scope) throws Exception {
        NotifierRegistry registry = ItestSupport.waitForService(context, NotifierRegistry.class);
        Bundle bundle = ItestSupport.moduleBundle(context, "drivers." + scope);
        waitForActive(attach);
        waitForActive(driver);
        int pid = control.spawn();
        long mm = mmOf(pid);
        assertTrue(scope + " attaches to a new process again: " + registry.registrations(),
                registry.registrations().stream().anyMatch(r -> r.bundleId() == bundle.getBundleId() && r.mmId() == mm));
        control.kill(pid);
    }

    private static Hashtable<String, Object> props(String key, Object value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    private long mmOf(int pid) throws Exception {
        for (Object p : list(shell.execute("mmu:ps"))) {
            if (getLong(p, "pid") == pid) {
                return getLong(p, "mm");
            }
        }
        throw new AssertionError("no process " + pid + " in mmu:ps");
    }

    private long mmOfQuietly(int pid) {
        try {
            return mmOf(pid);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The VM KVM attached to a process spawned for the purpose (the process is killed again). */
    private Object attachedVm() throws Exception {
        int pid = control.spawn();
        try {
            return vmsOn(mmOf(pid)).get(0);
        } finally {
            control.kill(pid);
        }
    }

    private List<?> vmsOn(long mm) throws Exception {
        List<Object> out = new ArrayList<>();
        for (Object v : list(shell.execute("kvm:vms"))) {
            if (getLong(v, "mm") == mm) {
                out.add(v);
            }
        }
        assertFalse("no VM on mm " + mm + ": " + shell.execute("kvm:vms"), out.isEmpty());
        return out;
    }

    private Map<String, Object> cmProperties(String pid) {
        try {
            return cm.properties(pid);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Map<String, Object> propsQuietly(String type) {
        try {
            Map<String, Object> p = props(type);
            return p == null ? Map.of() : p;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until the service of {@code type} has {@code key} equal to {@code value}. */
    private void waitForProperty(String type, String key, Object value) {
        ItestSupport.waitUntil(type + " service property " + key + "=" + value, WAIT,
                () -> Objects.equals(value, propsQuietly(type).get(key)));
    }

    private void waitForThreads(String prefix, int n) {
        ItestSupport.waitUntil(n + " threads " + prefix + "* (now " + threads(prefix) + ")", WAIT, () -> threads(prefix) == n);
    }

    private static void assertRange(Metatype metatype, String module, String pid, String id, String min, String max)
            throws Exception {
        Bundle bundle = ItestSupport.moduleBundle(metatype.context, module);
        assertEquals(pid + " " + id + "=" + min + " is valid", "", metatype.validate(bundle, pid, id, min));
        assertEquals(pid + " " + id + "=" + max + " is valid", "", metatype.validate(bundle, pid, id, max));
        assertFalse(pid + " " + id + " below " + min + " is refused",
                metatype.validate(bundle, pid, id, Long.toString(Long.parseLong(min) - 1)).isEmpty());
        assertFalse(pid + " " + id + " above " + max + " is refused",
                metatype.validate(bundle, pid, id, Long.toString(Long.parseLong(max) + 1)).isEmpty());
    }

    /** Live threads whose name is {@code prefix} followed by digits. */
    static int threads(String prefix) {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix) && t.getName().substring(prefix.length()).matches("\\d+")) {
                n++;
            }
        }
        return n;
    }

    /** The service properties of the (single) service registered under {@code type}, or null if none. */
    private Map<String, Object> props(String type) throws Exception {
        ServiceReference<?>[] refs = context.getAllServiceReferences(type, null);
        if (refs == null || refs.length == 0) {
            return null;
        }
        Map<String, Object> m = new TreeMap<>();
        for (String k : refs[0].getPropertyKeys()) {
            m.put(k, refs[0].getProperty(k));
        }
        return m;
    }

    private void waitForActive(String component) {
        ItestSupport.waitUntil(component + " ACTIVE", WAIT, () -> state(component) == ComponentConfigurationDTO.ACTIVE);
    }

    /** The failure text of the one configuration of component {@code name}, or null. */
    private String failure(String name) {
        ComponentConfigurationDTO c = configurationDTO(name);
        return c == null ? null : c.failure;
    }

    /** The state of the one configuration of component {@code name}, or -1 if it has none. */
    private int state(String name) {
        ComponentConfigurationDTO c = configurationDTO(name);
        return c == null ? -1 : c.state;
    }

    private ComponentConfigurationDTO configurationDTO(String name) {
        for (String module : ItestSupport.DRIVERS) {
            Bundle bundle = ItestSupport.findBundle(context, ItestSupport.symbolicName(module)).orElse(null);
            if (bundle == null) {
                continue;
            }
            ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(bundle, name);
            if (d != null) {
                Collection<ComponentConfigurationDTO> cs = scr.getComponentConfigurationDTOs(d);
                return cs.isEmpty() ? null : cs.iterator().next();
            }
        }
        return null;
    }

    /** MetaTypeService through reflection. */
    static final class Metatype {
        final BundleContext context;
        private final Object service;
        private final Method getInfo;
        private final Method getPids;
        private final Method getOcd;
        private final Method getAds;
        private final Method getId;
        private final Method validate;
        private final Method getDefault;

        Metatype(BundleContext context) throws Exception {
            this.context = context;
            ServiceReference<?> ref = ConfigAdmin.anyReference(context, "org.osgi.service.metatype.MetaTypeService");
            service = context.getService(ref);
            Bundle b = ref.getBundle();
            getInfo = b.loadClass("org.osgi.service.metatype.MetaTypeService").getMethod("getMetaTypeInformation",
                    Bundle.class);
            Class<?> info = b.loadClass("org.osgi.service.metatype.MetaTypeInformation");
            getPids = info.getMethod("getPids");
            getOcd = info.getMethod("getObjectClassDefinition", String.class, String.class);
            getAds = b.loadClass("org.osgi.service.metatype.ObjectClassDefinition").getMethod("getAttributeDefinitions",
                    int.class);
            Class<?> ad = b.loadClass("org.osgi.service.metatype.AttributeDefinition");
            getId = ad.getMethod("getID");
            validate = ad.getMethod("validate", String.class);
            getDefault = ad.getMethod("getDefaultValue");
        }

        Set<String> pids(Bundle bundle) throws Exception {
            Object info = ConfigAdmin.call(getInfo, service, bundle);
            String[] pids = info == null ? null : (String[]) ConfigAdmin.call(getPids, info);
            return pids == null ? Set.of() : new TreeSet<>(List.of(pids));
        }

        /** The attribute definitions of {@code pid}'s object class, by id. */
        Map<String, Object> attributes(Bundle bundle, String pid) throws Exception {
            Object info = ConfigAdmin.call(getInfo, service, bundle);
            assertNotNull("no metatype information in " + bundle, info);
            Object ocd = ConfigAdmin.call(getOcd, info, pid, null);
            assertNotNull("no object class definition for " + pid, ocd);
            Object[] ads = (Object[]) ConfigAdmin.call(getAds, ocd, -1); // ObjectClassDefinition.ALL
            Map<String, Object> out = new TreeMap<>();
            for (Object a : ads) {
                out.put((String) ConfigAdmin.call(getId, a), a);
            }
            return out;
        }

        /** {@code AttributeDefinition.validate}: "" if valid, a message if not (null: no validation). */
        String validate(Bundle bundle, String pid, String id, String value) throws Exception {
            Object ad = attributes(bundle, pid).get(id);
            assertNotNull(pid + " has no attribute " + id, ad);
            return (String) ConfigAdmin.call(validate, ad, value);
        }

        String defaultValue(Bundle bundle, String pid, String id) throws Exception {
            String[] d = (String[]) ConfigAdmin.call(getDefault, attributes(bundle, pid).get(id));
            return d == null || d.length == 0 ? null : d[0];
        }
    }
}
