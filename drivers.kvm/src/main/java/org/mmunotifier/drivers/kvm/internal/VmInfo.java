package org.mmunotifier.drivers.kvm.internal;

/**
 * One VM as the {@code kvm} commands show it: its id, the mm its guest memory belongs to, the host
 * address and size of its memslot, vCPU threads started and not stopped, shadow ptes present, and
 * whether its process exited (or it was destroyed) and released it.
 */
public record VmInfo(int id, long mm, String hva, long pages, int vcpus, int mapped, boolean released) {

    static VmInfo of(Vm vm) {
        Memslot slot = vm.memslot();
        return new VmInfo(vm.id(), vm.mm().id(), "0x" + Long.toHexString(slot.hva()), slot.pages(), vm.vcpuCount(),
                vm.mappedPages(), vm.isReleased());
    }
}
