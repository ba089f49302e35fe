package org.mmunotifier.mutants;

import java.util.function.Supplier;
import org.mmunotifier.drivers.gru.internal.GruRig;
import org.mmunotifier.drivers.kvm.internal.KvmRig;
import org.mmunotifier.drivers.rdma.internal.RdmaRig;
import org.mmunotifier.mutants.mirror.MirrorRig;
import org.mmunotifier.testkit.TestMachine;

/** The drivers the catalogue plants bugs in, each on the contract its bundle requires. */
public enum Driver {
    KVM("org.mmunotifier.drivers.kvm", "6.x", KvmRig::new),
    RDMA("org.mmunotifier.drivers.rdma", "6.x", RdmaRig::new),
    GRU("org.mmunotifier.drivers.gru", "2.6.27", GruRig::new),
    /** A minimal HMM-style mirror over an interval subscription ({@code lib/test_hmm.c}'s dmirror, reduced). */
    MIRROR("org.mmunotifier.mutants.mirror", "6.x", MirrorRig::new);

    /** The name its registrations go by in every report (its bundle's symbolic name). */
    public final String bundle;
    /** The kernel contract it is written against. */
    public final String contract;
    private final Supplier<Rig> rig;

    Driver(String bundle, String contract, Supplier<Rig> rig) {
        this.bundle = bundle;
        this.contract = contract;
        this.rig = rig;
    }

    /** A fresh machine for it: the kit's defaults (512 frames, strict oracle), its contract and name. */
    TestMachine machine() {
        return TestMachine.create(TestMachine.settings().contract(contract).driver(bundle));
    }

    Rig rig() {
        return rig.get();
    }
}
