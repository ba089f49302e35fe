package org.mmunotifier.drivers.kvm.internal;

import java.util.Map;
import java.util.List;
import org.mmunotifier.api.ConfigValues;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.DeviceAttach;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/** Gives every new process a VM over its memory at {@code attachAddress} and runs its vCPUs. */
@Component(service = ProcessListener.class, configurationPid = KvmDriver.PID)
public final class KvmAttach extends DeviceAttach<Vm> {
    private final KvmDriver kvm;

    @Activate
    public KvmAttach(@Reference KvmDriver kvm, Map<String, ?> properties) {
        this(kvm, KvmDriver.attachRegion(ConfigValues.lenient(KvmDriver.PID, KvmDriver.Config.class, properties, ConfigValues.quiet())));
    }

    KvmAttach(KvmDriver kvm, AttachRegion region) {
        super(region);
        this.kvm = kvm;
    }

    /** A bad setting (the driver reports it) changes nothing. */
    @Modified
    void modified(Map<String, ?> properties) {
        KvmDriver.Config config = ConfigValues.changed(KvmDriver.PID, KvmDriver.Config.class, properties, ConfigValues.quiet());
        if (config != null) {
            reconfigure(KvmDriver.attachRegion(config));
        }
    }

    @Override
    protected void attach(int pid, MmStruct mm, AttachRegion region) {
        Vm vm = kvm.createVm(mm, region.address(), region.pages());
        try {
            kvm.run(vm, pid);
        } catch (IllegalArgumentException e) {
            // the process exited meanwhile and exiting() destroyed the VM
        }
    }

    @Override
    protected List<Vm> contextsOf(MmStruct mm) {
        return kvm.vms().stream().filter(vm -> vm.mm().id() == mm.id()).toList();
    }

    @Override
    protected void detach(Vm vm) {
        kvm.destroyVm(vm);
    }
}
