package org.mmunotifier.drivers.gru.internal;

import org.mmunotifier.api.ConfigValues;
import java.util.Map;
import java.util.List;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.DeviceAttach;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/** Opens a GRU context on every new process over its memory at {@code attachAddress}. */
@Component(service = ProcessListener.class, configurationPid = GruDriver.PID)
public final class GruAttach extends DeviceAttach<GruContext> {
    private final GruDriver gru;

    @Activate
    public GruAttach(@Reference GruDriver gru, Map<String, ?> properties) {
        this(gru, GruDriver.attachRegion(ConfigValues.lenient(GruDriver.PID, GruDriver.Config.class, properties,
                ConfigValues.quiet())));
    }

    GruAttach(GruDriver gru, AttachRegion region) {
        super(region);
        this.gru = gru;
    }

    /** A bad setting (the driver reports it) changes nothing. */
    @Modified
    void modified(Map<String, ?> properties) {
        GruDriver.Config config = ConfigValues.changed(GruDriver.PID, GruDriver.Config.class, properties, ConfigValues.quiet());
        if (config == null) {
            return; // the driver reports it
        }
        reconfigure(GruDriver.attachRegion(config));
    }

    @Override
    protected void attach(int pid, MmStruct mm, AttachRegion region) {
        gru.open(mm, region.address(), region.end());
    }

    @Override
    protected List<GruContext> contextsOf(MmStruct mm) {
        return gru.contexts().stream().filter(c -> c.mm().id() == mm.id()).toList();
    }

    @Override
    protected void detach(GruContext ctx) {
        gru.close(ctx);
    }
}
