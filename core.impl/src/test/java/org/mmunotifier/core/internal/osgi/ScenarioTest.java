package org.mmunotifier.core.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.oracle.Violation;

class ScenarioTest {
    private static final Scenario.Properties NONE = name -> null;

    @Test
    void helpIsAskedForWhereverItStands() {
        java.util.Map<String, String> none = java.util.Map.of();
        assertThrows(Scenario.HelpRequested.class, () -> Scenario.parse(List.of("--help"), none::get));
        assertThrows(Scenario.HelpRequested.class, () -> Scenario.parse(List.of("--scenario", "demo", "-h"), none::get));
        assertTrue(Scenario.HELP.startsWith("java -jar mmunotifier.jar [--scenario demo|hotswap]"), Scenario.HELP);
        assertTrue(Scenario.HELP.contains("--drivers D,..."), Scenario.HELP);
    }

    @Test
    void driversAreNoneOrNamesAndJarsEachOnce() {
        java.util.Map<String, String> none = java.util.Map.of();
        assertEquals(List.of(), Scenario.parse(List.of("--scenario", "demo", "--drivers", "none"), none::get).drivers());
        assertEquals(List.of("deploy/x.jar", "kvm"), Scenario.parse(List.of("--scenario", "hotswap", "--drivers",
                "deploy/x.jar, kvm"), none::get).drivers());
        assertEquals(null, Scenario.parse(List.of("--scenario", "demo"), none::get).drivers());
        for (String bad : List.of("kvm,,rdma", "none,kvm", "kvm,kvm", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Scenario.parse(List.of("--scenario", "demo", "--drivers", bad), none::get));
            assertTrue(e.getMessage().startsWith("--drivers '" + bad + "'"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Scenario.parse(List.of("--scenario", "hotswap", "--drivers", "none"), none::get));
        assertEquals("hotswap needs a driver to swap, not --drivers none", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Scenario.parse(List.of("--drivers", "kvm"), none::get));
        assertTrue(e.getMessage().startsWith("--drivers needs --scenario"), e.getMessage());
    }

    @Test
    void theReportGivesTheReplayCommandAndARowPerDriverAndFailsOnAForcedCleanup() {
        Scenario s = new Scenario("hotswap", Duration.ofSeconds(5), 2, 4, 9, 0.3, List.of("deploy/x.jar", "kvm"));
        ScenarioReport.DriverRow row = new ScenarioReport.DriverRow("com.example.x 1.0.0 [23]", 1234, 0, 0, 0, 1, null);
        ScenarioReport r = new ScenarioReport(s, 1.0, 10, stats(0, 0, 0), 1, 1, new long[] {5, 6}, 1, List.of(),
                List.of(), 0, List.of(), 0, List.of(), 0, "", List.of(row));
        assertFalse(r.passed(), "a forced cleanup fails the run");
        String text = r.render();
        assertTrue(text.contains("    com.example.x 1.0.0 [23]: 1234 / 0 / 0 / 0 / 1\n"), text);
        assertTrue(text.contains("java -jar mmunotifier.jar --scenario hotswap --seconds 5 --threads 2 --processes 4"
                + " --seed 9 --adversary 0.3 --drivers deploy/x.jar,kvm"), text);
    }

    @Test
    void jfrIsAFileInAFolderThatExists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path file = dir.resolve("run.jfr");
        assertEquals(file, Scenario.parse(List.of("--scenario", "demo", "--jfr", file.toString()), NONE).jfr());
        assertEquals(file, Scenario.parse(List.of(), Map.of("mmunotifier.scenario", "demo", "mmunotifier.jfr",
                file.toString())::get).jfr());
        assertNull(Scenario.parse(List.of("--scenario", "demo"), NONE).jfr());
        assertMessage("--jfr '" + dir.resolve("nosuch/run.jfr") + "': there is no folder " + dir.resolve("nosuch"),
                List.of("--scenario", "demo", "--jfr", dir.resolve("nosuch/run.jfr").toString()));
        assertMessage("--jfr '" + dir + "' is not a file name", List.of("--scenario", "demo", "--jfr", dir.toString()));
        assertMessage("--jfr needs --scenario", List.of("--jfr", file.toString()));
        assertTrue(Scenario.HELP.contains("--jfr FILE"), Scenario.HELP);
    }

    @Test
    void noScenarioIsTheDefaultRun() {
        assertNull(Scenario.parse(List.of(), NONE));
    }

    @Test
    void commandLineWinsOverProperties() {
        Map<String, String> props = Map.of("mmunotifier.scenario", "demo", "mmunotifier.seconds", "99");
        Scenario s = Scenario.parse(List.of("--scenario", "hotswap", "--seconds", "5", "--threads", "3"), props::get);
        assertEquals(new Scenario("hotswap", Duration.ofSeconds(5), 3, 4, 1, 0), s);
        assertEquals(new Scenario("demo", Duration.ofSeconds(99), 2, 4, 1, 0), Scenario.parse(List.of(), props::get));
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage("unknown scenario 'torture'", List.of("--scenario", "torture"));
        assertMessage("unknown option '--fast'", List.of("--fast", "1"));
        assertMessage("option '--seconds' needs a value", List.of("--scenario", "demo", "--seconds"));
        assertMessage("seconds must be a number, not 'ten'", List.of("--scenario", "demo", "--seconds", "ten"));
        assertMessage("seconds=0 is out of range", List.of("--scenario", "demo", "--seconds", "0"));
        assertMessage("threads=65 is out of range", List.of("--scenario", "demo", "--threads", "65"));
        assertMessage("--seconds needs --scenario", List.of("--seconds", "3"));
        assertMessage("--adversary needs --scenario", List.of("--adversary", "0.1"));
        assertMessage("adversary must be a probability (0..1), not 'lots'",
                List.of("--scenario", "demo", "--adversary", "lots"));
        assertMessage("adversary=1.5 is out of range: 0..1", List.of("--scenario", "demo", "--adversary", "1.5"));
        assertMessage("adversary=NaN is out of range: 0..1", List.of("--scenario", "demo", "--adversary", "NaN"));
    }

    private static void assertMessage(String expected, List<String> args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scenario.parse(args, NONE));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
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
}
