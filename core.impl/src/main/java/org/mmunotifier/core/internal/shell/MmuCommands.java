package org.mmunotifier.core.internal.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.mm.Vma;
import org.mmunotifier.core.internal.osgi.BundleOwners;
import org.mmunotifier.core.internal.osgi.DeviceRegistry;
import org.mmunotifier.core.internal.osgi.DriverSwapper;
import org.mmunotifier.core.internal.osgi.MachineControlService;
import org.mmunotifier.core.internal.osgi.OperatorRecording;
import org.mmunotifier.core.internal.shell.ShellRecords.BundleRegistrations;
import org.mmunotifier.core.internal.shell.ShellRecords.Outcome;
import org.mmunotifier.core.internal.shell.ShellRecords.ProcessInfo;
import org.mmunotifier.core.internal.shell.ShellRecords.StallInfo;
import org.mmunotifier.core.internal.shell.ShellRecords.VmaInfo;
import org.mmunotifier.launcher.options.Numbers;
import org.mmunotifier.launcher.options.Scenario;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code mmu} shell scope: processes and their memory, notifier registrations per mm and per
 * bundle, counters and violations, the demo workload, and hot-swapping a driver. Every command
 * checks all of its arguments before it changes anything.
 */
@Component(service = MmuCommands.class, property = {"osgi.command.scope=mmu",
        "osgi.command.function=mmu", "osgi.command.function=kvm", "osgi.command.function=rdma",
        "osgi.command.function=gru", "osgi.command.function=ps", "osgi.command.function=vmas", "osgi.command.function=spawn",
        "osgi.command.function=kill", "osgi.command.function=map", "osgi.command.function=unmap",
        "osgi.command.function=protect", "osgi.command.function=touch", "osgi.command.function=reclaim",
        "osgi.command.function=migrate", "osgi.command.function=notifiers", "osgi.command.function=bundles",
        "osgi.command.function=cleanups", "osgi.command.function=stats", "osgi.command.function=violations", "osgi.command.function=violation", "osgi.command.function=devices", "osgi.command.function=clear", "osgi.command.function=status",
        "osgi.command.function=faults", "osgi.command.function=stalls", "osgi.command.function=stall",
        "osgi.command.function=demo", "osgi.command.function=swap", "osgi.command.function=adversary",
        "osgi.command.function=jfr"})
public final class MmuCommands {
    private final MachineControlService control;
    private final Machine machine;
    private final BundleOwners registry;
    private final DriverSwapper swapper;
    private final DeviceRegistry devices;
    private final BundleContext context;
    private final OperatorRecording recording;

    @Activate
    public MmuCommands(@Reference MachineControlService control, @Reference BundleOwners registry,
            @Reference DeviceRegistry devices, @Reference OperatorRecording recording, BundleContext context) {
        this.control = control;
        this.machine = control.machine();
        this.registry = registry;
        this.devices = devices;
        this.recording = recording;
        this.swapper = new DriverSwapper(context, registry);
        this.context = context;
    }

    @Descriptor("the mmu scope: the machine, its processes and the drivers' registrations; run 'mmu' to list its"
            + " commands, 'help mmu:<command>' for one")
    public Object mmu() {
        return ScopeIndex.of(context, "mmu");
    }

    @Descriptor("the kvm scope (the KVM driver's VMs); run 'kvm' to list its commands")
    public Object kvm() {
        return ScopeIndex.of(context, "kvm");
    }

    @Descriptor("the rdma scope (the RDMA driver's memory regions); run 'rdma' to list its commands")
    public Object rdma() {
        return ScopeIndex.of(context, "rdma");
    }

    @Descriptor("the gru scope (the GRU driver's contexts); run 'gru' to list its commands")
    public Object gru() {
        return ScopeIndex.of(context, "gru");
    }

    @Descriptor("list the live processes: mm, VMAs, mapped and resident pages, notifiers attached")
    public Object ps() {
        List<ProcessInfo> out = new ArrayList<>();
        for (Process p : machine.processes()) {
            if (p.isAlive()) {
                out.add(info(p));
            }
        }
        return orSay(out, "no processes");
    }

    private static ProcessInfo info(Process p) {
        AddressSpace mm = p.mm();
        List<Vma> vmas = mm.vmas();
        long mapped = vmas.stream().mapToLong(v -> (v.end() - v.start()) / Addresses.PAGE_SIZE).sum();
        return new ProcessInfo(p.pid(), mm.id(), vmas.size(), mapped, mm.rss(), (int) mm.pageTableCount(),
                mm.notifiers().notifierCount(), mm.notifiers().intervalCount());
    }

    @Descriptor("list the VMAs of a process")
    public List<VmaInfo> vmas(@Descriptor("pid") int pid) {
        AddressSpace mm = machine.process(pid).mm();
        List<VmaInfo> out = new ArrayList<>();
        for (Vma v : mm.vmas()) {
            out.add(new VmaInfo(hex(v.start()), hex(v.end()), Vma.protString(v.prot()), v.shared() ? "shared" : "private",
                    (v.end() - v.start()) / Addresses.PAGE_SIZE, mm.ptesIn(v.start(), v.end())));
        }
        return out;
    }

    @Descriptor("spawn a process with the demo memory layout; drivers set to attach do so")
    public ProcessInfo spawn() {
        return info(machine.process(control.spawn()));
    }

    @Descriptor("make a process exit: its notifiers get release, then its memory is freed")
    public String kill(@Descriptor("pid") int pid) {
        control.kill(pid);
        return "process " + pid + " exited";
    }

    @Descriptor("mmap anonymous memory at a fixed address (MAP_FIXED_NOREPLACE)")
    public List<VmaInfo> map(@Descriptor("pid") int pid, @Descriptor("address (0x-hex or decimal, page aligned)") String address,
            @Descriptor("length in bytes (0x-hex or decimal, page aligned)") String length,
            @Descriptor("protection: r, rw, rx, rwx or none") String prot,
            @Descriptor("shared (true, shared) or private copy-on-write (false, private)") String shared) {
        boolean isShared = Choice.parse("shared", shared, "shared", "private");
        AddressSpace mm = machine.process(pid).mm();
        mm.mmap(Addresses.parse(address), Addresses.parse(length, "length"), Prot.parse(prot), isShared);
        return vmas(pid);
    }

    @Descriptor("munmap a range: the notifiers get an UNMAP invalidation")
    public List<VmaInfo> unmap(@Descriptor("pid") int pid, @Descriptor("start address") String address,
            @Descriptor("length in bytes") String length) {
        long[] r = range(address, length);
        machine.process(pid).mm().munmap(r[0], r[1]);
        return vmas(pid);
    }

    @Descriptor("mprotect a range: taking a right away gives a PROTECTION_VMA invalidation")
    public List<VmaInfo> protect(@Descriptor("pid") int pid, @Descriptor("start address") String address,
            @Descriptor("length in bytes") String length, @Descriptor("protection: r, rw, rx, rwx or none") String prot) {
        long[] r = range(address, length);
        int p = Prot.parse(prot);
        machine.process(pid).mm().mprotect(r[0], r[1], p);
        return vmas(pid);
    }

    @Descriptor("touch every page of a range as the CPU would (faulting it in)")
    public ProcessInfo touch(@Descriptor("pid") int pid, @Descriptor("start address") String address,
            @Descriptor("length in bytes") String length,
            @Descriptor("write (true, write) or read (false, read)") String access) {
        boolean write = Choice.parse("write", access, "write", "read");
        long[] r = range(address, length);
        Process p = machine.process(pid);
        requireMapped(p.mm(), r[0], r[0] + r[1], write);
        for (long a = r[0]; a < r[0] + r[1]; a += Addresses.PAGE_SIZE) {
            p.mm().touch(a, write);
        }
        return info(p);
    }

    @Descriptor("run reclaim until it has freed some pages or gone once round memory")
    public Outcome reclaim(@Descriptor("pages to try to free (1..frames)") int pages) {
        if (pages < 1 || pages > machine.memory().frameCount()) {
            throw new IllegalArgumentException("pages=" + pages + " is out of range: 1.." + machine.memory().frameCount());
        }
        return new Outcome("pages freed", machine.reclaimer().shrink(pages));
    }

    @Descriptor("migrate the page at an address to a new frame, as compaction does (a CLEAR page invalidation)")
    public Outcome migrate(@Descriptor("pid") int pid, @Descriptor("address of a resident page") String address) {
        long a = Addresses.parse(address);
        Addresses.checkPage(a);
        AddressSpace mm = machine.process(pid).mm();
        return new Outcome("pages migrated", machine.migrator().migrate(mm, a, null) ? 1 : 0);
    }

    @Descriptor("notifier registrations held by bundles, per mm")
    public Object notifiers() {
        return orSay(registry.registrations(), "no registrations");
    }

    @Descriptor("notifier registrations held by bundles, on one process's mm")
    public Object notifiers(@Descriptor("pid") int pid) {
        long mm = machine.process(pid).mm().id();
        return orSay(registry.registrations().stream().filter(r -> r.mmId() == mm).toList(),
                "no registrations on process " + pid);
    }

    @Descriptor("notifier registrations per bundle")
    public Object bundles() {
        Map<Long, List<Registration>> by = new TreeMap<>();
        for (Registration r : registry.registrations()) {
            by.computeIfAbsent(r.bundleId(), k -> new ArrayList<>()).add(r);
        }
        List<BundleRegistrations> out = new ArrayList<>();
        by.forEach((id, rs) -> out.add(new BundleRegistrations(id, rs.get(0).bundle(), rs.size(),
                List.copyOf(new TreeSet<>(rs.stream().map(Registration::mmId).toList())),
                registry.faults().stream().filter(f -> f.bundleId() == id).count(),
                registry.stalls().stream().filter(st -> st.bundleId() == id).count())));
        return orSay(out, "no bundle holds a registration");
    }

    @Descriptor("every driver's device: accesses the oracle checked, violations, registrations, and the counters it"
            + " publishes (DeviceCountersProvider)")
    public Object devices() {
        Map<Long, ShellRecords.DeviceInfo> by = new TreeMap<>();
        List<Violation> violations = machine.oracle().violations();
        List<Registration> registrations = registry.registrations();
        for (var d : devices.devices()) {
            by.put(d.bundleId(), device(d.bundleId(), d.bundle(), violations, registrations,
                    d.counters() != null ? d.counters().toString() : d.problem()));
        }
        for (Registration r : registrations) {
            by.computeIfAbsent(r.bundleId(), id -> device(id, r.bundle(), violations, registrations,
                    "(publishes no counters)"));
        }
        return orSay(List.copyOf(by.values()), "no driver devices");
    }

    private ShellRecords.DeviceInfo device(long id, String bundle, List<Violation> violations,
            List<Registration> registrations, String counters) {
        return new ShellRecords.DeviceInfo(id, bundle, machine.notifierCore().accessesOf(id),
                violations.stream().filter(v -> v.bundleId() == id).count(),
                registrations.stream().filter(r -> r.bundleId() == id).count(), counters);
    }

    @Descriptor("registrations the core took back from bundles that stopped without unregistering")
    public Object cleanups() {
        return orSay(registry.forcedCleanups(), "no forced cleanups");
    }

    @Descriptor("recent driver faults (callbacks that threw or broke the contract), oldest first")
    public Object faults() {
        return orSay(registry.faults(), "no driver faults");
    }

    @Descriptor("recent driver faults of one bundle, oldest first")
    public Object faults(@Descriptor("bundle id, symbolic name, or kvm/rdma/gru") String bundle) {
        long id = swapper.bundle(bundle).getBundleId();
        return orSay(registry.faults().stream().filter(f -> f.bundleId() == id).toList(), "no driver faults of " + bundle);
    }

    @Descriptor("recent stalls (callbacks, grace periods, listener calls and stops that did not finish), oldest first")
    public Object stalls() {
        return orSay(registry.stalls().stream().map(StallInfo::of).toList(), "no stalls");
    }

    @Descriptor("recent stalls charged to one bundle, oldest first")
    public Object stalls(@Descriptor("bundle id, symbolic name, or kvm/rdma/gru") String bundle) {
        long id = swapper.bundle(bundle).getBundleId();
        return orSay(registry.stalls().stream().filter(st -> st.bundleId() == id).map(StallInfo::of).toList(),
                "no stalls of " + bundle);
    }

    @Descriptor("one stall in full: who, what, the stuck thread's stack and what waited on it")
    public String stall(@Descriptor("the stall's number (from mmu:stalls)") long number) {
        Stall st = registry.stalls().stream().filter(x -> x.id() == number).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no stall #" + number + " (mmu:stalls lists the recent ones)"));
        StringBuilder b = new StringBuilder("stall #" + st.id() + ", " + st.kind().name().toLowerCase().replace('_', ' ')
                + (st.ongoing() ? ", still going on" : ", ended"));
        line(b, "bundle", st.bundle());
        line(b, "notifier", st.notifier());
        line(b, "operation", st.operation());
        line(b, "mm", st.mmId() < 0 ? "" : Long.toString(st.mmId()));
        line(b, "thread", st.thread());
        line(b, "lasted", st.millis() + " ms" + (st.ongoing() ? " so far" : ""));
        line(b, "outcome", st.outcome());
        st.waiting().forEach(w -> line(b, "waiting on it", w));
        b.append("\n  stack of ").append(st.thread()).append(':');
        st.stack().forEach(f -> b.append("\n    at ").append(f));
        return b.toString();
    }

    private static void line(StringBuilder b, String name, String value) {
        if (!value.isEmpty()) {
            b.append(String.format("%n  %-14s %s", name, value));
        }
    }

    /** A list, or one line saying there is nothing (Gogo prints an empty list as a blank line). */
    private static Object orSay(List<?> list, String nothing) {
        return list.isEmpty() ? nothing : list;
    }

    @Descriptor("the launcher's status line: how often it is printed")
    public String status() {
        long s = control.statusSeconds();
        return s == 0 ? "status line off" : "status line every " + s + " s";
    }

    @Descriptor("print the launcher's status line every N seconds; 0 turns it off")
    public String status(@Descriptor("seconds between status lines, 0 for none") String seconds) {
        long s;
        try {
            s = Long.parseLong(seconds.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("status interval must be a number of seconds, not '" + seconds + "'");
        }
        control.statusSeconds(s);
        return status();
    }

    @Descriptor("machine counters: processes, frames, invalidations, violations, calls into stopped bundles")
    public MachineStats stats() {
        return control.stats();
    }

    @Descriptor("the most recent coherence violations, oldest first: number, bundle, notifier, contract, access,"
            + " rule, why")
    public Object violations() {
        return orSay(numbered(machine.oracle().violations()), "no violations");
    }

    @Descriptor("the most recent coherence violations of one bundle's registrations, oldest first")
    public Object violations(@Descriptor("bundle id, symbolic name, or kvm/rdma/gru") String bundle) {
        long id = swapper.bundle(bundle).getBundleId();
        return orSay(numbered(machine.oracle().violations().stream().filter(v -> v.bundleId() == id).toList()),
                "no violations by " + bundle);
    }

    @Descriptor("forget what is listed so far (the counters in mmu:stats go on counting): a fresh start")
    public String clear(@Descriptor("what to forget: violations") String what) {
        if (!what.strip().equals("violations")) {
            throw new IllegalArgumentException("mmu:clear forgets 'violations', not '" + what + "'");
        }
        machine.oracle().forgetViolations();
        return "violations forgotten (" + machine.oracle().violationCount() + " counted so far)";
    }

    @Descriptor("one violation's whole report: the access's stack, the fault that made the translation, the"
            + " invalidations of the page since, the frame's fate")
    public String violation(@Descriptor("the violation's number (from mmu:violations)") long number) {
        return machine.oracle().report(number);
    }

    private static List<String> numbered(List<Violation> violations) {
        return violations.stream().map(Violation::numbered).toList();
    }

    @Descriptor("the torture's adversary: its settings and strikes so far")
    public String adversary() {
        return control.adversary();
    }

    @Descriptor("set the torture's adversary (seed 1); 0 0 turns it off")
    public String adversary(
            @Descriptor("probability (0..1) of invalidating a page a device just faulted, before its driver installs it")
            String faultRace,
            @Descriptor("probability (0..1) of pausing an invalidation between its start and its pte changes")
            String stall) {
        return adversary(faultRace, stall, Scenario.SEED);
    }

    @Descriptor("set the torture's adversary; 0 0 turns it off")
    public String adversary(
            @Descriptor("probability (0..1) of invalidating a page a device just faulted, before its driver installs it")
            String faultRace,
            @Descriptor("probability (0..1) of pausing an invalidation between its start and its pte changes")
            String stall,
            @Descriptor("seed of the adversary's choices") long seed) {
        return control.adversary(Numbers.probability("faultRace", faultRace), Numbers.probability("stall", stall),
                seed);
    }

    @Descriptor("start or stop the demo workload with 2 threads over 4 processes (seed 1)")
    public Object demo(@Descriptor("start, stop or status") String action) {
        return demo(action, Scenario.THREADS, Scenario.PROCESSES, Scenario.SEED);
    }

    @Descriptor("start the demo workload")
    public Object demo(@Descriptor("start") String action, @Descriptor("workload threads (1..64)") int threads,
            @Descriptor("processes (1..1024)") int processes, @Descriptor("seed") long seed) {
        switch (action) {
            case "start" -> control.startWorkload(seed, threads, processes);
            case "stop" -> {
                return new Outcome("operations", control.stopWorkload());
            }
            case "status" -> {
                return control.stats();
            }
            default -> throw new IllegalArgumentException("unknown action '" + action + "': start, stop or status");
        }
        return control.stats();
    }

    /** What swap's {@code --force} does. */
    private static final String FORCE = "swap a bundle that is not a driver too (never the system bundle or the core)";

    @Descriptor("stop a driver bundle and start it again, timing its teardown; a failed start is rolled back")
    public Drivers.Swap swap(
            @Descriptor(FORCE) @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false")
            boolean force,
            @Descriptor("bundle id, symbolic name, or kvm/rdma/gru") String bundle) {
        return swapper.restart(swapper.bundle(bundle), force);
    }

    @Descriptor("stop a driver bundle, update it from a local jar of the same symbolic name and start it, timing"
            + " its teardown; the jar is checked before the stop, a failed update is rolled back")
    public Drivers.Swap swap(
            @Descriptor(FORCE) @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false")
            boolean force,
            @Descriptor("bundle id, symbolic name, or kvm/rdma/gru") String bundle,
            @Descriptor("jar to update from: a file path or a file: URL") String jar) {
        return swapper.update(swapper.bundle(bundle), jar, force);
    }

    @Descriptor("the JFR recording mmu:jfr started, if any")
    public String jfr() {
        return recording.status();
    }

    @Descriptor("start a JFR recording of every event of the core (callbacks, device faults, violations, stalls,"
            + " swaps) and the JDK's default ones")
    public String jfr(@Descriptor("start") String action,
            @Descriptor("the file mmu:jfr stop writes the recording to") String file) {
        if (!action.strip().equals("start")) {
            throw new IllegalArgumentException("mmu:jfr " + action + " " + file + ": give start FILE, or stop");
        }
        try {
            return recording.start(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mmu:jfr start " + e.getMessage());
        }
    }

    @Descriptor("stop the JFR recording mmu:jfr start began and write it to its file")
    public String jfr(@Descriptor("stop") String action) {
        if (!action.strip().equals("stop")) {
            throw new IllegalArgumentException("mmu:jfr " + action + ": give start FILE, or stop");
        }
        return recording.stop();
    }

    /** Parses and checks {@code [address, address + length)} before anything is done with it. */
    private static long[] range(String address, String length) {
        long a = Addresses.parse(address);
        long n = Addresses.parse(length, "length");
        Addresses.checkRange(a, a + n);
        return new long[] {a, n};
    }

    /** Refuses up front what would fault part way through, so a bad touch changes nothing. */
    private static void requireMapped(AddressSpace mm, long start, long end, boolean write) {
        long at = start;
        for (Vma v : mm.vmas()) {
            if (v.end() <= at) {
                continue;
            }
            if (v.start() > at) {
                break;
            }
            int need = write ? Vma.PROT_WRITE : Vma.PROT_READ;
            if ((v.prot() & need) == 0) {
                throw new IllegalArgumentException(hex(at) + " is mapped " + Vma.protString(v.prot()) + ": a "
                        + (write ? "write" : "read") + " would fault");
            }
            at = v.end();
            if (at >= end) {
                return;
            }
        }
        throw new IllegalArgumentException(hex(at) + " is not mapped (mm " + mm.id() + ")");
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
