package org.mmunotifier.core.internal.osgi;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.runtime.MachineStats;

/**
 * The launcher's compact live status: rates since the previous sample (the primary's operations
 * and invalidations, the devices' accesses, faults and retries), and the totals that must stay zero.
 * It also adds up the device work it saw, for the scenario report.
 */
final class StatusLine {
    private long lastNanos = System.nanoTime();
    private long lastOps;
    private long lastInvalidations;
    private boolean idle;
    /** Each driver's counters at the previous sample, by bundle id. */
    private Map<Long, DeviceCounters.Snapshot> lastDevices = Map.of();
    private final long[] deviceWork = new long[3]; // accesses, faults, retries since the first sample

    /** Device work added up over the samples: a driver that restarted counts from 0 again. */
    record DeviceWork(long accesses, long faults, long retries) {
    }

    /** Takes the drivers' counters as they are now as the base the first sample counts from. */
    void baseline(List<DeviceRegistry.Device> devices) {
        Map<Long, DeviceCounters.Snapshot> now = new HashMap<>();
        for (DeviceRegistry.Device d : devices) {
            if (d.counters() != null) {
                now.put(d.bundleId(), d.counters());
            }
        }
        lastDevices = now;
    }

    String sample(MachineStats s, List<DeviceRegistry.Device> devices) {
        long now = System.nanoTime();
        double secs = Math.max(1e-9, (now - lastNanos) / 1e9);
        // A workload started since the last sample counts from 0 again (mmu:demo stop, start).
        long opsSince = since(lastOps, s.workloadOps());
        double ops = opsSince / secs;
        double inv = (s.invalidations() - lastInvalidations) / secs;
        long[] dev = new long[3];
        Map<Long, DeviceCounters.Snapshot> seen = new HashMap<>();
        for (DeviceRegistry.Device d : devices) {
            if (d.counters() == null) {
                continue;
            }
            DeviceCounters.Snapshot was = lastDevices.get(d.bundleId());
            DeviceCounters.Snapshot c = d.counters();
            dev[0] += since(was == null ? 0 : was.accesses(), c.accesses());
            dev[1] += since(was == null ? 0 : was.faults(), c.faults());
            dev[2] += since(was == null ? 0 : was.retries(), c.retries());
            seen.put(d.bundleId(), c);
        }
        for (int i = 0; i < 3; i++) {
            deviceWork[i] += dev[i];
        }
        idle = opsSince == 0 && s.invalidations() == lastInvalidations && dev[0] == 0;
        lastNanos = now;
        lastOps = s.workloadOps();
        lastInvalidations = s.invalidations();
        lastDevices = seen;
        return String.format("[mmu] %s ops/s  %s inval/s%s  procs %d  frames %d/%d  violations %d  faults %d"
                + "  stalls %d  calls into stopped bundles %d", human(ops), human(inv), devices.isEmpty() ? ""
                : "  dev " + human(dev[0] / secs) + " acc/s " + human(dev[1] / secs) + " flt/s " + human(dev[2] / secs)
                + " retry/s", s.processes(), s.framesInUse(), s.frames(), s.violations(), s.notifierFaults(), s.stalls(),
                s.callsIntoStoppedBundles());
    }

    /** What {@code now} counted since {@code last}; a counter that went back (a restart) counts from 0. */
    private static long since(long last, long now) {
        return now >= last ? now - last : now;
    }

    /** Whether nothing ran between the last two samples (no operation, invalidation or device access). */
    boolean idle() {
        return idle;
    }

    /** The device work seen by the samples so far (the first sample counts each driver from its start). */
    DeviceWork deviceWork() {
        return new DeviceWork(deviceWork[0], deviceWork[1], deviceWork[2]);
    }

    static String human(double v) {
        return v >= 1e6 ? String.format("%.1fM", v / 1e6) : v >= 1e3 ? String.format("%.1fk", v / 1e3)
                : String.format("%.0f", v);
    }
}
