package org.mmunotifier.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.DriverFault;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.ForcedCleanup;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.MachineStats;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.api.runtime.Stall;

class StatusReportTest {
    private static final String KVM = "org.mmunotifier.drivers.kvm 0.1.0 [7]";
    private static final String GRU = "org.mmunotifier.drivers.gru 0.1.0 [8]";
    private static final String THIRD = "third.party 1.0.0 [9]";

    private final List<Registration> registrations = List.of(
            new Registration(7, KVM, 1, "notifier KvmNotifier@1 on mm 1", "6.x"),
            new Registration(7, KVM, 2, "notifier KvmNotifier@2 on mm 2", "6.x"),
            new Registration(9, THIRD, 1, "interval [0x1000, 0x2000) of mm 1 -> X", "6.x"),
            new Registration(9, THIRD, -1, "rmap notifier Y", "6.x"));
    private final List<String> violations = IntStream.rangeClosed(1, 60).mapToObj(i -> "#" + i + " " + THIRD + " …")
            .toList();

    @Test
    void driversAreTheBundlesThatDeclareHoldOrCount() {
        List<StatusReport.BundleInfo> bundles = List.of(
                new StatusReport.BundleInfo(0, "org.apache.felix.framework", "7.0.5", "ACTIVE", 1, false),
                new StatusReport.BundleInfo(7, "org.mmunotifier.drivers.kvm", "0.1.0", "ACTIVE", 2, true),
                new StatusReport.BundleInfo(8, "org.mmunotifier.drivers.gru", "0.1.0", "RESOLVED", 3, true),
                new StatusReport.BundleInfo(9, "third.party", "1.0.0", "ACTIVE", 4, false),
                new StatusReport.BundleInfo(10, "counts.only", "1.0.0", "ACTIVE", 5, false));
        DeviceCounters kvm = new DeviceCounters();
        kvm.mapped();
        kvm.accessed();
        kvm.accessed();
        List<StatusReport.DriverRow> drivers = report(bundles, Map.of(7L, new StatusReport.Counters(kvm.snapshot(), ""),
                10L, new StatusReport.Counters(null, "counters() threw java.lang.IllegalStateException"))).drivers();

        assertEquals(List.of(7L, 8L, 9L, 10L), drivers.stream().map(StatusReport.DriverRow::id).toList());
        assertEquals(new StatusReport.DriverRow(7, "org.mmunotifier.drivers.kvm", "0.1.0", "ACTIVE", 2, 2, 2, 1, 0,
                new DeviceCounters.Snapshot(1, 0, 0, 0, 0, 2), ""), drivers.get(0));
        assertEquals(new StatusReport.DriverRow(8, "org.mmunotifier.drivers.gru", "0.1.0", "RESOLVED", 3, 0, 0, 0, 0,
                null, "publishes no counters"), drivers.get(1));
        assertEquals(1L, drivers.get(2).stalls());
        assertEquals(2L, drivers.get(2).mms(), "mm 1 and rmap");
        assertEquals("counters() threw java.lang.IllegalStateException", drivers.get(3).countersProblem());
    }

    @Test
    void processesShowTheirRegistrationsByBundleAndOnesThatExitedAreLeftOut() {
        assertEquals(List.of(new StatusReport.ProcessRow(1, 101, List.of()),
                new StatusReport.ProcessRow(2, 1, List.of(new StatusReport.Held(7, KVM, 1),
                        new StatusReport.Held(9, THIRD, 1)))),
                report(List.of(), Map.of()).processes(), "pid 3 exited between pids() and mm()");
    }

    @Test
    void registrationsAreGroupedByBundleWithTheirKinds() {
        List<StatusReport.BundleRegistrations> by = report(List.of(), Map.of()).registrations();
        assertEquals(2, by.size());
        assertEquals(new StatusReport.BundleRegistrations(9, THIRD, 2, Map.of("interval", 1, "rmap", 1),
                Set.of(-1L, 1L), Set.of("6.x")), by.get(1));
    }

    @Test
    void recentViolationsAreTheNewestFiftyWithTheWholeCount() {
        StatusReport.Recent v = report(List.of(), Map.of()).violations();
        assertEquals(61L, v.count(), "as the machine counts them (some forgotten)");
        assertEquals(violations.subList(10, 60), v.recent());
    }

    @Test
    void aStallIsShownWithoutItsStackButTheInnermostFrames() {
        assertEquals(List.of(new StatusReport.StallRow(1, Stall.Kind.CALLBACK, THIRD, "invalidate_range_start", "t",
                5000, false, "ended", List.of("a", "b", "c"))), report(List.of(), Map.of()).stalls().recent());
    }

    @Test
    void itIsWrittenAsJson() {
        String json = Json.write(report(List.of(), Map.of()));
        assertTrue(json.startsWith("{\"time\":"), json);
        assertTrue(json.contains(",\"stats\":{\"processes\":2,\"frames\":8192,"), json);
        assertTrue(json.contains(",\"registrations\":[{\"bundleId\":7,\"bundle\":\"" + KVM + "\",\"count\":2,"
                + "\"kinds\":{\"notifier\":2},\"mms\":[1,2],\"contracts\":[\"6.x\"]},"), json);
        assertTrue(json.endsWith(",\"forcedCleanups\":0,\"lastSwap\":null}"), json);
    }

    @Test
    void theLastSwapSaysWhetherItWasMadeAndItsLine() {
        StatusReport.SwapResult swapped = new StatusReport.SwapResult(true, "12:00:00 kvm updated",
                new Drivers.Swap(KVM, "update", 1500, 2500, 0));
        String json = Json.write(StatusReport.of(control(), registry(), processes(), List.of(), Map.of(),
                new Throughput(3), swapped));
        assertTrue(json.endsWith(",\"lastSwap\":{\"ok\":true,\"line\":\"12:00:00 kvm updated\",\"swap\":{\"bundle\":\""
                + KVM + "\",\"how\":\"update\",\"teardownMicros\":1500,\"startMicros\":2500,\"leftBehind\":0}}}"),
                json);
    }

    private StatusReport.Status report(List<StatusReport.BundleInfo> bundles, Map<Long, StatusReport.Counters> c) {
        return StatusReport.of(control(), registry(), processes(), bundles, c, new Throughput(3), null);
    }

    private Processes processes() {
        return new Processes() {
            @Override
            public MmStruct mm(int pid) {
                if (pid == 3) {
                    throw new NoSuchProcessException(pid);
                }
                long id = pid == 1 ? 101 : 1;
                return (MmStruct) Proxy.newProxyInstance(MmStruct.class.getClassLoader(), new Class<?>[] {MmStruct.class},
                        (p, m, a) -> m.getName().equals("id") ? (Object) id : null);
            }

            @Override
            public List<Integer> pids() {
                return List.of(1, 2, 3);
            }
        };
    }

    private NotifierRegistry registry() {
        return new NotifierRegistry() {
            @Override
            public List<Registration> registrations() {
                return registrations;
            }

            @Override
            public List<ForcedCleanup> forcedCleanups() {
                return List.of();
            }

            @Override
            public long callsIntoStoppedBundles() {
                return 0;
            }

            @Override
            public List<DriverFault> faults() {
                return List.of(new DriverFault(7, KVM, "n", "invalidate_range_start", 1, "boom", 1, 0));
            }

            @Override
            public long faultCount() {
                return 1;
            }

            @Override
            public List<Stall> stalls() {
                return List.of(new Stall(1, Stall.Kind.CALLBACK, 9, THIRD, "n", "invalidate_range_start", 1, "t", 5000,
                        false, List.of(), List.of("a", "b", "c", "d"), "ended"));
            }

            @Override
            public long stallCount() {
                return 1;
            }
        };
    }

    private MachineControl control() {
        List<String> v = new ArrayList<>(violations);
        return new MachineControl() {
            @Override
            public int spawn() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void kill(int pid) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void startWorkload(long seed, int threads, int processes) {
                throw new UnsupportedOperationException();
            }

            @Override
            public long stopWorkload() {
                throw new UnsupportedOperationException();
            }

            @Override
            public MachineStats stats() {
                return new MachineStats(2, 8192, 10, 5, 61, 1, 0, 100, true, 1);
            }

            @Override
            public String adversary(double faultRace, double stall, long seed) {
                throw new UnsupportedOperationException();
            }

            @Override
            public String adversary() {
                return "off";
            }

            @Override
            public List<String> recentViolations() {
                return v;
            }

            @Override
            public String violationReport(long number) {
                throw new IllegalArgumentException("no violation #" + number);
            }
        };
    }
}
