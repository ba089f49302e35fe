package org.mmunotifier.core.internal.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;
import org.mmunotifier.core.internal.notifier.Identity;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.core.internal.notifier.Owner;

/** What a recording of the core shows: each event with the fields an operator reads. */
class TraceTest {
    private static final long P = Addresses.PAGE_SIZE;
    private static final long A = 0x20_0000L;
    private static final int RW = Vma.PROT_READ | Vma.PROT_WRITE;
    private static final String BUNDLE = "com.example.mirror 1.2.0 [38]";

    private final Machine machine = new Machine(32, PageLayout.BITS_64);
    private final NotifierCore core = machine.notifierCore();
    private final Owner owner = core.newOwner(BUNDLE, 38);

    @TempDir
    Path dir;

    /** A 6.x driver whose end throws. */
    private final MmuNotifier device = new MmuNotifier() {
        @Override
        public boolean invalidateRangeStart(MmuNotifierRange range) {
            return true;
        }

        @Override
        public void invalidateRangeEnd(MmuNotifierRange range) {
            throw new IllegalStateException("end fails");
        }

        @Override
        public String toString() {
            return "dev";
        }
    };

    @AfterEach
    void close() {
        machine.close();
    }

    private List<RecordedEvent> record(Runnable scenario) throws Exception {
        core.setOwnerResolver(code -> code instanceof MmuNotifier ? owner : Owner.NONE);
        Path file = dir.resolve("rec.jfr");
        Trace.Recorder r = Trace.record("test", file);
        try {
            scenario.run();
        } finally {
            r.stop();
        }
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName()
                .startsWith("org.mmunotifier.")).toList();
    }

    private static RecordedEvent only(List<RecordedEvent> events, String type, Predicate<RecordedEvent> which) {
        List<RecordedEvent> found = events.stream().filter(e -> e.getEventType().getName().equals(type))
                .filter(which).toList();
        assertEquals(1, found.size(), type + " in " + events);
        return found.get(0);
    }

    private static void assertCallOf(RecordedEvent e, Identity who, long mm, String result) {
        assertEquals(BUNDLE, e.getString("bundle"));
        assertEquals(38, e.getLong("bundleId"));
        assertEquals(who.notifier(), e.getString("notifier"));
        assertTrue(who.notifier().startsWith("dev "), who.notifier());
        assertEquals(who.id(), e.getLong("registration"));
        assertEquals(mm, e.getLong("mm"));
        assertEquals(result, e.getString("result"));
        assertFalse(e.getDuration().isNegative(), e.toString());
    }

    @Test
    void faultsInvalidationsAViolationAndTheReleaseAreRecordedWithTheirFields() throws Exception {
        Process proc = machine.spawn();
        AddressSpace mm = proc.mm();
        Identity[] who = new Identity[1];
        List<RecordedEvent> events = record(() -> {
            mm.mmap(A, 2 * P, RW, false);
            mm.register(device);
            who[0] = mm.identityOf(device);
            mm.insertInterval(A, A + 2 * P, (sub, range, seq) -> true);
            DeviceAccess dev = machine.oracle().device(device, mm);
            MappedFrame f = mm.faultRange(A, A + 2 * P, true)[0];
            assertThrows(SegmentationFaultException.class, () -> mm.faultRange(A + 4 * P, A + 5 * P, false));
            mm.munmap(A, P);
            dev.read(f); // the frame was freed: a use after free
            proc.exit();
        });

        RecordedEvent fault = only(events, Trace.DEVICE_FAULT, e -> e.getString("failure").isEmpty());
        assertEquals(mm.id(), fault.getLong("mm"));
        assertEquals(A, fault.getLong("start"));
        assertEquals(A + 2 * P, fault.getLong("end"));
        assertEquals(2, fault.getLong("pages"));
        assertTrue(fault.getBoolean("write"));
        RecordedEvent segv = only(events, Trace.DEVICE_FAULT, e -> !e.getString("failure").isEmpty());
        assertTrue(segv.getString("failure").startsWith(SegmentationFaultException.class.getName()), segv.toString());
        assertFalse(segv.getBoolean("write"));

        for (String callback : List.of("invalidate_range_start", "invalidate_range_end")) {
            RecordedEvent inv = only(events, Trace.INVALIDATE_RANGE, e -> e.getString("callback").equals(callback)
                    && e.getString("event").equals("UNMAP"));
            assertEquals(A, inv.getLong("start"));
            assertEquals(A + P, inv.getLong("end"));
            assertTrue(inv.getBoolean("blockable"));
            assertCallOf(inv, who[0], mm.id(), callback.endsWith("start") ? "ok"
                    : "threw " + IllegalStateException.class.getName());
        }

        RecordedEvent v = only(events, Trace.VIOLATION, e -> true);
        assertEquals(machine.oracle().violations().get(0).number(), v.getLong("number"));
        assertEquals("USE_AFTER_FREE", v.getString("rule"));
        assertEquals(BUNDLE, v.getString("bundle"));
        assertEquals(38, v.getLong("bundleId"));
        assertEquals(mm.id(), v.getLong("mm"));
        assertEquals(A, v.getLong("address"));
        assertEquals("read", v.getString("access"));
        assertTrue(v.getString("summary").contains("freed"), v.getString("summary"));
        assertTrue(v.getDuration().compareTo(Duration.ofMinutes(1)) < 0, "an instant, not since the epoch: " + v);
        assertTrue(v.getStackTrace().getFrames().stream().anyMatch(fr -> fr.getMethod().getType().getName()
                .equals(TraceTest.class.getName())), "the access's stack");

        // The munmap's, not the exit's (of everything, after the release)
        RecordedEvent interval = only(events, Trace.INVALIDATE_RANGE, e -> e.getString("callback").equals("invalidate")
                && e.getString("event").equals("UNMAP") && e.getLong("start") == A);
        assertEquals(Owner.NONE.name(), interval.getString("bundle"));
        assertEquals(A + P, interval.getLong("end"));
        assertEquals("ok", interval.getString("result"));

        assertCallOf(only(events, Trace.RELEASE, e -> true), who[0], mm.id(), "ok");
    }

    /** A start that refuses a non-blockable range (the OOM reaper's) is recorded as refused. */
    @Test
    void aRefusedStartIsRecordedAsRefused() throws Exception {
        MmuNotifier refusing = new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                return range.isBlockable();
            }

            @Override
            public String toString() {
                return "dev refusing";
            }
        };
        AddressSpace mm = machine.spawn().mm();
        Identity[] who = new Identity[1];
        List<RecordedEvent> events = record(() -> {
            mm.mmap(A, P, RW, false);
            mm.write(A, 1);
            mm.register(refusing);
            who[0] = mm.identityOf(refusing);
            assertEquals(List.of(0, 1), java.util.Arrays.stream(mm.oomReap()).boxed().toList());
        });
        RecordedEvent start = only(events, Trace.INVALIDATE_RANGE, e -> true);
        assertEquals("invalidate_range_start", start.getString("callback"));
        assertFalse(start.getBoolean("blockable"));
        assertCallOf(start, who[0], mm.id(), "refused");
    }

    /**
     * The dispatch's one check ({@link Trace#invalidations()}) is off without a recording and under
     * the JDK's own settings, which record releases but no callback or device fault; only
     * mmunotifier.jfc turns it on, and only while its recording runs.
     */
    @Test
    void eachCallbackIsTracedOnlyWhileARecordingWithOurSettingsRuns() throws Exception {
        assertFalse(Trace.invalidations(), "no recording");
        Process proc = machine.spawn();
        AddressSpace mm = proc.mm();
        mm.mmap(A, P, RW, false);
        mm.register(device);
        Path file = dir.resolve("default.jfr");
        try (Recording r = new Recording(Configuration.getConfiguration("default"))) {
            r.setDestination(file);
            r.start();
            assertFalse(Trace.invalidations(), "the JDK's default settings");
            mm.faultRange(A, A + P, true);
            mm.mprotect(A, P, Vma.PROT_READ);
            proc.exit();
            r.stop();
        }
        List<String> types = RecordingFile.readAllEvents(file).stream().map(e -> e.getEventType().getName())
                .filter(t -> t.startsWith("org.mmunotifier.")).distinct().toList();
        assertEquals(List.of(Trace.RELEASE), types);

        record(() -> assertTrue(Trace.invalidations(), "mmunotifier.jfc"));
        assertFalse(Trace.invalidations(), "after that recording");
    }

    @Test
    void aStallIsRecordedWhenReportedAndWhenItEnds() throws Exception {
        core.stallPolicy().set(100, 5_000);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        MmuNotifier stuck = new MmuNotifier() {
            @Override
            public boolean invalidateRangeStart(MmuNotifierRange range) {
                inside.countDown();
                try {
                    go.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            }
        };
        AddressSpace mm = machine.spawn().mm();
        List<RecordedEvent> events = record(() -> {
            mm.mmap(A, P, RW, false);
            mm.write(A, 1);
            mm.register(stuck);
            Thread t = new Thread(() -> mm.mprotect(A, P, Vma.PROT_READ), "workload-stuck");
            t.start();
            try {
                assertTrue(inside.await(10, TimeUnit.SECONDS));
                awaitTrue(() -> core.watchdog().count() > 0);
                go.countDown();
                t.join(10_000);
                awaitTrue(() -> !core.watchdog().recent().get(0).ongoing());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        for (String what : List.of("reported", "ended")) {
            RecordedEvent s = only(events, Trace.STALL, e -> e.getString("what").equals(what));
            assertEquals(BUNDLE, s.getString("bundle"));
            assertEquals(Stall.Kind.CALLBACK.name(), s.getString("kind"));
            assertEquals(mm.id(), s.getLong("mm"));
            assertEquals("workload-stuck", s.getString("stuckThread"));
            assertTrue(s.getString("operation").startsWith("invalidate_range_start PROTECTION_VMA"),
                    s.getString("operation"));
            assertEquals(1, s.getLong("stall"));
        }
        Duration stuckFor = only(events, Trace.STALL, e -> e.getString("what").equals("ended")).getDuration("stuckFor");
        assertTrue(stuckFor.toMillis() >= 100, stuckFor.toString());
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }
}
