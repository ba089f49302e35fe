package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.ConfigValues;
import java.util.Map;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The machine: physical memory, processes and the notifier core. Every other core component
 * works on it. A new configuration builds a new machine (every process of the old one exits).
 */
@Component(service = MachineService.class, configurationPid = MachineService.PID, immediate = true)
@Designate(ocd = MachineService.Config.class)
public final class MachineService {
    public static final String PID = "org.mmunotifier.core";
    static final int MIN_FRAMES = 64;
    static final int MAX_FRAMES = 1 << 22;

    @ObjectClassDefinition(name = "mmu-notifier machine", description = "The simulated machine the drivers mirror")
    public @interface Config {
        @AttributeDefinition(name = "Frames", description = "Physical page frames (64..4194304)",
                min = "" + MIN_FRAMES, max = "" + MAX_FRAMES)
        @ConfigValues.Range(min = MIN_FRAMES, max = MAX_FRAMES)
        int frames() default 8192;

        @AttributeDefinition(name = "Page layout", description = "BITS_64, or BITS_32 where PG_external_rmap does not"
                + " exist and rmap notifiers cannot be registered")
        PageLayout layout() default PageLayout.BITS_64;
    }

    private final Machine machine;

    @Activate
    public MachineService(Map<String, ?> properties) {
        // A bad value is reported and its default applies: the machine is there for every command.
        Config config = ConfigValues.lenient(PID, Config.class, properties, ConfigValues.warnings(MachineService.class));
        int frames = config.frames();
        if (frames < MIN_FRAMES || frames > MAX_FRAMES) {
            throw new IllegalArgumentException("frames=" + frames + " is out of range: " + MIN_FRAMES + ".." + MAX_FRAMES);
        }
        machine = new Machine(frames, config.layout());
    }

    public Machine machine() {
        return machine;
    }

    /** Every process exits (notifiers still registered get {@code release}), then the machine closes. */
    @Deactivate
    void deactivate() {
        for (Process p : machine.processes()) {
            if (p.isAlive()) {
                p.exit();
            }
        }
        machine.close();
    }
}
