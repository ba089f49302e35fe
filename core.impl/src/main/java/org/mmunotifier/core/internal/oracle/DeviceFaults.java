package org.mmunotifier.core.internal.oracle;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

/**
 * The recent device faults of one mm ({@code faultRange}, the model's {@code hmm_range_fault} /
 * GUP): which range, at which sequence, by which thread, from where in the driver. A violation
 * report looks up the fault that established the translation it used, as KASAN prints the stack
 * that allocated an object. A ring of {@value #KEEP}; an older fault is reported as forgotten.
 */
public final class DeviceFaults {
    static final int KEEP = 256;
    /** Frames kept of a fault's stack, from the first one outside the core. */
    static final int DEPTH = 12;

    /**
     * One device fault. {@code site} holds the faulting thread's raw backtrace (the VM's compact
     * one: methods and bytecode indexes); it is turned into source lines only when a report asks
     * for {@link #stack()}, as KASAN's stack depot keeps return addresses and symbolises them when
     * it prints. Walking and symbolising on every fault cost a quarter of a device engine's time,
     * most of it inside {@code mmap_lock}.
     */
    public record Fault(long start, long end, long seq, boolean write, String thread, long timeMillis, Site site) {
        boolean covers(long address) {
            return address >= start && address < end;
        }

        /** The driver's stack at the fault, from its call into the API, at most {@value DeviceFaults#DEPTH} frames. */
        public List<StackTraceElement> stack() {
            return fromCaller(Arrays.stream(site.getStackTrace()), DEPTH);
        }
    }

    /** Where a fault was made: a backtrace filled in by the VM, never thrown. */
    public static final class Site extends Throwable {
        private static final long serialVersionUID = 1L;

        Site() {
            super("device fault", null, false, true);
        }
    }

    private final AtomicReferenceArray<Fault> ring = new AtomicReferenceArray<>(KEEP);
    private final AtomicLong next = new AtomicLong();

    /** Records a fault made by the calling thread; call it after {@code mmap_lock} is released. */
    public void record(long start, long end, long seq, boolean write) {
        Fault f = new Fault(start, end, seq, write, Thread.currentThread().getName(), System.currentTimeMillis(),
                new Site());
        ring.set((int) (next.getAndIncrement() & (KEEP - 1)), f);
    }

    /**
     * The newest fault of {@code address} made at or before sequence {@code seq}: the one whose
     * snapshot a translation carrying {@code seq} most likely came from; null if forgotten.
     */
    public Fault establishing(long address, long seq) {
        long last = next.get();
        for (long i = last - 1; i >= Math.max(0, last - KEEP); i--) {
            Fault f = ring.get((int) (i & (KEEP - 1)));
            if (f != null && f.covers(address) && f.seq() <= seq) {
                return f;
            }
        }
        return null;
    }

    /** The classes a device's call passes through before it reaches the driver's own code. */
    private static final java.util.Set<String> CORE_FRAMES = java.util.Set.of(Oracle.class.getName(),
            Oracle.class.getName() + "$Device", DeviceFaults.class.getName(),
            "org.mmunotifier.core.internal.mm.AddressSpace", "org.mmunotifier.core.internal.mm.Mm",
            org.mmunotifier.api.MmStruct.class.getName());

    /**
     * The calling thread's stack from its first frame outside the core's access and fault paths
     * (the driver's call into the API), at most {@code depth} frames.
     */
    static List<StackTraceElement> callerStack(int depth) {
        return StackWalker.getInstance().walk(s -> fromCaller(s.map(StackWalker.StackFrame::toStackTraceElement), depth));
    }

    private static List<StackTraceElement> fromCaller(Stream<StackTraceElement> frames, int depth) {
        return frames.dropWhile(f -> CORE_FRAMES.contains(f.getClassName())).limit(depth).toList();
    }
}
