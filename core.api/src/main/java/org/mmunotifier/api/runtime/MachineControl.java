package org.mmunotifier.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** What an operator (or a test) does to the machine as a whole. */
@ProviderType
public interface MachineControl {

    /** Spawns a process with the demo workload's memory layout mapped; returns its pid. */
    int spawn();

    /**
     * Makes process {@code pid} exit (its notifiers get {@code release}, then its memory is freed).
     *
     * @throws org.mmunotifier.api.NoSuchProcessException if there is no such process
     */
    void kill(int pid);

    /**
     * Starts the demo workload: {@code threads} threads doing faults, munmap, mprotect, mremap,
     * fork/exit, reclaim and migration over {@code processes} processes, until stopped.
     *
     * @throws IllegalStateException if it is running already
     * @throws IllegalArgumentException if a number is out of range (named in the message)
     */
    void startWorkload(long seed, int threads, int processes);

    /**
     * Stops the demo workload and waits for its threads; its processes exit.
     *
     * @return operations it issued
     * @throws IllegalStateException if it is not running
     */
    long stopWorkload();

    MachineStats stats();

    /**
     * Sets the torture's adversary (off until set): with probability {@code faultRace}, an
     * invalidation of a page a device has just faulted, on the device's own thread, before its
     * driver can install it (where missing retry checks hide); with probability {@code stall}, a
     * pause between an invalidation's start and its pte changes. Each thread's choices follow
     * from {@code seed}. Both 0 turns it off.
     *
     * @return the adversary's settings and strikes, one line
     * @throws IllegalArgumentException if a probability is outside 0..1 (nothing changes)
     */
    String adversary(double faultRace, double stall, long seed);

    /** The adversary's settings and strikes so far, one line. */
    String adversary();

    /**
     * The most recent coherence violations, one line each, oldest first, each starting with its number as
     * {@code mmu:violations} lists them ({@code #12 org.mmunotifier.drivers.kvm 0.1.0 [7] notifier …}).
     */
    List<String> recentViolations();

    /**
     * The oracle's whole report of one violation: the verdict, the access's stack, the translation's fault and the
     * page's invalidations since, the frame's fate.
     *
     * @param number the violation's number (from {@link #recentViolations()})
     * @throws IllegalArgumentException if it is not among the recent violations (nor the first one)
     */
    String violationReport(long number);
}
