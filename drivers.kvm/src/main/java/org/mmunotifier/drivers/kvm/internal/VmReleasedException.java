package org.mmunotifier.drivers.kvm.internal;

/** The VM's process exited and {@code release} dropped its guest memory: no more guest accesses. */
public class VmReleasedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    VmReleasedException(String vm) {
        super(vm + " was released: its process exited");
    }
}
