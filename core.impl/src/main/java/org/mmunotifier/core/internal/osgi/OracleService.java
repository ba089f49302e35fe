package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.PageFrames;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.core.internal.mm.Machine;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The machine's coherence oracle and page frames, as services for the drivers. */
@Component(service = {CoherenceOracle.class, PageFrames.class})
public final class OracleService implements CoherenceOracle, PageFrames {
    private final Machine machine;

    @Activate
    public OracleService(@Reference MachineService machine) {
        this.machine = machine.machine();
    }

    @Override
    public DeviceAccess device(MmuNotifier notifier, MmStruct mm) {
        return machine.oracle().device(notifier, mm);
    }

    @Override
    public DeviceAccess device(MmuIntervalSubscription subscription) {
        return machine.oracle().device(subscription);
    }

    @Override
    public DeviceAccess device(MmuRmapNotifier notifier, MmStruct mm) {
        return machine.oracle().device(notifier, mm);
    }

    @Override
    public long violationCount() {
        return machine.oracle().violationCount();
    }

    @Override
    public Page page(long pfn) {
        return machine.memory().page(pfn);
    }

    @Override
    public int frameCount() {
        return machine.memory().frameCount();
    }
}
