package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.mmunotifier.itests.GogoShell.get;
import static org.mmunotifier.itests.GogoShell.getLong;
import static org.mmunotifier.itests.GogoShell.list;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.felix.service.command.Converter;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The shell commands through a real Gogo session: the {@code mmu} and driver scopes are registered and described,
 * the happy paths return the right data and change the machine as they say, results format as tables, and bad
 * input fails with a one-line message naming the bad value and changes nothing.
 *
 * <p>The framework runs the drivers with their default configuration, so every process spawned here gets a KVM VM
 * at 0x40000000 (and, once the RDMA driver attaches, an RDMA region at 0x50000000) whose threads fault pages in
 * concurrently: resident page counts of the demo regions move on their own, so the tests compare them only on
 * memory they map themselves (at {@link #FREE}, which no driver touches).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT {

    /** The {@code mmu} commands. */
    private static final Set<String> MMU_FUNCTIONS = new TreeSet<>(List.of("mmu", "kvm", "rdma", "gru", "ps", "vmas", "spawn", "kill", "map",
            "unmap", "protect", "touch", "reclaim", "migrate", "notifiers", "bundles", "cleanups", "stats",
            "violations", "violation", "devices", "clear", "status", "faults", "stalls", "stall", "demo", "swap", "adversary", "config", "jfr"));
    /** The {@code kvm} commands. */
    private static final Set<String> KVM_FUNCTIONS = new TreeSet<>(List.of("vms", "create", "destroy", "counters"));
    private static final Set<String> RDMA_FUNCTIONS = new TreeSet<>(List.of("mrs", "reg", "dereg", "counters"));
    private static final Set<String> GRU_FUNCTIONS = new TreeSet<>(List.of("contexts", "open", "close", "counters"));

    /** A pid no process has. */
    private static final int NO_PID = 99999;
    /** Free address space in a spawned process: below the demo regions (0x40000000 + n * 0x10000000). */
    private static final String FREE = "0x10000000";

    /** The components of the mmu commands' ProcessInfo and VmaInfo records, in order. */
    private static final List<String> PROCESS_INFO = List.of("pid", "mm", "vmas", "mappedPages", "residentPages",
            "pageTables", "notifiers", "intervals");
    private static final List<String> VMA_INFO = List.of("start", "end", "prot", "kind", "pages", "resident");

    @Inject
    private BundleContext context;

    private GogoShell shell;
    private NotifierRegistry registry;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void openSession() throws Exception {
        ItestSupport.waitForService(context, MachineControl.class);
        registry = ItestSupport.waitForService(context, NotifierRegistry.class);
        GogoShell.waitForScope(context, "mmu");
        GogoShell.waitForScope(context, "kvm");
        shell = GogoShell.open(context);
    }

    @After
    public void closeSession() throws Exception {
        if (shell != null) {
            shell.close();
        }
    }

    // ---- registration and descriptions ---------------------------------------------------------------------

    @Test
    public void mmuCommandsAreRegisteredAndDescribed() throws Exception {
        assertScope("mmu", MMU_FUNCTIONS);
    }

    @Test
    public void kvmCommandsAreRegisteredAndDescribed() throws Exception {
        assertScope("kvm", KVM_FUNCTIONS);
    }

    @Test
    public void rdmaCommandsAreRegisteredAndDescribed() throws Exception {
        assertScope("rdma", RDMA_FUNCTIONS);
    }

    @Test
    public void gruCommandsAreRegisteredAndDescribed() throws Exception {
        assertScope("gru", GRU_FUNCTIONS);
    }

    // ---- happy paths ---------------------------------------------------------------------------------------

    @Test
    public void spawnedProcessIsListedUntilKilled() throws Exception {
        Object spawned = shell.execute("mmu:spawn");
        assertEquals(PROCESS_INFO, GogoShell.components(spawned));
        int pid = (int) getLong(spawned, "pid");
        assertEquals("demo layout: 4 regions", 4L, getLong(spawned, "vmas"));
        assertEquals("demo layout: 4 x 32 pages", 128L, getLong(spawned, "mappedPages"));

        Object listed = processRow(pid);
        assertNotNull("mmu:ps lists the spawned pid " + pid + ": " + shell.execute("mmu:ps"), listed);
        assertEquals(getLong(spawned, "mm"), getLong(listed, "mm"));
        assertEquals(4, list(shell.execute("mmu:vmas " + pid)).size());

        assertEquals("process " + pid + " exited", shell.execute("mmu:kill " + pid));
        assertEquals("mmu:ps after kill", null, processRow(pid));
        assertFalse(pids().contains(pid));
    }

    @Test
    public void mapTouchProtectUnmapChangeTheVmas() throws Exception {
        int pid = spawn();
        List<String> demo = vmaShapes(pid);

        List<?> mapped = list(shell.execute("mmu:map " + pid + " " + FREE + " 0x4000 rw false"));
        assertEquals(VMA_INFO, GogoShell.components(mapped.get(0)));
        assertEquals("the map result is the process's VMAs", 5, mapped.size());
        assertEquals(List.of("0x10000000-0x10004000 rw- private pages=4 resident=0"), vmasIn(pid, 0x1000_0000L, 0x1001_0000L));
        assertEquals("the demo VMAs are untouched", demo, vmaShapes(pid).subList(1, 5));

        Object info = shell.execute("mmu:touch " + pid + " " + FREE + " 0x2000 true");
        assertEquals(pid, getLong(info, "pid"));
        assertEquals(List.of("0x10000000-0x10004000 rw- private pages=4 resident=2"), vmasIn(pid, 0x1000_0000L, 0x1001_0000L));

        list(shell.execute("mmu:protect " + pid + " 0x10001000 0x1000 r"));
        List<String> split = vmasIn(pid, 0x1000_0000L, 0x1001_0000L);
        assertEquals("mprotect of the middle page splits the VMA: " + split, 3, split.size());
        assertTrue(split.toString(), split.get(0).startsWith("0x10000000-0x10001000 rw- private pages=1"));
        assertTrue(split.toString(), split.get(1).startsWith("0x10001000-0x10002000 r-- private pages=1"));
        assertTrue(split.toString(), split.get(2).startsWith("0x10002000-0x10004000 rw- private pages=2"));

        // A write to the read-only page is refused before anything is faulted in.
        List<String> before = vmasIn(pid, 0x1000_0000L, 0x1001_0000L);
        String message = shell.refusal("mmu:touch " + pid + " 0x10000000 0x4000 true").getMessage();
        assertTrue(message, message.contains("0x10001000") && message.contains("r--"));
        assertEquals(before, vmasIn(pid, 0x1000_0000L, 0x1001_0000L));

        list(shell.execute("mmu:unmap " + pid + " " + FREE + " 0x4000"));
        assertEquals(List.of(), vmasIn(pid, 0x1000_0000L, 0x1001_0000L));
        assertEquals(demo, vmaShapes(pid));
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void kvmCreateMakesAVmThatIsListedAndRegistered() throws Exception {
        int pid = spawn();
        long mm = getLong(processRow(pid), "mm");
        long kvm = driverBundle("kvm").getBundleId();
        int before = registrationsBy(pid, kvm);

        Object vm = shell.execute("kvm:create " + pid);
        int id = (int) getLong(vm, "id");
        assertEquals(mm, getLong(vm, "mm"));
        assertEquals("0x40000000", get(vm, "hva"));
        assertEquals(32L, getLong(vm, "pages"));
        assertEquals("default vcpus", 2L, getLong(vm, "vcpus"));
        assertEquals(false, get(vm, "released"));

        assertTrue("kvm:vms lists VM " + id + ": " + vmIds(), vmIds().contains(id));
        assertEquals("mmu:notifiers " + pid + " shows one more registration by the kvm bundle [" + kvm + "]: "
                + shell.execute("mmu:notifiers " + pid), before + 1, registrationsBy(pid, kvm));
        // ... and the registry agrees.
        assertTrue(registry.registrations().stream().anyMatch(r -> r.bundleId() == kvm && r.mmId() == mm));

        Object destroyed = shell.execute("kvm:destroy " + id);
        assertEquals(id, getLong(destroyed, "id"));
        assertFalse(vmIds().contains(id));
        assertEquals(before, registrationsBy(pid, kvm));
        shell.execute("mmu:kill " + pid);
    }

    /** mmu:jfr start FILE … mmu:jfr stop: the file has the core's events of what happened in between. */
    @Test
    public void jfrRecordsTheCoresEventsUntilItIsStopped() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempDirectory(ItestSupport.workDir(), "jfr-")
                .resolve("shell.jfr");
        assertEquals("no recording (mmu:jfr start FILE starts one)", shell.execute("mmu:jfr"));
        assertEquals("recording to " + file + " (mmu:jfr stop writes it)", shell.execute("mmu:jfr start " + file));
        assertTrue(shell.refusal("mmu:jfr start " + file).getMessage().startsWith("already recording to " + file));
        int pid = spawn(); // the kvm driver attaches a VM to it
        long mm = getLong(processRow(pid), "mm");
        shell.execute("mmu:map " + pid + " " + FREE + " 0x4000 rw false");
        shell.execute("mmu:touch " + pid + " " + FREE + " 0x4000 true");
        shell.execute("mmu:unmap " + pid + " " + FREE + " 0x4000");
        shell.execute("mmu:swap kvm");
        shell.execute("mmu:kill " + pid);
        assertEquals("JFR recording written to " + file + " (jfr summary, jfr print --categories mmu-notifier)",
                shell.execute("mmu:jfr stop"));
        assertTrue(shell.refusal("mmu:jfr stop").getMessage().startsWith("no recording to stop"));

        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file);
        String kvm = driverBundle("kvm").getSymbolicName();
        assertTrue("kvm's invalidate_range_start of the unmap: " + file, events.stream().anyMatch(e -> named(e,
                "org.mmunotifier.InvalidateRange") && e.getString("bundle").startsWith(kvm) && e.getLong("mm") == mm
                && e.getString("callback").equals("invalidate_range_start") && e.getString("event").equals("UNMAP")
                && e.getLong("start") == Long.decode(FREE) && e.getLong("end") == Long.decode(FREE) + 0x4000));
        assertTrue("the swap: " + file, events.stream().anyMatch(e -> named(e, "org.mmunotifier.DriverSwap")
                && e.getString("bundle").startsWith(kvm) && e.getString("how").equals("restart")
                && e.getString("failure").isEmpty()));
        assertTrue("the new VM's release at the kill: " + file, events.stream().anyMatch(e -> named(e,
                "org.mmunotifier.Release") && e.getString("bundle").startsWith(kvm) && e.getLong("mm") == mm));
    }

    private static boolean named(jdk.jfr.consumer.RecordedEvent e, String type) {
        return e.getEventType().getName().equals(type);
    }

    @Test
    public void swapRestartsKvmAndItComesBackActive() throws Exception {
        int pid = spawn(); // the kvm driver attaches a VM to it
        Bundle kvm = driverBundle("kvm");
        long mm = getLong(processRow(pid), "mm");
        assertTrue("kvm attached to the new process: " + registry.registrations(),
                registry.registrations().stream().anyMatch(r -> r.bundleId() == kvm.getBundleId() && r.mmId() == mm));
        List<String> before = kvmOn(kvm, mm);
        int cleanups = registry.forcedCleanups().size();

        Object swap = shell.execute("mmu:swap kvm");
        assertEquals(List.of("bundle", "how", "teardownMicros", "startMicros", "leftBehind"), GogoShell.components(swap));
        assertTrue(String.valueOf(get(swap, "bundle")), String.valueOf(get(swap, "bundle")).contains("org.mmunotifier.drivers.kvm"));
        assertEquals("restart", get(swap, "how"));
        assertTrue(getLong(swap, "teardownMicros") > 0 && getLong(swap, "startMicros") > 0);
        // The KVM driver destroys its VMs when it deactivates: the core had nothing to take back.
        assertEquals(0L, getLong(swap, "leftBehind"));
        assertEquals("forced cleanups: " + registry.forcedCleanups(), cleanups, registry.forcedCleanups().size());

        assertEquals(ItestSupport.describe(kvm), Bundle.ACTIVE, kvm.getState());
        // Its VMs were destroyed; the restarted driver is told of the running process and attaches a new VM.
        ItestSupport.waitUntil("a new VM of the restarted kvm on the running process: " + registry.registrations(),
                java.time.Duration.ofSeconds(10), () -> kvmOn(kvm, mm).size() == 1 && !kvmOn(kvm, mm).equals(before));
        assertEquals(0L, registry.callsIntoStoppedBundles());

        // Its components came back: the commands work and new processes get a VM again.
        GogoShell.waitForScope(context, "kvm");
        int next = spawn();
        long nextMm = getLong(processRow(next), "mm");
        assertTrue("kvm attaches to a process spawned after the swap: " + registry.registrations(),
                registry.registrations().stream().anyMatch(r -> r.bundleId() == kvm.getBundleId() && r.mmId() == nextMm));
        assertTrue(list(shell.execute("kvm:vms")).stream().anyMatch(v -> getLong(v, "mm") == nextMm));
        shell.execute("mmu:kill " + pid);
        shell.execute("mmu:kill " + next);
        assertEquals(0L, getLong(shell.execute("mmu:stats"), "violations"));
    }

    @Test
    public void rdmaRegMakesARegionThatIsListedAndRegistered() throws Exception {
        requireScope("rdma", "reg");
        int pid = spawn();
        long mm = getLong(processRow(pid), "mm");
        long rdma = driverBundle("rdma").getBundleId();
        int before = registrationsBy(pid, rdma);

        Object mr = shell.execute("rdma:reg " + pid + " 0x70000000 0x4000");
        int id = (int) getLong(mr, "id");
        assertEquals(mm, getLong(mr, "mm"));
        assertEquals("0x70000000", get(mr, "start"));
        assertEquals("0x70004000", get(mr, "end"));
        assertTrue(list(shell.execute("rdma:mrs")).stream().anyMatch(m -> getLong(m, "id") == id));
        assertEquals("an ODP region is an interval subscription of its own: " + shell.execute("mmu:notifiers " + pid),
                before + 1, registrationsBy(pid, rdma));

        shell.execute("rdma:dereg " + id);
        assertFalse(list(shell.execute("rdma:mrs")).stream().anyMatch(m -> getLong(m, "id") == id));
        assertEquals(before, registrationsBy(pid, rdma));
        assertRejectedNaming("rdma:dereg " + id, pid, Integer.toString(id));
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void gruContextsOfOneMmShareOneRegistration() throws Exception {
        requireScope("gru", "open");
        int pid = spawn();
        long mm = getLong(processRow(pid), "mm");
        long gru = driverBundle("gru").getBundleId();
        int before = registrationsBy(pid, gru);
        List<?> attached = list(shell.execute("gru:contexts")).stream().filter(c -> getLong(c, "mm") == mm)
                .collect(Collectors.toList());

        Object ctx = shell.execute("gru:open " + pid + " 0x70000000 0x70004000");
        int id = (int) getLong(ctx, "id");
        assertEquals(mm, getLong(ctx, "mm"));
        assertEquals("0x70000000", get(ctx, "start"));
        assertEquals("0x70004000", get(ctx, "end"));
        assertTrue(list(shell.execute("gru:contexts")).stream().anyMatch(c -> getLong(c, "id") == id));
        if (attached.isEmpty()) {
            assertEquals("the first context on an mm registers", before + 1, registrationsBy(pid, gru));
        } else {
            // The attach context holds the mm's registration already: mmu_notifier_get shares it, and the ASID.
            assertEquals("contexts of one mm share one registration", before, registrationsBy(pid, gru));
            assertEquals(getLong(attached.get(0), "asid"), getLong(ctx, "asid"));
        }

        shell.execute("gru:close " + id);
        assertFalse(list(shell.execute("gru:contexts")).stream().anyMatch(c -> getLong(c, "id") == id));
        assertEquals(before, registrationsBy(pid, gru));
        assertRejectedNaming("gru:close " + id, pid, Integer.toString(id));
        shell.execute("mmu:kill " + pid);
        assertEquals("the mm's registration went with its process", 0,
                registry.registrations().stream().filter(r -> r.bundleId() == gru && r.mmId() == mm).count());
    }

    /**
     * {@code mmu:notifiers} shows the contract each registration's notifier gets: the one its bundle requires
     * (KVM and RDMA are written for today's kernel, GRU for 2.6.27, as SGI's driver was).
     */
    @Test
    public void notifiersShowTheContractEachDriverIsWrittenFor() throws Exception {
        requireScope("gru", "open");
        int pid = spawn();
        shell.execute("kvm:create " + pid);
        Object ctx = shell.execute("gru:open " + pid + " 0x70000000 0x70004000");
        Map<Long, Set<String>> contracts = new TreeMap<>();
        for (Object r : list(shell.execute("mmu:notifiers " + pid))) {
            Registration reg = (Registration) r;
            contracts.computeIfAbsent(reg.bundleId(), k -> new TreeSet<>()).add(reg.contract());
        }
        assertEquals(contracts.toString(), Set.of("6.x"), contracts.get(driverBundle("kvm").getBundleId()));
        assertEquals(contracts.toString(), Set.of("2.6.27"), contracts.get(driverBundle("gru").getBundleId()));
        String table = shell.format(shell.execute("mmu:notifiers " + pid), Converter.INSPECT);
        assertTrue(table, table.split("\n")[0].contains("contract"));
        shell.execute("gru:close " + getLong(ctx, "id"));
        shell.execute("mmu:kill " + pid);
    }

    /** The adversary is set and read from the shell; a bad probability is one line and changes nothing. */
    @Test
    public void theAdversaryIsSetFromTheShellAndBadProbabilitiesAreRefused() throws Exception {
        int pid = spawn();
        assertTrue(String.valueOf(shell.execute("mmu:adversary")).startsWith("off"));
        assertRejectedNaming("mmu:adversary 2 0", pid, "faultRace=2");
        assertRejectedNaming("mmu:adversary 0.1 lots", pid, "'lots'");
        assertTrue(String.valueOf(shell.execute("mmu:adversary")).startsWith("off"));
        String on = String.valueOf(shell.execute("mmu:adversary 0.1 0.2 7"));
        assertTrue(on, on.startsWith("fault race 0.10, stall 0.20 (up to 200 µs), seed 7"));
        String now = String.valueOf(shell.execute("mmu:adversary"));
        assertTrue(now, now.startsWith("fault race 0.10, stall 0.20 (up to 200 µs), seed 7; "));
        assertTrue(String.valueOf(shell.execute("mmu:adversary 0 0")).startsWith("off"));
        assertRejectedNaming("mmu:violation 999999", pid, "no violation #999999");
        assertRejectedNaming("mmu:clear faults", pid, "'faults'");
        assertRejectedNaming("mmu:status often", pid, "not 'often'");
        assertRejectedNaming("mmu:status -1", pid, "status interval -1 s is out of range");
        assertEquals("status line off", String.valueOf(shell.execute("mmu:status 0")));
        assertEquals("status line every 5 s", String.valueOf(shell.execute("mmu:status 5")));
        assertEquals("status line every 5 s", String.valueOf(shell.execute("mmu:status")));
        assertTrue(String.valueOf(shell.execute("mmu:clear violations")).startsWith("violations forgotten ("));
        assertEquals("no violations", String.valueOf(shell.execute("mmu:violations")));
        shell.execute("mmu:kill " + pid);
    }

    /**
     * Once a {@code kvm} command has run, KvmCommands holds the kvm bundle's instance of the core's bundle-scoped
     * Processes, and stopping the bundle deactivates KvmCommands before KvmDriver. The core must not take that
     * release for the bundle's stop (it once did, taking back live VMs' registrations before KvmDriver.deactivate):
     * it cleans up only when the framework releases the bundle's services.
     */
    @Test
    public void kvmSwapAfterAKvmCommandLeavesNothingBehind() throws Exception {
        int first = spawn(); // each gets a VM
        int second = spawn();
        shell.execute("kvm:vms");
        Bundle kvm = driverBundle("kvm");
        int cleanups = registry.forcedCleanups().size();
        List<Thread> before = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().matches("kvm-cpu\\d+")).collect(Collectors.toList());
        assertTrue("the host CPUs running the VMs' vCPUs: " + before, before.size() >= 1);

        Object swap = shell.execute("mmu:swap kvm");
        assertEquals("registrations the core took back: " + registry.forcedCleanups(), 0L, getLong(swap, "leftBehind"));
        assertEquals(cleanups, registry.forcedCleanups().size());
        // (the restarted driver starts host CPUs of its own for the running processes' VMs: new threads)
        List<String> cpus = before.stream().filter(Thread::isAlive).map(Thread::getName).collect(Collectors.toList());
        assertTrue("host CPU threads of the stopped driver still running: " + cpus, cpus.isEmpty());
        assertEquals(Bundle.ACTIVE, kvm.getState());
        shell.execute("mmu:kill " + first);
        shell.execute("mmu:kill " + second);
        assertEquals(0L, registry.callsIntoStoppedBundles());
    }

    // ---- formatting ----------------------------------------------------------------------------------------

    @Test
    public void listResultsFormatAsTablesNamingTheRecordComponents() throws Exception {
        int pid = spawn();
        List<?> ps = list(shell.execute("mmu:ps"));
        String table = shell.format(ps, Converter.INSPECT);
        String[] lines = table.split("\n");
        assertEquals(table, PROCESS_INFO, Arrays.asList(lines[0].trim().split("\\s+")));
        assertEquals(table, 1 + ps.size(), lines.length);
        assertTrue(table, Arrays.stream(lines).skip(1).anyMatch(l -> l.trim().split("\\s+")[0].equals(Integer.toString(pid))));

        List<?> vmas = list(shell.execute("mmu:vmas " + pid));
        String vmaTable = shell.format(vmas, Converter.INSPECT);
        String[] vmaLines = vmaTable.split("\n");
        assertEquals(vmaTable, VMA_INFO, Arrays.asList(vmaLines[0].trim().split("\\s+")));
        assertEquals(vmaTable, 5, vmaLines.length);
        assertEquals(vmaTable, List.of("0x40000000", "0x40020000", "rw-", "private", "32"),
                Arrays.asList(vmaLines[1].trim().split("\\s+")).subList(0, 5));

        // One record: a "name value" line per component.
        String one = shell.format(shell.execute("mmu:stats"), Converter.INSPECT);
        List<String> names = Arrays.stream(one.split("\n")).map(l -> l.trim().split("\\s+")[0]).collect(Collectors.toList());
        assertEquals(one, List.of("processes", "frames", "framesInUse", "invalidations", "violations", "notifierFaults",
                "callsIntoStoppedBundles", "workloadOps", "workloadRunning", "stalls"), names);
        shell.execute("mmu:kill " + pid);
    }

    // ---- bad input -----------------------------------------------------------------------------------------

    @Test
    public void unknownPidIsRejectedAndChangesNothing() throws Exception {
        int pid = spawn();
        assertRejectedNaming("mmu:kill " + NO_PID, pid, Integer.toString(NO_PID));
        assertRejectedNaming("mmu:vmas " + NO_PID, pid, Integer.toString(NO_PID));
        assertRejectedNaming("mmu:notifiers " + NO_PID, pid, Integer.toString(NO_PID));
        assertRejectedNaming("kvm:create " + NO_PID, pid, Integer.toString(NO_PID));
        assertRejectedNaming("kvm:destroy " + NO_PID, pid, Integer.toString(NO_PID));
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void malformedAndUnalignedAddressesAreRejectedAndChangeNothing() throws Exception {
        int pid = spawn();
        assertRejectedNaming("mmu:unmap " + pid + " 0xzz 0x1000", pid, "0xzz");
        assertRejectedNaming("mmu:unmap " + pid + " 0x40000001 0x1000", pid, "0x40000001");
        assertRejectedNaming("mmu:unmap " + pid + " 0x40000000 0x1001", pid, "0x40001001");
        assertRejectedNaming("mmu:map " + pid + " 0x1000000g 0x1000 rw false", pid, "0x1000000g");
        assertRejectedNaming("mmu:touch " + pid + " " + FREE + " 0x1000 true", pid, FREE);
        assertRejectedNaming("kvm:create " + pid + " 0x40000800", pid, "0x40000800");
        // Gogo would read any word as false: a private mapping, a read
        assertRejectedNaming("mmu:map " + pid + " " + FREE + " 0x1000 rw maybe", pid, "shared must be true or false"
                + " (or shared/private), not 'maybe'");
        assertRejectedNaming("mmu:touch " + pid + " 0x40000000 0x1000 yes", pid, "write must be true or false (or"
                + " write/read), not 'yes'");
        shell.execute("mmu:touch " + pid + " 0x40000000 0x1000 write");
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void emptyAndNegativeLengthsAreRejectedAndChangeNothing() throws Exception {
        int pid = spawn();
        String empty = assertRejectedNaming("mmu:unmap " + pid + " 0x40000000 0", pid, "0x40000000");
        assertTrue(empty, empty.contains("empty"));
        assertRejectedNaming("mmu:unmap " + pid + " 0x40000000 -4096", pid, "-4096");
        assertRejectedNaming("mmu:protect " + pid + " 0x40000000 0 r", pid, "0x40000000");
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void invertedGruRangeIsRejectedAndChangesNothing() throws Exception {
        requireScope("gru", "open");
        int pid = spawn();
        String message = assertRejectedNaming("gru:open " + pid + " 0x60001000 0x60000000", pid, "0x60001000");
        assertTrue(message, message.contains("0x60000000"));
        shell.execute("mmu:kill " + pid);
    }

    @Test
    public void unknownBundleAndBadProtectionAreRejectedAndChangeNothing() throws Exception {
        int pid = spawn();
        Bundle kvm = driverBundle("kvm");
        assertRejectedNaming("mmu:swap nosuch", pid, "nosuch");
        assertEquals(Bundle.ACTIVE, kvm.getState());
        assertRejectedNaming("mmu:protect " + pid + " 0x40000000 0x1000 rwz", pid, "rwz");
        assertRejectedNaming("mmu:reclaim 0", pid, "pages=0");
        assertRejectedNaming("mmu:demo sprint", pid, "sprint");
        shell.execute("mmu:kill " + pid);
    }

    /**
     * {@code mmu} and {@code kvm} list their scope's commands (and give {@code help mmu}, which the banner and the
     * README promise, a function to describe: checked in the launcher, where Gogo's help command runs).
     */
    @Test
    public void eachScopeListsItsCommands() throws Exception {
        List<?> mmu = list(shell.execute("mmu"));
        assertTrue(mmu.toString(), mmu.contains("mmu:ps - list the live processes: mm, VMAs, mapped and resident pages,"
                + " notifiers attached"));
        assertEquals(MMU_FUNCTIONS.size(), mmu.size());
        List<?> kvm = list(shell.execute("kvm"));
        assertEquals(KVM_FUNCTIONS.size(), kvm.size());
        assertTrue(kvm.toString(), kvm.stream().allMatch(l -> String.valueOf(l).startsWith("kvm:")));
    }

    /** A list command with nothing to list says so in one line (Gogo prints an empty list as a blank line). */
    @Test
    public void listCommandsNeverAnswerWithAnEmptyList() throws Exception {
        for (String command : List.of("mmu:ps", "mmu:notifiers", "mmu:bundles", "mmu:cleanups", "mmu:violations",
                "mmu:faults", "mmu:stalls", "mmu:devices")) {
            Object result = shell.execute(command);
            assertTrue(command + " answered " + result, result instanceof List<?> l ? !l.isEmpty()
                    : String.valueOf(result).startsWith("no "));
        }
    }

    /** A demo process killed from the shell: the demo still stops, every other demo process exits, nothing throws. */
    @Test
    public void stoppingTheDemoAfterOneOfItsProcessesWasKilledStopsItCleanly() throws Exception {
        List<Integer> before = pids();
        shell.execute("mmu:demo start 1 3 7");
        List<Integer> demo = pids().stream().filter(p -> !before.contains(p)).toList();
        assertTrue("the demo's processes: " + demo, demo.size() >= 3);
        shell.execute("mmu:kill " + demo.get(0));
        shell.execute("mmu:demo stop");
        assertFalse("the demo still runs", (Boolean) get(shell.execute("mmu:demo status"), "workloadRunning"));
        assertEquals("every demo process exited", before, pids());
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** What the kvm bundle has registered on mm {@code mm}, by description. */
    private List<String> kvmOn(Bundle kvm, long mm) {
        return registry.registrations().stream().filter(r -> r.bundleId() == kvm.getBundleId() && r.mmId() == mm)
                .map(org.mmunotifier.api.runtime.Registration::what).toList();
    }

    /**
     * Runs {@code command}, which must throw an exception whose message is one line containing {@code bad}, and
     * checks that it changed nothing: the processes, {@code pid}'s VMAs, the VMs, the registrations and cleanups.
     * Returns the message.
     */
    private String assertRejectedNaming(String command, int pid, String bad) throws Exception {
        String before = snapshot(pid);
        String message = shell.refusal(command).getMessage();
        assertTrue(command + ": message does not name '" + bad + "': " + message, message.contains(bad));
        assertEquals(command + " changed something", before, snapshot(pid));
        return message;
    }

    /** What bad input must not change, as text. */
    private String snapshot(int pid) throws Exception {
        return "pids=" + pids()
                + "\nvmas(" + pid + ")=" + vmaShapes(pid)
                + "\nvms=" + listing("kvm", "vms")
                + "\nmrs=" + listing("rdma", "mrs")
                + "\ncontexts=" + listing("gru", "contexts")
                + "\nregistrations=" + registry.registrations()
                + "\ncleanups=" + registry.forcedCleanups().size()
                + "\nbundles=" + Arrays.stream(ItestSupport.ourBundles(context)).map(ItestSupport::describe)
                        .collect(Collectors.toList());
    }

    private int spawn() throws Exception {
        return (int) getLong(shell.execute("mmu:spawn"), "pid");
    }

    private List<Integer> pids() throws Exception {
        return list(shell.execute("mmu:ps")).stream().map(p -> (int) getLong(p, "pid")).collect(Collectors.toList());
    }

    /** {@code pid}'s row of {@code mmu:ps}, or null. */
    private Object processRow(int pid) throws Exception {
        return list(shell.execute("mmu:ps")).stream().filter(p -> getLong(p, "pid") == pid).findFirst().orElse(null);
    }

    /** {@code pid}'s VMAs without their resident pages (which the drivers' threads change). */
    private List<String> vmaShapes(int pid) throws Exception {
        return list(shell.execute("mmu:vmas " + pid)).stream()
                .map(v -> get(v, "start") + "-" + get(v, "end") + " " + get(v, "prot") + " " + get(v, "kind")
                        + " pages=" + get(v, "pages"))
                .collect(Collectors.toList());
    }

    /** {@code pid}'s VMAs within {@code [from, to)}, with their resident pages. */
    private List<String> vmasIn(int pid, long from, long to) throws Exception {
        List<String> out = new ArrayList<>();
        for (Object v : list(shell.execute("mmu:vmas " + pid))) {
            long start = Long.decode((String) get(v, "start"));
            if (start >= from && start < to) {
                out.add(get(v, "start") + "-" + get(v, "end") + " " + get(v, "prot") + " " + get(v, "kind")
                        + " pages=" + get(v, "pages") + " resident=" + get(v, "resident"));
            }
        }
        return out;
    }

    private List<Integer> vmIds() throws Exception {
        return list(shell.execute("kvm:vms")).stream().map(v -> (int) getLong(v, "id")).collect(Collectors.toList());
    }

    /** Registrations by bundle {@code bundleId} that {@code mmu:notifiers pid} shows. */
    private int registrationsBy(int pid, long bundleId) throws Exception {
        int n = 0;
        for (Object r : list(shell.execute("mmu:notifiers " + pid))) {
            if (((Registration) r).bundleId() == bundleId) {
                n++;
            }
        }
        return n;
    }

    private Bundle driverBundle(String name) {
        return ItestSupport.moduleBundle(context, "drivers." + name);
    }

    private void assertScope(String scope, Set<String> expected) throws Exception {
        List<ServiceReference<?>> refs = GogoShell.commandServices(context, scope);
        assertFalse("no command services in scope " + scope, refs.isEmpty());
        Set<String> functions = new TreeSet<>();
        for (ServiceReference<?> ref : refs) {
            for (String f : GogoShell.functions(ref)) {
                assertTrue(scope + ":" + f + " is registered twice: " + refs, functions.add(f));
            }
            List<String> problems = GogoShell.undescribed(context, ref);
            assertTrue(scope + " commands without @Descriptor: " + problems, problems.isEmpty());
        }
        assertEquals("osgi.command.function of scope " + scope, expected, functions);
    }

    /** Fails unless {@code scope} has a command {@code function}. */
    private void requireScope(String scope, String function) throws Exception {
        List<ServiceReference<?>> refs = GogoShell.commandServices(context, scope);
        assertFalse("no " + scope + " commands registered", refs.isEmpty());
        assertTrue(scope + " has no command " + function, GogoShell.functions(refs.get(0)).contains(function));
    }

    /** Lists a driver's objects for a snapshot, or "-" if the scope has no such command. */
    private String listing(String scope, String function) throws Exception {
        List<ServiceReference<?>> refs = GogoShell.commandServices(context, scope);
        if (refs.isEmpty() || !GogoShell.functions(refs.get(0)).contains(function)) {
            return "-";
        }
        return list(shell.execute(scope + ":" + function)).stream()
                .map(o -> GogoShell.components(o).stream()
                        .filter(c -> !c.equals("mapped") && !c.equals("vcpus")) // moved by the drivers' threads
                        .map(c -> c + "=" + get(o, c)).collect(Collectors.joining(" ")))
                .collect(Collectors.toList()).toString();
    }
}
