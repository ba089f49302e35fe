package org.mmunotifier.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test (class or method) that gets a fresh simulated machine: declare a {@link TestMachine}
 * parameter on the test method (or on {@code @BeforeEach}). Each test gets its own machine, made
 * to these settings, and closed after the test (every process exited, as the core exits them):
 *
 * <pre>{@code
 * @MmuTest(contract = "6.x", driver = "com.example.mirror")
 * class MirrorTest {
 *     @Test
 *     void staysCoherent(TestMachine machine) {
 *         TestProcess p = machine.spawnDemo();
 *         ...
 *         machine.assertClean();
 *     }
 * }
 * }</pre>
 *
 * On a method it overrides the class's settings.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(MmuTestExtension.class)
public @interface MmuTest {
    /** Physical frames of the machine (4 KiB each). */
    int frames() default 512;

    /**
     * The page-flag layout: {@code 64} (a 64-bit kernel, every flag) or {@code 32} (a 32-bit one,
     * where {@code PG_external_rmap} does not exist).
     */
    int layoutBits() default 64;

    /**
     * The kernel contract the test's notifiers get unless they declare their own
     * ({@code MmuNotifier.contract()}): {@code seed}, {@code 2.6.27} or {@code 6.x}.
     */
    String contract() default "6.x";

    /** Strict oracle (per registration: windows, stale translations); false for the lenient rules. */
    boolean strict() default true;

    /** The name the test's registrations go by: what violations, faults and stalls name as the bundle. */
    String driver() default "driver under test";
}
