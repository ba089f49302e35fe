package org.mmunotifier.explore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import kotlin.Unit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;
import org.mmunotifier.testkit.Race;
import org.pastalab.fray.core.RunContext;
import org.pastalab.fray.core.command.Configuration;
import org.pastalab.fray.core.command.ExecutionInfo;
import org.pastalab.fray.core.command.LambdaExecutor;
import org.pastalab.fray.core.command.NetworkDelegateType;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.core.observers.TimelineCoverageType;
import org.pastalab.fray.core.randomness.ControlledRandom;
import org.pastalab.fray.core.randomness.Randomness;
import org.pastalab.fray.core.randomness.RandomnessProvider;
import org.pastalab.fray.core.randomness.RecordedRandomProvider;
import org.pastalab.fray.core.scheduler.POSScheduler;
import org.pastalab.fray.junit.junit5.ConcurrencyTestInvocationContext;
import org.pastalab.fray.junit.junit5.FrayJupiterContext;

/**
 * Runs an {@link Explore} test as Fray's {@code FrayTestExtension} runs a {@code @ConcurrencyTest}
 * (the same per-iteration context), with the replay, the seed and the iteration count taken from
 * system properties instead of the annotation, one report directory per test, and the replay
 * instructions handed to the kit's {@link Race} ({@value Race#REPLAY_PROPERTY}).
 */
public final class ExploreExtension implements TestTemplateInvocationContextProvider {
    public static final String REPLAY = "explore.replay";
    public static final String SEED = "explore.seed";
    public static final String ITERATIONS = "explore.iterations";
    /** The file in a test's report directory naming the test, checked by a replay. */
    static final String TEST_FILE = "test";

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return AnnotationSupport.isAnnotated(context.getTestMethod(), Explore.class);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        if (!frayJvm()) {
            return Stream.of(disabled(context.getDisplayName(), "not on Fray's instrumented JDK (run it with the"
                    + " explore module: JDK25_HOME=... mvn verify -pl explore -am)"));
        }
        Method method = context.getRequiredTestMethod();
        String test = context.getRequiredTestClass().getName() + "#" + method.getName();
        Path reports = Path.of(System.getProperty("fray.workDir", "target/fray/fray-report"))
                .resolve(context.getRequiredTestClass().getName()).resolve(method.getName());
        String replay = System.getProperty(REPLAY);

        Configuration config;
        if (replay != null) {
            Path recording = Path.of(replay).toAbsolutePath();
            String recorded = read(recording.getParent().resolve(TEST_FILE));
            if (recorded != null && !recorded.equals(test)) {
                return Stream.of(disabled(context.getDisplayName(), "the replay " + recording + " is of " + recorded));
            }
            Path choicesFile = recording.resolve("random.json");
            if (!Files.isRegularFile(choicesFile)) {
                throw new IllegalArgumentException(REPLAY + "=" + replay + ": no recording there (" + choicesFile
                        + " is missing)");
            }
            Randomness choices = new RecordedRandomProvider(choicesFile.toString()).getRandomness();
            // One iteration (the provider is never asked), in a report directory of its own: the
            // recording replayed stays as it was.
            config = configuration(reports.resolveSibling(method.getName() + "-replay-" + ProcessHandle.current().pid()),
                    1, new POSScheduler(choices), new SeededRandomness(0), true);
            System.setProperty(Race.REPLAY_PROPERTY, "Replayed from " + recording + ".");
        } else {
            long seed = Long.getLong(SEED, new Random().nextLong());
            int iterations = Integer.getInteger(ITERATIONS, AnnotationSupport.findAnnotation(method, Explore.class)
                    .orElseThrow().iterations());
            SeededRandomness random = new SeededRandomness(seed);
            config = configuration(reports, iterations, new POSScheduler(random.getRandomness()), random, false);
            write(reports.resolve(TEST_FILE), test);
            System.setProperty(Race.REPLAY_PROPERTY, replayInstructions(test, reports.resolve("recording"), seed));
        }
        RunContext fray = new RunContext(config);
        FrayJupiterContext found = new FrayJupiterContext();
        return IntStream.rangeClosed(1, config.getIter()).mapToObj(
                i -> new ConcurrencyTestInvocationContext(i, context.getDisplayName(), fray, found));
    }

    /** What a failure prints: the command that replays it, and what else would. */
    static String replayInstructions(String test, Path recording, long seed) {
        return "Replay: Fray recorded this interleaving's scheduling choices in " + recording + "/random.json"
                + " (copy the directory: the next exploration of this test overwrites it). To run it again in a"
                + " fresh JVM:\n  JDK25_HOME=<a JDK 25> mvn -B verify -pl explore -am -Dsurefire.failIfNoSpecifiedTests=false"
                + " -Dtest='" + test + "' -D" + REPLAY + "=" + recording
                + "\nor repeat this whole exploration with -D" + SEED + "=" + seed + ".";
    }

    private static Configuration configuration(Path report, int iterations, POSScheduler scheduler,
            RandomnessProvider random, boolean replay) {
        return new Configuration(
                new ExecutionInfo(new LambdaExecutor(() -> Unit.INSTANCE), false, false, Integer.getInteger("explore.maxSteps", 1_000_000)),
                report, iterations, 600, scheduler, random,
                false, false, true, replay, false, false,
                NetworkDelegateType.NONE, SystemTimeDelegateType.NONE, 100_000L,
                true, false, false, false, false, false, TimelineCoverageType.RESOURCE_ORDERING);
    }

    private static boolean frayJvm() {
        String release = read(Path.of(System.getProperty("java.home"), "release"));
        return release != null && release.contains("IMPLEMENTOR=Fray");
    }

    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TestTemplateInvocationContext disabled(String name, String reason) {
        return new TestTemplateInvocationContext() {
            @Override
            public String getDisplayName(int invocationIndex) {
                return name + " (skipped)";
            }

            @Override
            public List<Extension> getAdditionalExtensions() {
                List<Extension> l = new ArrayList<>();
                l.add((ExecutionCondition) c -> ConditionEvaluationResult.disabled(reason));
                return l;
            }
        };
    }

    /** Each iteration's scheduling choices from a random seeded by {@code seed}, in order. */
    private static final class SeededRandomness implements RandomnessProvider {
        private final Random seeds;

        SeededRandomness(long seed) {
            this.seeds = new Random(seed);
        }

        @Override
        public Randomness getRandomness() {
            return new ControlledRandom(new ArrayList<>(), new ArrayList<>(), new Random(seeds.nextLong()));
        }
    }
}
