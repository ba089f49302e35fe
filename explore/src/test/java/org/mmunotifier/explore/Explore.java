package org.mmunotifier.explore;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test Fray runs {@link #iterations()} times under its controlled scheduler (POS), one
 * interleaving of the test's threads each time, stopping at the first failing one. Fray's own
 * {@code @ConcurrencyTest}, but driven by system properties, so that a printed failure can be run
 * again from the command line:
 * <ul>
 * <li>{@code explore.replay=DIR}: run once, feeding the scheduler the random choices recorded in
 * {@code DIR/random.json} (what a failure prints); only for the test that recorded them.
 * <li>{@code explore.seed=N}: the seed of the scheduler's random choices, iteration by iteration
 * (otherwise drawn and printed with a failure).
 * <li>{@code explore.iterations=N}: overrides {@link #iterations()}.
 * </ul>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@TestTemplate
@Tag("fray")
@ExtendWith(ExploreExtension.class)
public @interface Explore {
    /** Interleavings to try (each a fresh run of the test body). */
    int iterations() default 1000;
}
