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

    /** The most recent coherence violations, one line each, oldest first. */
    List<String> recentViolations();
}
