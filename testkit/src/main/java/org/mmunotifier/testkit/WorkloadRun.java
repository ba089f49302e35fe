package org.mmunotifier.testkit;

import java.util.Map;

/**
 * What a {@link TestMachine#runWorkload} did.
 *
 * @param seed the run's seed: it fixes each workload thread's operation stream, the device loops'
 *        random numbers (and the adversary's, if it was given the same seed); it does not fix how
 *        the threads interleave, so two runs with one seed do different numbers of operations
 * @param operations primary operations done, by kind ({@code READ}, {@code MUNMAP}, …)
 * @param failed operations that failed as Linux would fail them (a fault on an unmapped page, …)
 * @param deviceSteps steps the device loops took, all loops together
 * @param nanos how long it ran
 * @param firstProblemNanos when, from the start of the run, the machine first had a problem (an
 *        oracle violation, a fault or a stall of the driver: {@link TestMachine#problemCount()}),
 *        to the millisecond; -1 if it had none
 */
public record WorkloadRun(long seed, Map<String, Long> operations, long failed, long deviceSteps, long nanos,
        long firstProblemNanos) {
    public WorkloadRun {
        operations = Map.copyOf(operations);
    }

    /** Primary operations done, all kinds together. */
    public long total() {
        return operations.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public String toString() {
        double s = nanos / 1e9;
        return String.format("seed %d: %d primary operations (%.0f/s), %d device steps (%.0f/s) in %.2f s;"
                + " the seed fixes each thread's stream, not the interleaving", seed, total(), total() / s, deviceSteps,
                deviceSteps / s, s) + (firstProblemNanos < 0 ? "" : String.format("; first problem after %.3f s",
                firstProblemNanos / 1e9));
    }
}
