package org.mmunotifier.drivers.gru.internal;

import java.util.List;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.mutants.Rig;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;

/**
 * The GRU driver on the kit's machine, with its defaults (64 TLB entries, a flush threshold of 16
 * pages, 2 instruction threads): its attach component opens a context over every process's
 * region 0, and closes it when the process exits.
 */
public final class GruRig implements Rig {
    private GruDriver gru;

    @Override
    public List<DeviceLoop> start(TestMachine machine, String bug) {
        gru = new GruDriver(machine.oracle(), machine.notifiers(), 64, 16, 2);
        gru.bug = GruBug.valueOf(bug);
        machine.attach(new GruAttach(gru, new AttachRegion(true, DemoLayout.region(0), DemoLayout.REGION_PAGES)));
        gru.startInstructions(1);
        return List.of(); // the instruction threads are the device
    }

    @Override
    public void stop() {
        gru.deactivate();
    }

    @Override
    public long accesses() {
        return gru.counters().snapshot().accesses();
    }

    @Override
    public List<String> knobs() {
        return Rig.knobs(GruBug.values());
    }
}
