package org.mmunotifier.drivers.kvm.internal;

import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gives every new process a VM over its memory at {@code attachAddress} and runs its vCPUs; when
 * the process exits, destroys every VM the driver has on its mm. Does nothing if {@code attach}
 * is false.
 */
@Component(service = ProcessListener.class, configurationPid = KvmDriver.PID)
public final class KvmAttach implements ProcessListener {
    private final KvmDriver kvm;
    private final AttachSettings settings;

    @Activate
    public KvmAttach(@Reference KvmDriver kvm, KvmDriver.Config config) {
        this(kvm, AttachSettings.of(config));
    }

    KvmAttach(KvmDriver kvm, AttachSettings settings) {
        this.kvm = kvm;
        this.settings = settings;
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        Vm vm;
        try {
            vm = kvm.createVm(mm, settings.address(), settings.pages());
        } catch (MmDeadException e) {
            return; // the process exited before we got to it
        }
        try {
            kvm.run(vm, pid);
        } catch (IllegalArgumentException e) {
            // the process exited meanwhile and exiting() destroyed the VM
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        if (!settings.enabled()) {
            return;
        }
        for (Vm vm : kvm.vms()) {
            if (vm.mm().id() == mm.id()) {
                try {
                    kvm.destroyVm(vm);
                } catch (IllegalArgumentException e) {
                    // destroyed meanwhile (by an operator, or by deactivation)
                }
            }
        }
    }
}
