package org.mmunotifier.drivers.kvm.internal;

import java.util.List;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.mutants.Rig;
import org.mmunotifier.testkit.DemoLayout;
import org.mmunotifier.testkit.DeviceLoop;
import org.mmunotifier.testkit.TestMachine;

/**
 * The KVM driver on the kit's machine, as QEMU uses it: every process gets a VM over its region 0
 * with 2 vCPUs running. A VM outlives its process's mm, as a VM's file outlives {@code exit_mm}
 * ({@code do_exit} closes files after): the exit's {@code release} empties it and its vCPUs stop
 * by themselves; it is destroyed ({@code mmu_notifier_unregister}) at the next spawn or at the
 * driver's deactivation.
 */
public final class KvmRig implements Rig {
    private KvmDriver kvm;

    @Override
    public List<DeviceLoop> start(TestMachine machine, String bug) {
        kvm = new KvmDriver(machine.oracle(), 2);
        kvm.bug = KvmBug.valueOf(bug);
        machine.attach(new ProcessListener() {
            @Override
            public void spawned(int pid, MmStruct mm) {
                destroyReleased();
                try {
                    Vm vm = kvm.createVm(mm, DemoLayout.region(0), DemoLayout.REGION_PAGES);
                    kvm.run(vm, pid);
                } catch (MmDeadException e) {
                    // it exited before we got to it
                }
            }

            @Override
            public void exiting(int pid, MmStruct mm) {
                // the exit's release reaches the VM; its file is closed later
            }
        });
        return List.of(); // the vCPUs are the device
    }

    private void destroyReleased() {
        for (Vm vm : kvm.vms()) {
            if (vm.isReleased()) {
                try {
                    kvm.destroyVm(vm);
                } catch (IllegalArgumentException goneMeanwhile) {
                    // another spawn (forks run concurrently) destroyed it first
                }
            }
        }
    }

    @Override
    public void stop() {
        kvm.deactivate();
    }

    @Override
    public long accesses() {
        return kvm.counters().snapshot().accesses();
    }

    @Override
    public List<String> knobs() {
        return Rig.knobs(KvmBug.values());
    }
}
