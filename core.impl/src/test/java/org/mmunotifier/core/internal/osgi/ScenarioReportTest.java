package org.mmunotifier.core.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.oracle.Violation;
import org.mmunotifier.launcher.options.Scenario;

class ScenarioReportTest {
    private static final Scenario.Properties NONE = name -> null;

    @Test
    void theReportGivesTheReplayCommandAndARowPerDriverAndFailsOnAForcedCleanup() {
        Scenario s = new Scenario("hotswap", Duration.ofSeconds(5), 2, 4, 9, 0.3, List.of("deploy/x.jar", "kvm"));
        ScenarioReport.DriverRow row = new ScenarioReport.DriverRow("com.example.x 1.0.0 [23]", 1234, 0, 0, 0, 1, null);
        ScenarioReport r = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 1, 1, new long[] {5, 6}, 1, List.of(),
                List.of(), 0, List.of(), 0, List.of(), 0, "", List.of(row));
        assertFalse(r.passed(), "a forced cleanup fails the run");
        String text = r.render();
        assertTrue(text.contains("    com.example.x 1.0.0 [23]: 1234 (1.2k/s) / 0 / 0 / 0 / 1\n"), text);
        assertTrue(text.contains("java -jar mmunotifier.jar --scenario hotswap --seconds 5 --threads 2 --processes 4"
                + " --seed 9 --adversary 0.3 --drivers deploy/x.jar,kvm"), text);
    }

    @Test
    void aRunPassesOnlyWithNoViolationNoLateCallAndNothingLeaked() {
        Scenario s = new Scenario("hotswap", Duration.ofSeconds(1), 2, 4, 1, 0);
        long[] teardownMicros = {10_000, 2_000, 7_000, 4_000, 1_000, 9_000, 3_000, 8_000, 6_000, 5_000};
        ScenarioReport ok = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 7, 3, teardownMicros, 0, List.of(), List.of(), 0, List.of(), 0, List.of(), 0, "");
        assertTrue(ok.passed());
        // nearest rank: p50 is the 5th of 10, p90 the 9th, p99 the 10th
        assertTrue(ok.render().contains("p50 5.00  p90 9.00  p99 10.00  max 10.00"), ok.render());
        assertTrue(ok.render().contains("10 (7 restarts, 3 updates)"), ok.render());
        assertFalse(new ScenarioReport(s, 1.0, 10, stats(1, 0, 0), 0, 0, new long[0], 0, List.of(), List.of(), 0, List.of(), 0, List.of(), 1, "").passed());
        assertFalse(new ScenarioReport(s, 1.0, 10, stats(0, 1, 0), 0, 0, new long[0], 0, List.of(), List.of(), 0, List.of(), 0, List.of(), 0, "").passed());
        assertFalse(new ScenarioReport(s, 1.0, 10, stats(0, 0, 5), 0, 0, new long[0], 0, List.of(), List.of(), 0, List.of(), 0, List.of(), 0, "").passed());
        ScenarioReport bad = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 0, 0, new long[0], 0, List.of("pte 0x1000"), List.of(), 0,
                List.of(), 0, List.of(), 0, "");
        assertFalse(bad.passed());
        assertTrue(bad.render().startsWith("scenario hotswap: FAILED"), bad.render());
    }

    @Test
    void aStallOrADriverFaultFailsTheRunAndTheReportNamesTheBundle() {
        Scenario s = new Scenario("demo", Duration.ofSeconds(1), 2, 4, 1, 0);
        Stall stall = new Stall(1, Stall.Kind.CALLBACK, 23, "com.example.stuck 1.0.0 [23]", "Stuck",
                "invalidate_range_start PROTECTION_VMA [0x40000000, 0x40020000)", 3, "workload-1", 5_000, true,
                List.of(), List.of(), "");
        ScenarioReport stalled = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 0, 0, new long[0], 0, List.of(),
                List.of(stall), 1, List.of(), 0, List.of(), 0, "");
        assertFalse(stalled.passed());
        assertTrue(stalled.render().contains("stalls                      1"), stalled.render());
        assertTrue(stalled.render().contains("#1 callback: com.example.stuck 1.0.0 [23] Stuck invalidate_range_start"
                + " PROTECTION_VMA [0x40000000, 0x40020000) on mm 3, thread workload-1, 5000 ms, still stuck"),
                stalled.render());
        DriverFault fault = new DriverFault(38, "com.example.dmirror 1.0.0 [38]", "Mirror", "age_page", 2,
                "threw java.lang.IllegalStateException: boom", 60_876, 0);
        ScenarioReport faulty = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 0, 0, new long[0], 0, List.of(),
                List.of(), 0, List.of(fault), 60_876, List.of(), 0, "");
        assertFalse(faulty.passed());
        assertTrue(faulty.render().contains("driver faults               60876"), faulty.render());
        assertTrue(faulty.render().contains("com.example.dmirror 1.0.0 [38]: 1 fault, last age_page threw"),
                faulty.render());
    }

    @Test
    void theAdversaryIsAnOptionAndAViolationIsNamedByBundleRuleAndReason() {
        Scenario s = Scenario.parse(List.of("--scenario", "demo", "--adversary", "0.25", "--seed", "9"), NONE);
        assertEquals(0.25, s.adversary());
        Violation v = new Violation("com.example.mirror 1.0.0 [42]", 42, "Mirror@1", "6.x", 3, 0x4000_1000L, 17,
                "write", Violation.Rule.INSIDE_WINDOW, "it was told to stay away");
        ScenarioReport r = new ScenarioReport(s, 1.0, 10, stats(2, 0, 0), 0, 0, new long[0], 0, List.of(), List.of(), 0,
                List.of(), 0, List.of(v, v), 2, "fault race 0.25, stall 0.25 (up to 200 µs), seed 9; 77 strikes since set");
        assertFalse(r.passed());
        String text = r.render();
        assertTrue(text.contains("adversary                   fault race 0.25, stall 0.25"), text);
        assertTrue(text.contains("violations                  2"), text);
        assertTrue(text.contains("com.example.mirror 1.0.0 [42]: 2 violations, first INSIDE_WINDOW write at 0x40001000"
                + " of mm 3 by Mirror@1: it was told to stay away"), text);
    }

    private static MachineStats stats(long violations, long lateCalls, long framesInUse) {
        return new MachineStats(0, 64, framesInUse, 100, violations, 0, lateCalls, 10, false, 0);
    }

    @Test
    void theReportSaysHowIntenseTheDeviceWorkWas() {
        Scenario s = new Scenario("demo", Duration.ofSeconds(2), 2, 4, 1, 0);
        ScenarioReport r = new ScenarioReport(s, 2.0, 10, stats(0, 0, 0), 0, 0, new long[0], 0, List.of(), List.of(), 0,
                List.of(), 0, List.of(), 0, "", List.of(), new StatusLine.DeviceWork(3_000_000, 50_000, 800));
        assertTrue(r.render().contains("device work                 3000000 accesses (1.5M/s), 50000 faults (25.0k/s),"
                + " 800 retries (400/s)\n"), r.render());
    }
}
