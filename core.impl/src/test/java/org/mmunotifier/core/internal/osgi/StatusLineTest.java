package org.mmunotifier.core.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mmunotifier.api.runtime.MachineStats;

class StatusLineTest {
    private static MachineStats ops(long workloadOps) {
        return new MachineStats(4, 64, 10, 0, 0, 0, 0, workloadOps, true, 0);
    }

    /** mmu:demo stop, then start: the new workload counts from 0; the rate is never negative. */
    @Test
    void aRestartedWorkloadNeverShowsANegativeRate() throws Exception {
        StatusLine line = new StatusLine();
        line.sample(ops(50_000));
        Thread.sleep(5);
        String after = line.sample(ops(100));
        assertTrue(after.startsWith("[mmu] "), after);
        assertFalse(after.contains("-"), after);
    }
}
