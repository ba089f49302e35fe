package org.mmunotifier.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.PageFrames;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Mm;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.core.internal.notifier.InvalidationRange;
import org.mmunotifier.core.internal.notifier.Owner;

/**
 * A simulated machine for one test: physical memory, processes and their address spaces, the
 * primary MMU's operations, the notifier core and the coherence oracle, with nothing else
 * running. The test drives the primary one operation at a time ({@link TestProcess}) or with the
 * seeded workload ({@link #runWorkload}), hands its driver the API views a bundle would get
 * ({@link #processes()}, {@link #oracle()}, {@link #notifiers()}), and asserts on what the core
 * saw ({@link #assertClean()}).
 *
 * <p>Every registration the test makes belongs to one driver, named by the settings: violations,
 * faults and stalls name it, and {@link #stopDriver()} takes back what it left behind, as the
 * core does when a bundle stops.
 */
public final class TestMachine implements AutoCloseable {
    private final Machine machine;
    private final Owner driver;
    private final List<ProcessListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Integer, TestProcess> processes = new ConcurrentHashMap<>();
    private final List<String> forcedCleanups = new CopyOnWriteArrayList<>();

    private TestMachine(Settings s) {
        this.machine = new Machine(s.frames, s.layoutBits == 32 ? PageLayout.BITS_32 : PageLayout.BITS_64);
        this.driver = machine.notifierCore().newOwner(s.driver, -1, s.contract);
        machine.notifierCore().setOwnerResolver(code -> driver);
        machine.oracle().setStrict(s.strict);
    }

    /** Settings for {@link #create}: 512 frames, 64-bit layout, contract 6.x, strict oracle. */
    public static Settings settings() {
        return new Settings();
    }

    /** A machine outside the JUnit extension (close it yourself). */
    public static TestMachine create(Settings settings) {
        return new TestMachine(Objects.requireNonNull(settings, "settings"));
    }

    /** The processes, as a driver bundle gets them (the core's {@code Processes} service). */
    public Processes processes() {
        return machine;
    }

    /** The coherence oracle, through which a driver's device makes every access. */
    public CoherenceOracle oracle() {
        return machine.oracle();
    }

    /** The physical frames (a page's flags by frame number), as a driver bundle gets them. */
    public PageFrames frames() {
        return machine.memory();
    }

    /** The notifier core (SRCU, rmap notifiers), as a driver bundle gets it. */
    public MmuNotifiers notifiers() {
        return machine.notifierCore();
    }

    /**
     * Tells {@code listener} of every process that exists now, and from now on of every spawn,
     * fork and exit, in order, on the thread doing it: the core's process whiteboard, for a
     * driver's attach component.
     */
    public void attach(ProcessListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        for (TestProcess p : List.copyOf(processes.values())) {
            if (p.isAlive()) {
                listener.spawned(p.pid(), p.mm());
            }
        }
    }

    /** Stops telling {@code listener}. */
    public void detach(ProcessListener listener) {
        listeners.remove(listener);
    }

    /** {@code fork}/{@code exec}: a new process with an empty address space, announced to the listeners. */
    public TestProcess spawn() {
        return announce(machine.spawn(), false);
    }

    /**
     * A new process with the demo's memory layout ({@link DemoLayout}), announced: what every
     * process of the workload and of the launcher's demo looks like.
     */
    public TestProcess spawnDemo() {
        return announce(machine.spawn(), true);
    }

    TestProcess announce(Process p, boolean demo) {
        if (demo) {
            Workload.mapRegions(p);
        }
        TestProcess t = new TestProcess(this, p);
        processes.put(p.pid(), t);
        for (ProcessListener l : listeners) {
            l.spawned(p.pid(), p.mm());
        }
        return t;
    }

    void exiting(TestProcess p) {
        for (ProcessListener l : listeners) {
            l.exiting(p.pid(), p.mm());
        }
    }

    Machine machine() {
        return machine;
    }

    /** The process {@code pid} the test made, or that the workload made and has not exited. */
    public TestProcess process(int pid) {
        TestProcess p = processes.get(pid);
        if (p == null) {
            throw new IllegalArgumentException("no process " + pid + " made by this test");
        }
        return p;
    }

    /** Memory pressure: the page reclaimer frees up to {@code pages} pages from any process. */
    public int reclaim(int pages) {
        return machine.reclaimer().shrink(pages);
    }

    /** Frames in use now. After every process exited and every driver let go, 0. */
    public int framesInUse() {
        return machine.memory().usedCount();
    }

    /**
     * A range as the primary would pass it to {@code invalidateRangeStart} (or an interval
     * subscription's {@code invalidate}), for a test that calls a driver's callback directly:
     * {@code blockable} false is the OOM reaper's non-blockable kind.
     */
    public MmuNotifierRange range(MmStruct mm, long start, long end, MmuNotifierEvent event, boolean blockable) {
        InvalidationRange r = new InvalidationRange(mm, start, end, event);
        return blockable ? r : r.nonBlocking();
    }

    /**
     * Enters an SRCU read-side section of the notifier core ({@code srcu_read_lock}) and holds it
     * until {@code close()} on the same thread: no grace period ends meanwhile, so no
     * {@code free_notifier} of a {@code put} runs and no {@code synchronize} returns.
     */
    public AutoCloseable readSection() {
        var srcu = machine.notifierCore().srcu();
        var slot = srcu.enter();
        return () -> srcu.exit(slot);
    }

    /** The frame's generation: it moves on each time the frame is freed. */
    public long generationOf(long pfn) {
        return machine.memory().frame(pfn).generation();
    }

    /** {@code mm_count}: the references that keep {@code mm}'s struct (not its pages) alive; 0 once all are dropped. */
    public int mmCount(MmStruct mm) {
        return ((Mm) mm).mmCount();
    }

    /** How many times the adversary struck so far. */
    public long adversaryStrikes() {
        return machine.adversary().strikes();
    }

    /** The violations the oracle recorded (the most recent thousand), oldest first, to assert on. */
    public List<Verdict> verdicts() {
        return machine.oracle().violations().stream().map(v -> new Verdict(v.number(), v.bundle(), v.notifier(),
                v.contract(), v.mmId(), v.address(), v.pfn(), v.op(), v.rule().name(), v.reason(), v.report())).toList();
    }

    /** Registrations (notifiers, interval subscriptions) on {@code mm} now, whoever made them. */
    public int registrationsOn(MmStruct mm) {
        Mm m = (Mm) mm;
        return m.notifiers().notifierCount() + m.notifiers().intervalCount();
    }

    /**
     * Turns on the adversary: after a fault the device asked for, with probability
     * {@code faultRace} the primary invalidates that range at once (before the device can install
     * it), and with probability {@code stall} the fault stalls a moment; its choices come from
     * {@code seed}. Probabilities 0 turn it off.
     */
    public void adversary(double faultRace, double stall, long seed) {
        machine.adversary().configure(faultRace, stall, seed);
    }

    /**
     * Runs the seeded workload (its processes have the demo layout and are announced to the
     * listeners), with {@code devices} each looping on a thread of its own while it runs, then
     * exits the workload's processes. Returns when {@code budget} has passed.
     *
     * @param seed fixes each workload thread's operation stream and each device loop's random
     *        numbers; not how the threads interleave
     */
    public WorkloadRun runWorkload(long seed, int threads, int processes, Duration budget, DeviceLoop... devices) {
        return startWorkload(seed, threads, processes, Long.MAX_VALUE, budget, devices).join();
    }

    /**
     * Starts the seeded workload on threads of its own, at most {@code maxOps} operations or
     * {@code budget}, whichever ends first, with the device loops beside it. Act on the machine
     * while it runs, then {@link RunningWorkload#join()}.
     */
    public RunningWorkload startWorkload(long seed, int threads, int processes, long maxOps, Duration budget,
            DeviceLoop... devices) {
        return new RunningWorkload(this, seed, threads, processes, maxOps, budget, List.of(devices), () -> { }, false);
    }

    /**
     * {@link #startWorkload} run to its end with the driver's own device engines (DMA engines, vCPUs, instruction
     * threads): {@code startEngines} runs once the workload's first processes exist and have been
     * announced, {@code stopEngines} when the run ends (even if it fails), before its processes
     * exit.
     */
    public WorkloadRun runWorkload(long seed, int threads, int processes, long maxOps, Duration budget,
            Runnable startEngines, Runnable stopEngines) {
        RunningWorkload load = new RunningWorkload(this, seed, threads, processes, maxOps, budget, List.of(),
                stopEngines, false);
        try {
            startEngines.run();
        } catch (RuntimeException | Error e) {
            load.requestStop();
            load.join();
            throw e;
        }
        return load.join();
    }

    /**
     * A new process with the demo's memory layout announced to {@code listener} alone (not to
     * the attached listeners): a driver's attach component seeing one spawn.
     */
    public TestProcess spawnDemoFor(ProcessListener listener) {
        TestProcess p = spawnDemo();
        listener.spawned(p.pid(), p.mm());
        return p;
    }

    /**
     * {@link #runWorkload}, ended early as soon as the machine has a problem it did not have when
     * the run began: an oracle violation, a fault or a stall of the driver ({@link #problemCount()},
     * polled every millisecond). For hunting a bug: the run returns within milliseconds of the
     * first report ({@link WorkloadRun#firstProblemNanos()} says when), else when {@code budget}
     * has passed. The workload's processes are exited either way; assert as after
     * {@code runWorkload}.
     */
    public WorkloadRun runWorkloadUntilProblem(long seed, int threads, int processes, Duration budget,
            DeviceLoop... devices) {
        return new RunningWorkload(this, seed, threads, processes, Long.MAX_VALUE, budget, List.of(devices), () -> { },
                true).join();
    }

    /** Violations, faults and stalls recorded so far, all together: 0 on a clean machine. */
    public long problemCount() {
        return machine.oracle().violationCount() + machine.notifierCore().faults().count()
                + machine.notifierCore().watchdog().count();
    }

    /**
     * Stops the driver as the core stops a bundle: takes back every registration it still holds
     * (each one a forced cleanup, which {@link #assertNoForcedCleanup()} then reports) and refuses
     * any later call into its notifiers. Call it after the driver's own deactivation.
     *
     * @return what was taken back (empty if the driver cleaned up after itself)
     */
    public List<String> stopDriver() {
        List<String> left = driver.close(true);
        forcedCleanups.addAll(left);
        return left;
    }

    /** The violations the oracle recorded, oldest first, as reports. */
    public List<String> violations() {
        return machine.oracle().violations().stream().map(Object::toString).toList();
    }

    /** Faults (exceptions, errors) the driver's callbacks threw into the core. */
    public List<String> faults() {
        return machine.notifierCore().faults().recent().stream().map(Object::toString).toList();
    }

    /** Callbacks of the driver that ran too long (over the watchdog's threshold). */
    public List<String> stalls() {
        return machine.notifierCore().watchdog().recent().stream().map(Object::toString).toList();
    }

    /**
     * The violations' whole reports, oldest first, KASAN-style: the rule and why, the access's
     * stack (from the driver's call into its {@code DeviceAccess}), the device fault that made
     * the translation (thread, sequence, stack), the invalidations of the page since and what
     * the registration heard of each, and the frame's fate.
     */
    public List<String> violationReports() {
        return machine.oracle().violations().stream().map(Violation::report).toList();
    }

    /**
     * The oracle saw no access the primary MMU would not allow; else fails listing them, with the
     * first one's whole report.
     */
    public void assertCoherent() {
        fail("violation", machine.oracle().violationCount(), violations(), firstReport());
    }

    private String firstReport() {
        Violation v = machine.oracle().first();
        return v == null ? "" : "\n\nThe first violation's report:\n\n" + v.report();
    }

    /** No callback of the driver threw. */
    public void assertNoFault() {
        fail("fault", machine.notifierCore().faults().count(), faults(), "");
    }

    /** No callback of the driver stalled. */
    public void assertNoStall() {
        fail("stall", machine.notifierCore().watchdog().count(), stalls(), "");
    }

    /** {@link #stopDriver()} found nothing left behind. */
    public void assertNoForcedCleanup() {
        fail("forced cleanup", forcedCleanups.size(), forcedCleanups, "");
    }

    /**
     * Calls the core refused because the driver was stopped ({@link #stopDriver()}): a callback,
     * or a {@code freeNotifier} that a {@code put} left pending (the driver did not wait for it
     * with {@code MmuNotifiers.synchronize()} before it went). In OSGi these are calls into a
     * stopped bundle, whose code may be gone.
     */
    public long callsAfterStop() {
        return machine.notifierCore().lateCalls();
    }

    /** No call came for the driver after {@link #stopDriver()}. */
    public void assertNoCallAfterStop() {
        long n = callsAfterStop();
        fail("call after the driver stopped", n, n == 0 ? List.of() : List.of(n + " notifier or freeNotifier calls"
                + " came for the driver after stopDriver() and were refused: did it put a registration and not"
                + " wait for the free (MmuNotifiers.synchronize()) before it stopped?"), "");
    }

    /**
     * Every process exited (exits the ones still alive, telling the listeners), and then no frame
     * is in use and frames, ptes and the reverse map agree: nothing the driver held kept a page.
     */
    public void assertNoFrameLeaked() {
        exitAll();
        List<String> problems = new ArrayList<>(machine.checkConsistency());
        int used = framesInUse();
        if (used != 0) {
            problems.add(0, used + " frames still in use after every process exited");
        }
        fail("frame problem", problems.size(), problems, "");
    }

    /** All of the above: coherent, no fault, no stall, no forced cleanup, no call after stop, no frame leaked. */
    public void assertClean() {
        List<String> all = new ArrayList<>();
        all.addAll(violations());
        all.addAll(faults());
        all.addAll(stalls());
        all.addAll(forcedCleanups);
        if (callsAfterStop() != 0) {
            all.add(callsAfterStop() + " calls came for the driver after stopDriver() and were refused");
        }
        exitAll();
        all.addAll(machine.checkConsistency());
        if (framesInUse() != 0) {
            all.add(framesInUse() + " frames still in use after every process exited");
        }
        fail("problem", all.size(), all, firstReport());
    }

    private static void fail(String what, long count, List<String> recent, String detail) {
        if (count != 0) {
            throw new AssertionError(count + " " + what + (count == 1 ? "" : "s") + ":\n  "
                    + recent.stream().collect(Collectors.joining("\n  ")) + detail);
        }
    }

    /** Exits every live process, telling the listeners first, as the core does. */
    public void exitAll() {
        for (TestProcess p : List.copyOf(processes.values())) {
            if (p.isAlive()) {
                p.exit();
            }
        }
    }

    /** Exits every process and shuts the machine down. */
    @Override
    public void close() {
        try {
            exitAll();
        } finally {
            machine.close();
        }
    }

    /** How {@link #create} makes a machine. */
    public static final class Settings {
        private int frames = 512;
        private int layoutBits = 64;
        private MmuNotifierContract contract = MmuNotifierContract.V6;
        private boolean strict = true;
        private String driver = "driver under test";

        Settings() {
        }

        /** Physical frames (at least 16). */
        public Settings frames(int frames) {
            if (frames < 16) {
                throw new IllegalArgumentException("a machine needs at least 16 frames, not " + frames);
            }
            this.frames = frames;
            return this;
        }

        /** 64 or 32. */
        public Settings layoutBits(int bits) {
            if (bits != 64 && bits != 32) {
                throw new IllegalArgumentException("the page-flag layout is 64 or 32 bits, not " + bits);
            }
            this.layoutBits = bits;
            return this;
        }

        /** {@code seed}, {@code 2.6.27} or {@code 6.x}. */
        public Settings contract(String label) {
            this.contract = MmuNotifierContract.parse(label);
            return this;
        }

        public Settings strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        /** The name the driver's registrations go by in reports. */
        public Settings driver(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("the driver needs a name");
            }
            this.driver = name;
            return this;
        }
    }
}
