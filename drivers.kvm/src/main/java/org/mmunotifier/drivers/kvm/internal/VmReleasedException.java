package org.mmunotifier.drivers.kvm.internal;

/** The VM's process exited (or the VM was destroyed) and its guest memory was dropped: no more guest accesses. */
public class VmReleasedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    VmReleasedException(String vm) {
        super(vm + " was released: its process exited or it was destroyed");
    }
}
