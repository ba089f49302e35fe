package org.mmunotifier.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The races of {@link MirrorRaces}, explored by Fray and checked from outside: the mirror that
 * skips its retry check is caught with a message naming the rule and the address and saying how
 * to replay it, the replay fails the same way in fresh JVMs, and the correct mirror passes every
 * interleaving tried, having met the race.
 */
class MirrorExploreTest {
    static final int REPLAYS = 10;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void theMissingRetryIsCaughtAndReplaysTheSameInFreshJvms() throws Exception {
        Launch.Result explored = Launch.run(MirrorRaces.class, "missingRetry");
        assertEquals(1, explored.failures().size(), "the missing retry was not caught in "
                + explored.passed() + " interleavings");
        String message = explored.failures().get(0).getMessage();
        Launch.Verdict verdict = Launch.Verdict.of(message);
        assertNotNull(verdict.rule(), message);
        // What a translation installed past its invalidation can break, depending on the interleaving.
        assertTrue(List.of("INSIDE_WINDOW", "STALE_TRANSLATION", "UNMAPPED", "USE_AFTER_FREE").contains(verdict.rule()),
                message);
        assertEquals("0x" + Long.toHexString(MirrorRaces.PAGE), verdict.address(), message);
        Path recording = Path.of(System.getProperty("fray.workDir"), MirrorRaces.class.getName(), "missingRetry",
                "recording");
        assertTrue(message.contains("-Dexplore.replay=" + recording), message);
        assertTrue(message.contains("-Dtest='" + MirrorRaces.class.getName() + "#missingRetry'"), message);
        assertTrue(Files.isRegularFile(recording.resolve("random.json")), recording + " has no random.json");
        System.out.printf("explore: missing retry caught at iteration %d in %d ms: %s at %s%n",
                explored.failedAt(), explored.millis(), verdict.rule(), verdict.address());

        // What a developer would do with the message: keep the recording, replay it in a fresh JVM.
        Path kept = Path.of("target", "replay-check");
        copy(recording.getParent(), kept);
        long t0 = System.nanoTime();
        List<String> outcomes = replayInFreshJvms(kept.resolve("recording"), REPLAYS);
        long same = outcomes.stream().filter(verdict.toString()::equals).count();
        System.out.printf("explore: replayed in %d fresh JVMs in %d ms: %d/%d %s at %s%n", REPLAYS,
                (System.nanoTime() - t0) / 1_000_000, same, REPLAYS, verdict.rule(), verdict.address());
        assertEquals(REPLAYS, same, "replays of " + verdict + ": " + outcomes);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theCorrectMirrorPassesTheSameExploration() {
        IntervalMirror.RETRIES.set(0);
        Launch.Result explored = Launch.run(MirrorRaces.class, "withRetry");
        assertEquals(List.of(), explored.failures());
        assertTrue(explored.passed() > 0 && explored.skipped() == 0, explored.toString());
        assertTrue(IntervalMirror.RETRIES.get() > 0, "no interleaving of " + explored.passed()
                + " made the mirror retry a fault: the exploration never met the race");
        System.out.printf("explore: correct mirror passed %d interleavings in %d ms, %d of its faults retried%n",
                explored.passed(), explored.millis(), IntervalMirror.RETRIES.get());
    }

    /** Runs the test in {@code n} fresh JVMs of this one's kind, two at a time; each one's verdict. */
    private static List<String> replayInFreshJvms(Path recording, int n) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments()); // Fray's agents among them
        command.add("-XX:TieredStopAtLevel=1"); // a short run: starts faster
        command.add("-Dexplore.replay=" + recording.toAbsolutePath());
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(ReplayMain.class.getName());
        command.add(MirrorRaces.class.getName());
        command.add("missingRetry");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Path log = recording.resolveSibling("replay-" + i + ".log");
                runs.add(pool.submit(() -> replayOnce(command, log)));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : runs) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String replayOnce(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "hung (" + log + ")";
        }
        String out = Files.readString(log);
        int at = out.indexOf(ReplayMain.FAILED);
        return at < 0 ? "did not fail (" + log + ")" : Launch.Verdict.of(out.substring(at)).toString();
    }

    private static void copy(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            try (Stream<Path> old = Files.walk(to)) {
                old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
    }
}
