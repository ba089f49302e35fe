package org.mmunotifier.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A driver's device counters, for the operator: publish the driver component as a service of this
 * type too ({@code @Component(service = {MyDriver.class, DeviceCountersProvider.class})}) and the
 * core shows them by bundle ({@code mmu:devices}, the scenario report), next to what it counts
 * itself (accesses the oracle checked, violations, faults, stalls).
 */
@ConsumerType
public interface DeviceCountersProvider {
    /** The live counters (the core takes snapshots of them). */
    DeviceCounters counters();
}
