package org.mmunotifier.explore;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs one {@link Explore} test through a JUnit launcher of its own (in this JVM, or in a fresh one
 * by {@link ReplayMain}) and tells how its iterations ended: what surefire would only count.
 */
final class Launch {
    private static final Pattern RULE = Pattern.compile("violation #\\d+: (\\w+) by ");
    private static final Pattern ADDRESS = Pattern.compile("\\n\\w+ at (0x[0-9a-f]+) of mm \\d+");

    /** How the iterations of one run ended. */
    record Result(int passed, int skipped, List<Throwable> failures, long millis) {
        /** The iteration that failed, counting from 1 (the ones after it are skipped). */
        int failedAt() {
            return passed + 1;
        }
    }

    /** The rule and address of a failure's first violation, as its report names them. */
    record Verdict(String rule, String address) {
        static Verdict of(String message) {
            Matcher r = RULE.matcher(message);
            Matcher a = ADDRESS.matcher(message);
            return new Verdict(r.find() ? r.group(1) : null, a.find() ? a.group(1) : null);
        }
    }

    private Launch() {
    }

    static Result run(Class<?> tests, String method) {
        return run(tests, method, Map.of());
    }

    /** Runs {@code tests#method} with {@code properties} set meanwhile (each one reset after). */
    static Result run(Class<?> tests, String method, Map<String, String> properties) {
        Map<String, String> before = new java.util.HashMap<>();
        properties.forEach((k, v) -> before.put(k, System.setProperty(k, v)));
        try {
            List<Throwable> failures = new ArrayList<>();
            int[] counts = new int[2];
            Launcher launcher = LauncherFactory.create();
            long t0 = System.nanoTime();
            launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectMethod(tests, method)).build(),
                    new TestExecutionListener() {
                        @Override
                        public void executionSkipped(TestIdentifier test, String reason) {
                            if (test.isTest()) {
                                counts[1]++;
                            }
                        }

                        @Override
                        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                            if (!test.isTest()) {
                                result.getThrowable().ifPresent(failures::add); // a container that failed
                            } else if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                                counts[0]++;
                            } else {
                                failures.add(result.getThrowable().orElse(new AssertionError(result)));
                            }
                        }
                    });
            return new Result(counts[0], counts[1], failures, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }
}
