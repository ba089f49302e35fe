package org.mmunotifier.mutants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The catalogue of planted driver bugs: each mutant is caught within {@link Hunt#BOUND} of the
 * start of the workload, by the check and rule its bug breaks, with the failure naming them and
 * the driver; each correct driver passes the same run (same seed, same settings, longer) with
 * nothing to report. Writes each mutant's time to catch to {@code target/mutant-catch-times.md}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hung driver fails its test, not the build
class CatalogueTest {
    private static final Map<Mutant, Hunt.Outcome> CAUGHT = new ConcurrentSkipListMap<>();

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mutant.class)
    void eachPlantedBugIsCaughtWithinTheBoundByTheRuleItBreaks(Mutant mutant) {
        Hunt.Outcome o = Hunt.hunt(mutant);
        assertTrue(o.caught(), mutant + " was not caught: " + o.run());
        String failure = o.failures().get(mutant.check);
        assertNotNull(failure, mutant + " was caught, but not by " + mutant.check + ": " + o.failures());
        if (mutant.check == Check.COHERENT) {
            String rule = o.firstRule();
            assertTrue(mutant.names.contains(rule), mutant + ": the first violation broke " + rule + ", not one of "
                    + mutant.names + ":\n" + failure);
            assertTrue(failure.contains(mutant.driver.bundle), "the report does not name the driver:\n" + failure);
        } else {
            for (String name : mutant.names) {
                assertTrue(failure.contains(name), mutant + ": the failure does not say '" + name + "':\n" + failure);
            }
        }
        assertTrue(o.nanos() <= Hunt.BOUND.toNanos(), mutant + " took " + o.millis() + " ms to catch");
        CAUGHT.put(mutant, o);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Driver.class)
    void theCorrectDriverPassesTheSameRunWithNothingToReport(Driver driver) {
        try (Hunt hunt = Hunt.correct(driver)) {
            Hunt.Outcome o = hunt.run();
            assertEquals(Map.of(), o.failures(), driver + " under " + o.run());
            hunt.machine().assertClean();
            assertTrue(o.run().total() > 1_000 && o.accesses() > 1_000, "the run hardly ran: " + o.run() + ", "
                    + o.accesses() + " device accesses");
            assertTrue(o.nanos() >= Hunt.CORRECT_RUN.toNanos(), "the run ended early: " + o.run());
        }
    }

    /** Every knob a driver has is in the catalogue, and nothing else: a knob no test runs would rot. */
    @Test
    void theCatalogueRunsEveryKnobOfEveryDriver() {
        for (Driver d : Driver.values()) {
            List<String> planted = Arrays.stream(Mutant.values()).filter(m -> m.driver == d).map(m -> m.knob).sorted().toList();
            assertEquals(d.rig().knobs().stream().sorted().toList(), planted, d.toString());
        }
        assertTrue(Mutant.values().length >= 15, "a catalogue of " + Mutant.values().length);
    }

    @AfterAll
    static void writeTheTimesToCatch() throws IOException {
        if (CAUGHT.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder("| mutant | driver | bug class | caught by | time to catch | runs |\n"
                + "|---|---|---|---|---|---|\n");
        CAUGHT.forEach((m, o) -> b.append("| ").append(m).append(" | ").append(m.driver).append(" | ").append(m.bugClass)
                .append(" | ").append(m.check == Check.COHERENT ? o.firstRule() : m.check).append(" | ")
                .append(String.format("%.3f s", o.nanos() / 1e9)).append(" | ").append(o.runs()).append(" |\n"));
        System.out.print("Time to catch each planted bug (seed " + Hunt.SEED + "):\n" + b);
        Path out = Path.of("target", "mutant-catch-times.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, b);
    }
}
