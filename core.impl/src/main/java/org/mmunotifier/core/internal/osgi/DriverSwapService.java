package org.mmunotifier.core.internal.osgi;

import org.mmunotifier.api.runtime.Drivers;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link Drivers} for operators' tools outside the shell (the web page): a driver bundle updated from its own jar by
 * the {@link DriverSwapper} that {@code mmu:swap} uses (one swap at a time, whoever asks); a bundle that is not a
 * driver is refused.
 */
@Component(service = Drivers.class)
public final class DriverSwapService implements Drivers {
    private final DriverSwapper swapper;

    @Activate
    public DriverSwapService(@Reference BundleOwners owners, BundleContext context) {
        this.swapper = new DriverSwapper(context, owners);
    }

    @Override
    public Swap update(String driver) {
        if (driver == null || driver.isBlank()) {
            throw new IllegalArgumentException("no driver named: give a bundle id, a symbolic name, or kvm/rdma/gru");
        }
        Bundle b = swapper.bundle(driver);
        if (b.getBundleId() != 0 && !swapper.isDriver(b)) {
            throw new IllegalArgumentException(DriverSwapper.notADriver(b) + ": only drivers are swapped here");
        }
        return swapper.update(b, null, false);
    }
}
