package org.mmunotifier.core.internal.osgi;

import java.time.Duration;
import java.util.List;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.launcher.options.Scenario;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/** Processes and the demo workload, for operators and tests. */
@Component(service = {MachineControl.class, MachineControlService.class})
public final class MachineControlService implements MachineControl {
    static final int MAX_THREADS = Scenario.MAX_THREADS;
    static final int MAX_PROCESSES = Scenario.MAX_PROCESSES;

    private final Machine machine;
    private final ProcessEvents events;
    /** Seconds between the launcher's status lines; 0: none ({@code -Dmmunotifier.status.seconds}, {@code mmu:status}). */
    private volatile long statusSeconds = Math.max(0, Math.min(MAX_STATUS_SECONDS,
            Long.getLong("mmunotifier.status.seconds", 10)));
    static final long MAX_STATUS_SECONDS = 3600;
    private Workload workload; // guarded by this
    private Workload.Running running; // guarded by this

    @Activate
    public MachineControlService(@Reference MachineService machine, @Reference ProcessEvents events) {
        this.machine = machine.machine();
        this.events = events;
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        synchronized (this) {
            if (running != null) {
                stopWorkload();
            }
        }
    }

    public Machine machine() {
        return machine;
    }

    /** Seconds between the launcher's status lines, 0 for none. */
    public long statusSeconds() {
        return statusSeconds;
    }

    /**
     * @throws IllegalArgumentException naming the value if it is not 0..{@value #MAX_STATUS_SECONDS}
     */
    public void statusSeconds(long seconds) {
        if (seconds < 0 || seconds > MAX_STATUS_SECONDS) {
            throw new IllegalArgumentException("status interval " + seconds + " s is out of range: 0 (off).."
                    + MAX_STATUS_SECONDS);
        }
        statusSeconds = seconds;
    }

    @Override
    public int spawn() {
        Process p = machine.spawn();
        Workload.mapRegions(p);
        events.spawned(p);
        return p.pid();
    }

    @Override
    public void kill(int pid) {
        Process p = machine.process(pid);
        events.exiting(p);
        p.exit();
    }

    @Override
    public synchronized void startWorkload(long seed, int threads, int processes) {
        if (running != null) {
            throw new IllegalStateException("the workload is running already; stop it first");
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads=" + threads + " is out of range: 1.." + MAX_THREADS);
        }
        if (processes < 1 || processes > MAX_PROCESSES) {
            throw new IllegalArgumentException("processes=" + processes + " is out of range: 1.." + MAX_PROCESSES);
        }
        workload = new Workload(machine, new Workload.Config(seed, threads, processes, processes), events);
        running = workload.start(Long.MAX_VALUE, Duration.ofDays(365));
    }

    @Override
    public synchronized long stopWorkload() {
        if (running == null) {
            throw new IllegalStateException("the workload is not running");
        }
        workload.requestStop();
        try {
            // Bounded: a thread stuck in a driver's callback is the watchdog's to report.
            if (running.join(Duration.ofNanos(machine.notifierCore().stallPolicy().giveUpNanos())) == null) {
                System.getLogger(MachineControlService.class.getName()).log(System.Logger.Level.ERROR,
                        "the workload did not stop within " + machine.notifierCore().stallPolicy().giveUpMillis()
                                + " ms: a thread is stuck (see mmu:stalls); its processes exit without it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the workload", e);
        } finally {
            workload.close();
            running = null;
        }
        return workload.opsDone();
    }

    @Override
    public MachineStats stats() {
        Workload w;
        boolean on;
        synchronized (this) {
            w = workload;
            on = running != null;
        }
        return new MachineStats(machine.pids().size(),
                machine.memory().frameCount(), machine.memory().usedCount(), machine.invalidations(),
                machine.oracle().violationCount(), machine.notifierCore().faults().count(),
                machine.notifierCore().lateCalls(), w == null ? 0 : w.opsDone(), on,
                machine.notifierCore().watchdog().count());
    }

    @Override
    public String adversary(double faultRace, double stall, long seed) {
        machine.adversary().configure(faultRace, stall, seed);
        return adversary();
    }

    @Override
    public String adversary() {
        return machine.adversary().describe();
    }

    @Override
    public List<String> recentViolations() {
        return machine.oracle().violations().stream().map(Violation::numbered).toList();
    }

    @Override
    public String violationReport(long number) {
        return machine.oracle().report(number);
    }
}
