package org.mmunotifier.mutants.mirror;

import java.util.List;
import org.mmunotifier.mutants.Rig;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;

/** The minimal mirror on the kit's machine: two device loops access through it while the workload runs. */
public final class MirrorRig implements Rig {
    private MirrorDriver driver;

    @Override
    public List<DeviceLoop> start(TestMachine machine, String bug) {
        driver = new MirrorDriver(machine.oracle(), MiniMirror.Bug.valueOf(bug));
        machine.attach(driver);
        DeviceLoop loop = driver::step;
        return List.of(loop, loop);
    }

    @Override
    public void stop() {
        driver.deactivate();
    }

    @Override
    public long accesses() {
        return driver.accesses();
    }

    @Override
    public List<String> knobs() {
        return Rig.knobs(MiniMirror.Bug.values());
    }
}
