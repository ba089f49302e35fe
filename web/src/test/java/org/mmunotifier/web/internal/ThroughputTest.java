package org.mmunotifier.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.runtime.MachineStats;

class ThroughputTest {
    private static final long SECOND = 1_000_000_000L;

    private static MachineStats stats(long invalidations, long ops) {
        return new MachineStats(4, 8192, 100, invalidations, 0, 0, 0, ops, true, 0);
    }

    @Test
    void ratesArePerSecondBetweenSamples() {
        Throughput t = new Throughput(10);
        t.sample(stats(100, 1_000), 0, 0);
        assertTrue(t.samples().isEmpty(), "the first sample only sets the base");
        t.sample(stats(300, 5_000), 2 * SECOND, 2_000);
        assertEquals(List.of(new Throughput.Sample(2_000, 2_000.0, 100.0)), t.samples());
    }

    @Test
    void aRestartedWorkloadCountsFromZero() {
        Throughput t = new Throughput(10);
        t.sample(stats(0, 9_000), 0, 0);
        t.sample(stats(0, 500), SECOND, 1_000);
        assertEquals(500.0, t.samples().get(0).opsPerSecond());
    }

    @Test
    void keepsTheNewestCapacitySamples() {
        Throughput t = new Throughput(3);
        for (int i = 0; i <= 5; i++) {
            t.sample(stats(i, i), i * SECOND, i * 1_000L);
        }
        assertEquals(List.of(3_000L, 4_000L, 5_000L), t.samples().stream().map(Throughput.Sample::timeMillis).toList());
    }
}
