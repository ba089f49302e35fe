package org.mmunotifier.drivers.gru.internal;

import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Opens a GRU context on every new process's memory at {@code attachAddress}, for the instruction
 * threads to work on; when the process exits, closes every context the driver has on its mm. Does
 * nothing if {@code attach} is false.
 */
@Component(service = ProcessListener.class, configurationPid = GruDriver.PID)
public final class GruAttach implements ProcessListener {
    private final GruDriver gru;
    private final AttachSettings settings;

    @Activate
    public GruAttach(@Reference GruDriver gru, GruDriver.Config config) {
        this(gru, AttachSettings.of(config));
    }

    GruAttach(GruDriver gru, AttachSettings settings) {
        this.gru = gru;
        this.settings = settings;
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        try {
            gru.open(mm, settings.address(), settings.end());
        } catch (MmDeadException e) {
            // the process exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        for (GruContext ctx : gru.contexts()) {
            if (ctx.mm().id() == mm.id()) {
                try {
                    gru.close(ctx);
                } catch (IllegalArgumentException e) {
                    // closed meanwhile (by an operator, or by deactivation)
                }
            }
        }
    }
}
