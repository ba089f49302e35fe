package org.mmunotifier.core.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.runtime.MachineStats;

class StatusLineTest {
    private static MachineStats ops(long workloadOps) {
        return new MachineStats(4, 64, 10, 0, 0, 0, 0, workloadOps, true, 0);
    }

    /** mmu:demo stop, then start: the new workload counts from 0; the rate is never negative. */
    @Test
    void aRestartedWorkloadNeverShowsANegativeRate() throws Exception {
        StatusLine line = new StatusLine();
        line.sample(ops(50_000), List.of());
        Thread.sleep(5);
        String after = line.sample(ops(100), List.of());
        assertTrue(after.startsWith("[mmu] "), after);
        assertFalse(after.contains("-"), after);
    }

    private static DeviceRegistry.Device device(long id, long accesses, long faults, long retries) {
        return new DeviceRegistry.Device(id, "d" + id, new DeviceCounters.Snapshot(0, 0, 0, retries, faults, accesses), "");
    }

    /**
     * The devices' rates are on the line; the work is added up across samples from the baseline on, and a
     * driver whose counters went back (restarted) counts from 0 again.
     */
    @Test
    void deviceWorkIsAddedUpAcrossRestartsAndShownAsRates() {
        StatusLine line = new StatusLine();
        line.baseline(List.of(device(7, 1_000, 100, 10)));
        String first = line.sample(ops(0), List.of(device(7, 3_000, 150, 12), device(8, 500, 5, 0)));
        assertTrue(first.contains(" acc/s ") && first.contains(" flt/s ") && first.contains(" retry/s"), first);
        assertFalse(line.idle());
        line.sample(ops(0), List.of(device(7, 400, 4, 1), device(8, 600, 5, 0))); // 7 restarted
        assertEquals(new StatusLine.DeviceWork(2_000 + 500 + 400 + 100, 50 + 5 + 4, 2 + 1), line.deviceWork());
        line.sample(ops(0), List.of(device(7, 400, 4, 1), device(8, 600, 5, 0)));
        assertTrue(line.idle(), "nothing ran");
    }
}
