package org.mmunotifier.core.internal.osgi;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.notifier.StallWatchdog;
import org.mmunotifier.core.internal.util.Console;
import org.mmunotifier.launcher.options.Scenario;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * What the launcher runs. By default: the demo workload with every driver attached and a status
 * line every {@code mmunotifier.status.seconds} (10) seconds, the shell left to the operator. With
 * a {@link Scenario}: that scenario for its duration, then a report, then exit with 0 if it
 * passed, 1 if not (2 for bad arguments). Outside the launcher (Pax Exam) it does nothing unless
 * a scenario is given by system property.
 */
@Component(immediate = true)
public final class ScenarioRunner {
    static final String DRIVERS = "org.mmunotifier.drivers.";
    private static final PrintStream OUT = System.out;
    private static final System.Logger LOG = System.getLogger(ScenarioRunner.class.getName());

    private final FrameworkLifecycle lifecycle;
    private final MachineControlService control;
    private final BundleOwners owners;
    private final ProcessEvents events;
    private final DeviceRegistry devices;
    private final BundleContext context;
    private final Thread thread;

    @Activate
    public ScenarioRunner(@Reference FrameworkLifecycle lifecycle, @Reference MachineControlService control,
            @Reference BundleOwners owners, @Reference ProcessEvents events, @Reference DeviceRegistry devices,
            BundleContext context) {
        this.lifecycle = lifecycle;
        this.devices = devices;
        this.control = control;
        this.owners = owners;
        this.events = events;
        this.context = context;
        Scenario scenario;
        try {
            // The launcher's Main checked the same options before the framework booted (and answered
            // --help): this fails only for a framework started some other way.
            scenario = Scenario.parse(lifecycle.arguments(), context::getProperty);
        } catch (Scenario.HelpRequested e) {
            OUT.println(Scenario.HELP);
            lifecycle.exit(0);
            thread = null;
            return;
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            lifecycle.exit(2);
            thread = null;
            return;
        }
        if (scenario == null && !lifecycle.launchedByBnd()) {
            thread = null;
            return;
        }
        thread = new Thread(() -> run(scenario), "mmunotifier-" + (scenario == null ? "demo" : scenario.name()));
        thread.setDaemon(true);
        thread.start();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        if (thread != null) {
            thread.interrupt();
            thread.join(30_000);
        }
    }

    private void run(Scenario scenario) {
        try {
            List<Bundle> drivers;
            try {
                if (scenario != null && scenario.jfr() != null) {
                    // the launcher checked the path before booting; whether this JVM can record, only here
                    String cannot = Trace.unavailable();
                    if (cannot != null) {
                        throw new IllegalArgumentException("--jfr '" + scenario.jfr() + "': " + cannot);
                    }
                }
                drivers = awaitDrivers(scenario);
            } catch (IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                lifecycle.exit(2);
                return;
            }
            if (scenario == null) {
                demo();
            } else {
                AtomicBoolean done = new AtomicBoolean();
                guard(scenario, done);
                Trace.Recorder recording = scenario.jfr() == null ? null
                        : Trace.record("mmunotifier-" + scenario.name(), scenario.jfr());
                ScenarioReport report = scenario.name().equals("hotswap") ? hotswap(scenario, drivers)
                        : demo(scenario, drivers);
                if (done.compareAndSet(false, true)) {
                    OUT.print(report.render());
                    int status = report.passed() ? 0 : 1;
                    if (recording != null && !write(recording)) {
                        status = 1;
                    }
                    OUT.flush();
                    lifecycle.exit(status);
                }
            }
        } catch (InterruptedException e) {
            // the framework is stopping
        } catch (Throwable e) {
            // Whatever went wrong (a driver's Error included), the run ends with a status, not a hang.
            System.err.println("error: scenario failed: " + e);
            LOG.log(System.Logger.Level.ERROR, "scenario failed", e);
            lifecycle.exit(1);
        }
    }

    /** Writes the run's recording and says where, or why not; false if it could not. */
    private static boolean write(Trace.Recorder recording) {
        try {
            recording.stop();
            OUT.println("[mmu] " + Trace.written(recording.file()));
            return true;
        } catch (IOException | RuntimeException e) {
            System.err.println("error: --jfr: the recording could not be written to " + recording.file() + ": "
                    + e.getMessage());
            return false;
        }
    }

    /**
     * A scenario always ends with a status: if its report is not out by its duration plus a grace
     * (bounded core waits add up when a driver is stuck, and a driver's own listener may block
     * for ever), it fails with what is known.
     */
    private void guard(Scenario scenario, AtomicBoolean done) {
        long giveUp = control.machine().notifierCore().stallPolicy().giveUpMillis();
        long grace = 4 * giveUp + 20_000;
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(scenario.duration().toMillis() + grace);
            } catch (InterruptedException e) {
                return;
            }
            if (done.compareAndSet(false, true)) {
                OUT.println("scenario " + scenario.name() + ": FAILED (it did not finish within " + grace / 1000
                        + " s of its end; stuck:)");
                for (String stall : StallWatchdog.ongoingEverywhere()) {
                    OUT.println("  " + stall.lines().findFirst().orElse(stall));
                }
                OUT.flush();
                lifecycle.exit(1);
            }
        }, "mmunotifier-scenario-guard");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The driver bundles the run uses (all of them, or the scenario's {@code --drivers}, the others
     * stopped), and a little time for each to register its process listener.
     */
    private List<Bundle> awaitDrivers(Scenario scenario) throws InterruptedException {
        DriverSelection selection = new DriverSelection(context);
        List<Bundle> drivers;
        if (scenario == null || scenario.drivers() == null) {
            drivers = selection.all();
        } else {
            drivers = selection.resolve(scenario.drivers());
            selection.apply(drivers);
            OUT.println("[mmu] drivers: " + (drivers.isEmpty() ? "none (the primary alone)"
                    : String.join(", ", drivers.stream().map(BundleOwners::name).toList())));
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (events.listenerCount() < drivers.size() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return drivers;
    }

    private void demo() throws InterruptedException {
        control.startWorkload(Scenario.SEED, Scenario.THREADS, Scenario.PROCESSES);
        OUT.println("[mmu] demo workload running with the drivers attached; 'help mmu' lists the commands,"
                + " 'mmu:status N' sets the status line's interval (0: off), 'stop 0' quits");
        StatusLine line = new StatusLine();
        long last = System.nanoTime();
        while (true) {
            Thread.sleep(250); // the interval may change at any time (mmu:status)
            long every = control.statusSeconds();
            if (every > 0 && System.nanoTime() - last >= every * 1_000_000_000L) {
                String status = line.sample(control.stats(), devices.devices());
                if (!line.idle()) { // nothing ran since the last one (mmu:demo stop): say nothing new
                    Console.println(OUT, status);
                }
                last = System.nanoTime();
            }
        }
    }

    private ScenarioReport demo(Scenario s, List<Bundle> drivers) throws InterruptedException {
        return timed(s, drivers, new Swaps(), (deadline, work) -> {
            while (System.nanoTime() < deadline) {
                Thread.sleep(Math.min(5_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                OUT.println(work.sample(control.stats(), devices.devices()));
            }
        });
    }

    private ScenarioReport hotswap(Scenario s, List<Bundle> drivers) throws InterruptedException {
        if (drivers.isEmpty()) {
            throw new IllegalStateException("no driver bundle to swap");
        }
        DriverSwapper swapper = new DriverSwapper(context, owners);
        Swaps swaps = new Swaps();
        return timed(s, drivers, swaps, (deadline, work) -> {
            StatusLine line = new StatusLine();
            line.baseline(devices.devices());
            long nextStatus = System.nanoTime() + 5_000_000_000L;
            for (int i = 0; System.nanoTime() < deadline; i++) {
                Bundle b = drivers.get(i % drivers.size());
                boolean update = (i / drivers.size()) % 2 == 1; // alternate rounds of restarts and updates
                // a failed swap throws, saying whether the previous revision runs again; the run fails
                // forced: the operator chose these drivers (a deploy/ one need not declare itself one)
                work.sample(control.stats(), devices.devices()); // the counters the swap is about to reset
                swaps.add(update ? swapper.update(b, null, true) : swapper.restart(b, true));
                Thread.sleep(100); // let the workload run with the driver back in
                if (System.nanoTime() >= nextStatus) {
                    OUT.println(line.sample(control.stats(), devices.devices()));
                    nextStatus += 5_000_000_000L;
                }
            }
        });
    }

    /** The last {@code n} of {@code recent} (those of this run). */
    private static <T> List<T> last(List<T> recent, long n) {
        return recent.subList((int) Math.max(0, recent.size() - n), recent.size());
    }

    /** The swaps a run made. */
    private static final class Swaps {
        private final List<Long> teardownMicros = new ArrayList<>();
        private int updates;

        void add(Drivers.Swap swap) {
            teardownMicros.add(swap.teardownMicros());
            if (swap.how().equals("update")) {
                updates++;
            }
        }
    }

    private interface Body {
        /** @param work samples the device work of the run (the report adds it up): before a swap resets counters */
        void run(long deadlineNanos, StatusLine work) throws InterruptedException;
    }

    /** Runs the workload around {@code body}, then checks the machine with everything stopped. */
    private ScenarioReport timed(Scenario s, List<Bundle> drivers, Swaps swaps, Body body) throws InterruptedException {
        OUT.println("[mmu] scenario " + s.name() + " for " + s.duration().toSeconds() + " s");
        long cleanupsBefore = owners.cleanupCount();
        long stallsBefore = owners.stallCount();
        long faultsBefore = owners.faultCount();
        long violationsBefore = control.stats().violations();
        var core = control.machine().notifierCore();
        long[] accessesBefore = drivers.stream().mapToLong(b -> core.accessesOf(b.getBundleId())).toArray();
        String adversary = s.adversary() > 0 ? control.adversary(s.adversary(), s.adversary(), s.seed()) : "";
        control.startWorkload(s.seed(), s.threads(), s.processes());
        long t0 = System.nanoTime();
        StatusLine work = new StatusLine();
        work.baseline(devices.devices());
        try {
            body.run(t0 + s.duration().toNanos(), work);
            work.sample(control.stats(), devices.devices()); // before the workload's processes exit
        } finally {
            control.stopWorkload(); // its processes exit
            if (s.adversary() > 0) {
                adversary = control.adversary(); // what it did in this run
                control.adversary(0, 0, s.seed());
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        MachineStats end = control.stats();
        long violations = end.violations() - violationsBefore;
        long stalls = owners.stallCount() - stallsBefore;
        long faults = owners.faultCount() - faultsBefore;
        long cleanups = owners.cleanupCount() - cleanupsBefore;
        List<Violation> runViolations = last(control.machine().oracle().violations(), violations);
        List<Stall> runStalls = last(owners.stalls(), stalls);
        List<DriverFault> runFaults = last(owners.faults(), faults);
        List<ForcedCleanup> runCleanups = last(owners.forcedCleanups(), cleanups);
        List<ScenarioReport.DriverRow> rows = new ArrayList<>();
        for (int i = 0; i < drivers.size(); i++) {
            long id = drivers.get(i).getBundleId();
            rows.add(new ScenarioReport.DriverRow(BundleOwners.name(drivers.get(i)),
                    core.accessesOf(id) - accessesBefore[i],
                    runViolations.stream().filter(v -> v.bundleId() == id).count(),
                    runFaults.stream().filter(f -> f.bundleId() == id).count(),
                    runStalls.stream().filter(st -> st.bundleId() == id).count(),
                    runCleanups.stream().filter(c -> c.bundleId() == id).count(), devices.of(id)));
        }
        return new ScenarioReport(s, secs, end.workloadOps(), end, swaps.teardownMicros.size() - swaps.updates,
                swaps.updates, swaps.teardownMicros.stream().mapToLong(Long::longValue).toArray(), cleanups,
                control.machine().checkConsistency(), runStalls, stalls, runFaults, faults, runViolations, violations,
                adversary, rows, work.deviceWork());
    }
}
