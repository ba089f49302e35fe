package org.mmunotifier.core.internal.osgi;

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
    void noScenarioIsTheDefaultRun() {
        assertNull(Scenario.parse(List.of(), NONE));
    }

    @Test
    void commandLineWinsOverProperties() {
        Map<String, String> props = Map.of("mmunotifier.scenario", "demo", "mmunotifier.seconds", "99");
        Scenario s = Scenario.parse(List.of("--scenario", "hotswap", "--seconds", "5", "--threads", "3"), props::get);
        assertEquals(new Scenario("hotswap", Duration.ofSeconds(5), 3, 4, 1), s);
        assertEquals(new Scenario("demo", Duration.ofSeconds(99), 2, 4, 1), Scenario.parse(List.of(), props::get));
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
    }

    private static void assertMessage(String expected, List<String> args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scenario.parse(args, NONE));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
