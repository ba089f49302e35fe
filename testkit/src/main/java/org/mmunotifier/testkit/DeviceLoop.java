package org.mmunotifier.testkit;

import java.util.SplittableRandom;

/**
 * One device engine of the driver under test, run over and over on a thread of its own while the
 * workload runs ({@link TestMachine#runWorkload}): one step is, say, one access of a random page
 * of a random process through the driver's mirror.
 */
@FunctionalInterface
public interface DeviceLoop {
    /**
     * One step.
     *
     * @param random this loop's random numbers, seeded from the run's seed
     * @throws Exception anything thrown ends the run and fails it with that exception
     */
    void step(SplittableRandom random) throws Exception;
}
