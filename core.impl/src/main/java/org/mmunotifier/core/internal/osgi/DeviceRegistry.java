package org.mmunotifier.core.internal.osgi;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceCountersProvider;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The {@link DeviceCountersProvider} whiteboard: every driver's device counters, by the bundle
 * that published them. A provider is a driver's code: a {@code counters()} that throws is shown
 * as such, never passed on.
 */
@Component(service = DeviceRegistry.class)
public final class DeviceRegistry {
    /** One driver's counters at one moment, or why there are none. */
    public record Device(long bundleId, String bundle, DeviceCounters.Snapshot counters, String problem) {
    }

    private record Published(long bundleId, String bundle, DeviceCountersProvider provider) {
    }

    private final Map<DeviceCountersProvider, Published> providers = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void add(DeviceCountersProvider provider, ServiceReference<DeviceCountersProvider> ref) {
        Bundle b = ref.getBundle();
        providers.put(provider, new Published(b == null ? -1 : b.getBundleId(), b == null ? "(gone)"
                : BundleOwners.name(b), provider));
    }

    void remove(DeviceCountersProvider provider) {
        providers.remove(provider);
    }

    /** Every published driver's counters now, by bundle id. */
    public List<Device> devices() {
        return providers.values().stream().sorted(Comparator.comparingLong(Published::bundleId)).map(p -> {
            try {
                return new Device(p.bundleId(), p.bundle(), p.provider().counters().snapshot(), "");
            } catch (RuntimeException e) {
                return new Device(p.bundleId(), p.bundle(), null, "counters() threw " + e);
            }
        }).toList();
    }

    /** The counters bundle {@code bundleId} publishes now, or null. */
    public DeviceCounters.Snapshot of(long bundleId) {
        return devices().stream().filter(d -> d.bundleId() == bundleId && d.counters() != null).findFirst()
                .map(Device::counters).orElse(null);
    }
}
