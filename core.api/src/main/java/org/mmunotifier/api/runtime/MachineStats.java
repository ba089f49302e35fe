package org.mmunotifier.api.runtime;

/**
 * A snapshot of the machine's counters.
 *
 * @param processes live processes
 * @param frames physical frames
 * @param framesInUse frames allocated now
 * @param invalidations range and page invalidations the primary MMU has made
 * @param violations coherence violations the oracle recorded
 * @param notifierFaults notifier callbacks that threw or broke the contract
 * @param callsIntoStoppedBundles see {@link NotifierRegistry#callsIntoStoppedBundles()}
 * @param workloadOps operations the demo workload has issued since it was started
 * @param workloadRunning whether the demo workload is running
 * @param stalls stalls reported so far (see {@link NotifierRegistry#stalls()})
 */
public record MachineStats(int processes, long frames, long framesInUse, long invalidations, long violations,
        long notifierFaults, long callsIntoStoppedBundles, long workloadOps, boolean workloadRunning, long stalls) {
}
