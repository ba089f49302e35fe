package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MappedFrame;
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
    public long read(String device, MmStruct mm, MappedFrame frame) {
        return machine.oracle().read(device, mm, frame);
    }

    @Override
    public void write(String device, MmStruct mm, MappedFrame frame, long value) {
        machine.oracle().write(device, mm, frame, value);
    }

    @Override
    public long fetchAdd(String device, MmStruct mm, MappedFrame frame, long delta) {
        return machine.oracle().fetchAdd(device, mm, frame, delta);
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
