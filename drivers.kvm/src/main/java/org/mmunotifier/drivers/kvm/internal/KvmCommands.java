package org.mmunotifier.drivers.kvm.internal;

import java.util.Map;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.mmunotifier.api.ConfigValues;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.AttachRegion;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.Processes;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code kvm} shell scope: list, create and destroy VMs, and the driver's counters. A command
 * checks its arguments before it creates anything; a bad one fails with a one-line message.
 */
@Component(service = KvmCommands.class, configurationPid = KvmDriver.PID, property = {"osgi.command.scope=kvm",
        "osgi.command.function=vms", "osgi.command.function=create", "osgi.command.function=destroy",
        "osgi.command.function=counters"})
public final class KvmCommands {
    private final KvmDriver kvm;
    private final Processes processes;
    private final KvmDriver.Config config;

    @Activate
    public KvmCommands(@Reference KvmDriver kvm, @Reference Processes processes, Map<String, ?> properties) {
        this.kvm = kvm;
        this.processes = processes;
        this.config = ConfigValues.lenient(KvmDriver.PID, KvmDriver.Config.class, properties, ConfigValues.quiet()); // checked when a command needs a default from it
    }

    @Descriptor("list the VMs")
    public List<VmInfo> vms() {
        return kvm.vms().stream().sorted(Comparator.comparingInt(Vm::id)).map(VmInfo::of).toList();
    }

    @Descriptor("create a VM over a process's memory at the attach address (attachPages pages) and run its vCPUs")
    public VmInfo create(@Descriptor("pid") int pid) {
        AttachRegion defaults = KvmDriver.attachRegion(config);
        return createAndRun(pid, defaults.address(), defaults.pages());
    }

    @Descriptor("create a VM over a process's memory at an address (attachPages pages) and run its vCPUs")
    public VmInfo create(@Descriptor("pid") int pid,
            @Descriptor("host address of the guest memory (0x-hex or decimal, page aligned)") String address) {
        long hva = Addresses.parse(address);
        return createAndRun(pid, hva, KvmDriver.attachRegion(config).pages());
    }

    @Descriptor("create a VM over pages of a process's memory at an address and run its vCPUs")
    public VmInfo create(@Descriptor("pid") int pid,
            @Descriptor("host address of the guest memory (0x-hex or decimal, page aligned)") String address,
            @Descriptor("guest pages") int pages) {
        return createAndRun(pid, Addresses.parse(address), pages);
    }

    private VmInfo createAndRun(int pid, long hva, int pages) {
        MmStruct mm = processes.mm(pid);
        Vm vm = kvm.createVm(mm, hva, pages); // checks the memslot before it registers anything
        kvm.run(vm, pid);
        return VmInfo.of(vm);
    }

    @Descriptor("destroy a VM: stop its vCPUs and unregister it from its process")
    public VmInfo destroy(@Descriptor("VM id") int id) {
        Vm vm = kvm.vm(id);
        kvm.destroyVm(vm);
        return VmInfo.of(vm);
    }

    @Descriptor("the driver's counters: mappings, invalidations, zapped pages, retries, faults, accesses")
    public DeviceCounters.Snapshot counters() {
        return kvm.counters().snapshot();
    }
}
