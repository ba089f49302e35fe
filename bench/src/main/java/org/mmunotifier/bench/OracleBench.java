package org.mmunotifier.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.PhysicalMemory;
import org.mmunotifier.core.internal.mm.Vma;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the coherence oracle costs a device access (one read and one write of a resident page
 * through a {@link DeviceAccess}; scores are per access): the strict per-registration rules
 * against the lenient ones they replaced, and against a raw access with no checks, so the check
 * costs {@code oracle - raw}. Two states of the mm: quiet (nothing ever invalidated) and busy
 * (twice the invalidation history's worth of pte changes elsewhere, and the measured page's own
 * pte stamped by an invalidation before the lookup, so the strict oracle reads the stamp and
 * compares it). The access itself is always legal, so no violation is built; in neither state is
 * an invalidation in flight.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OracleBench {
    private static final long P = Addresses.PAGE_SIZE;
    private static final long PAGE = 0x20_0000L;
    private static final long OTHERS = 0x4000_0000L;
    /** Twice the invalidation history a mm keeps: its oldest entries are certainly pushed out. */
    private static final int INVALIDATIONS = 2048;

    @Param({"quiet", "busy"})
    public String state;

    @Param({"raw", "lenient", "strict"})
    public String oracle;

    private Machine machine;
    private DeviceAccess device;
    private MappedFrame frame;

    @Setup(Level.Trial)
    public void setup() {
        machine = new Machine(16, PageLayout.BITS_64);
        AddressSpace mm = machine.spawn().mm();
        NopNotifier notifier = new NopNotifier();
        mm.register(notifier);
        mm.mmap(PAGE, P, Vma.PROT_READ | Vma.PROT_WRITE, false);
        if ("busy".equals(state)) {
            mm.faultRange(PAGE, PAGE + P, true);
            mm.mprotect(PAGE, P, Vma.PROT_READ); // the pte changes: stamped with this invalidation
            mm.mprotect(PAGE, P, Vma.PROT_READ | Vma.PROT_WRITE);
            mm.mmap(OTHERS, INVALIDATIONS * P, Vma.PROT_READ | Vma.PROT_WRITE, false);
            mm.faultRange(OTHERS, OTHERS + INVALIDATIONS * P, true);
            for (int i = 0; i < INVALIDATIONS; i++) {
                mm.mprotect(OTHERS + i * P, P, Vma.PROT_READ); // revokes write: one range start and end each
            }
        }
        frame = mm.faultRange(PAGE, PAGE + P, true)[0];
        machine.oracle().setStrict("strict".equals(oracle));
        device = "raw".equals(oracle) ? new Raw(machine.memory()) : machine.oracle().device(notifier, mm);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long violations = machine.oracle().violationCount();
        machine.close();
        if (violations != 0) {
            throw new IllegalStateException(violations + " violations: the measured accesses were not all legal");
        }
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public long access() {
        long v = device.read(frame);
        device.write(frame, v + 1);
        return v;
    }

    /**
     * The same access with no checks: the frame looked up by number and its word read, or a word
     * swapped the way the oracle's device writes it (the frame's own word is not writable from
     * outside the memory manager).
     */
    private static final class Raw implements DeviceAccess {
        private final PhysicalMemory memory;
        private final AtomicLong word = new AtomicLong();

        Raw(PhysicalMemory memory) {
            this.memory = memory;
        }

        @Override
        public long read(MappedFrame frame) {
            return memory.frame(frame.pfn()).data();
        }

        @Override
        public void write(MappedFrame frame, long value) {
            memory.frame(frame.pfn());
            word.getAndUpdate(old -> value);
        }

        @Override
        public long fetchAdd(MappedFrame frame, long delta) {
            memory.frame(frame.pfn());
            return word.getAndUpdate(old -> old + delta);
        }

        @Override
        public String name() {
            return "raw";
        }
    }
}
