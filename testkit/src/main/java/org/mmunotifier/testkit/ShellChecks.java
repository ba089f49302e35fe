package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.function.Supplier;
import org.apache.felix.service.command.Descriptor;
import org.mmunotifier.api.DeviceCounters;

/** Checks of Gogo shell scopes. */
public final class ShellChecks {
    private ShellChecks() {
    }

    /** Every public method of {@code commands} (a command) and each of its parameters carry a {@link Descriptor}. */
    public static void assertEveryCommandAndParameterIsDescribed(Class<?> commands) {
        for (Method m : commands.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers())) {
                assertNotNull(m.getAnnotation(Descriptor.class), m.toString());
                for (Parameter param : m.getParameters()) {
                    assertNotNull(param.getAnnotation(Descriptor.class), param + " of " + m);
                }
            }
        }
    }

    /**
     * A scope's counters are its driver's: after the one device write to a page the caller made
     * they show one access, one fault and one mapping; after {@code unmap} of that page, one
     * invalidation that zapped it.
     */
    public static void assertCountersFollowOneWriteAndItsUnmap(Supplier<DeviceCounters.Snapshot> counters,
            Runnable unmap) {
        assertEquals(new DeviceCounters.Snapshot(1, 0, 0, 0, 1, 1), counters.get());
        unmap.run();
        DeviceCounters.Snapshot c = counters.get();
        assertEquals(1, c.invalidations());
        assertEquals(1, c.zapped());
    }
}
