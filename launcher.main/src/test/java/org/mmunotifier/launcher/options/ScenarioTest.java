package org.mmunotifier.launcher.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
