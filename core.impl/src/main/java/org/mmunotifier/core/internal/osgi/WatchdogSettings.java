package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.ConfigValues;
import java.util.Map;
import org.mmunotifier.core.internal.notifier.StallPolicy;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The stall watchdog's settings (PID {@value #PID}), applied to the running machine at once: how
 * long a driver may hold the core up before it is reported, and before the core stops waiting
 * for it. A bad value is refused with a message naming it, and the settings stay as they were.
 */
@Component(configurationPid = WatchdogSettings.PID, immediate = true)
@Designate(ocd = WatchdogSettings.Config.class)
public final class WatchdogSettings {
    public static final String PID = "org.mmunotifier.core.watchdog";

    @ObjectClassDefinition(name = "mmu-notifier stall watchdog",
            description = "How long a driver may hold the core up before it is reported, and before the core stops"
                    + " waiting for it")
    public @interface Config {
        @AttributeDefinition(name = "Stall threshold (ms)", description = "A driver callback, grace period, process"
                + " listener call or bundle stop that lasts longer is reported once, naming the bundle ("
                + StallPolicy.MIN_MILLIS + ".." + StallPolicy.MAX_MILLIS + ")",
                min = "" + StallPolicy.MIN_MILLIS, max = "" + StallPolicy.MAX_MILLIS)
        @ConfigValues.Range(min = StallPolicy.MIN_MILLIS, max = StallPolicy.MAX_MILLIS)
        long stallMillis() default StallPolicy.DEFAULT_STALL_MILLIS;

        @AttributeDefinition(name = "Give up after (ms)", description = "A core wait on a stuck driver (unregister,"
                + " exit, a bundle's cleanup, registration on a wedged mm) gives up after this long, so that nothing a"
                + " driver does hangs the machine; not below the stall threshold (" + StallPolicy.MIN_MILLIS + ".."
                + StallPolicy.MAX_MILLIS + ")", min = "" + StallPolicy.MIN_MILLIS, max = "" + StallPolicy.MAX_MILLIS)
        @ConfigValues.Range(min = StallPolicy.MIN_MILLIS, max = StallPolicy.MAX_MILLIS)
        long giveUpMillis() default StallPolicy.DEFAULT_GIVE_UP_MILLIS;
    }

    private static final java.util.function.Consumer<String> REPORT = ConfigValues.warnings(WatchdogSettings.class);
    private final StallPolicy policy;

    @Activate
    public WatchdogSettings(@Reference MachineService machine, Map<String, ?> properties) {
        this.policy = machine.machine().notifierCore().stallPolicy();
        Config config = ConfigValues.lenient(PID, Config.class, properties, REPORT);
        apply(config.stallMillis(), config.giveUpMillis());
    }

    /** A bad value is reported and changes nothing. */
    @Modified
    void modified(Map<String, ?> properties) {
        Config config = ConfigValues.changed(PID, Config.class, properties, REPORT);
        if (config != null) {
            apply(config.stallMillis(), config.giveUpMillis());
        }
    }

    private void apply(long stallMillis, long giveUpMillis) {
        try {
            policy.set(stallMillis, giveUpMillis);
        } catch (IllegalArgumentException e) {
            REPORT.accept(PID + ": " + e.getMessage() + "; nothing changed");
        }
    }
}
