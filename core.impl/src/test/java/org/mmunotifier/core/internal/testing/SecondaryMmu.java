package org.mmunotifier.core.internal.testing;

import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmBusyException;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;

/**
 * What the test drivers share: a registration on one mm made at construction, the oracle's
 * device for it, a fault that gives up quietly where a real device would (unmapped, exited, busy,
 * out of memory), and an unregister at teardown that tolerates exit having released it first.
 */
abstract class SecondaryMmu implements MmuNotifier, DeviceFleet.Device {
    final String name;
    final MmStruct mm;
    private final CoherenceOracle oracle;
    private volatile DeviceAccess device;

    SecondaryMmu(String name, MmStruct mm, CoherenceOracle oracle) {
        this.name = name;
        this.mm = mm;
        this.oracle = oracle;
    }

    /**
     * Registers on the mm. Call it last in the subclass's constructor: callbacks may come at once,
     * and must find the subclass's fields set.
     */
    final void register() {
        mm.register(this);
        device = oracle.device(this, mm);
    }

    /** The page at {@code page} from the primary, or null if the device's fault would fail. */
    final MappedFrame fault(long page, boolean write) {
        try {
            return mm.faultRange(page, page + Addresses.PAGE_SIZE, write)[0];
        } catch (SegmentationFaultException | MmDeadException | MmBusyException | OutOfMemoryException e) {
            return null;
        }
    }

    /** The device's access through {@code f}. */
    final void transfer(MappedFrame f, boolean write, long value) {
        if (write) {
            device.write(f, value);
        } else {
            device.read(f);
        }
    }

    /** The last step of a teardown: unregister, unless exit already released the registration. */
    final void unregister() {
        try {
            mm.unregister(this);
        } catch (NotRegisteredException e) {
            // exit released it first
        }
    }
}
