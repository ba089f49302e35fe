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
     * One device fault. Its stack is first the faulting thread's raw backtrace (the VM's compact
     * one: methods and bytecode indexes), turned into source lines only when a report asks for
     * {@link #stack()}, as KASAN's stack depot keeps return addresses and symbolises them when it
     * prints. Walking and symbolising on every fault cost a quarter of a device engine's time.
     * The raw backtrace holds the driver's classes: {@link DeviceFaults#symbolizeAll()} turns every
     * kept one into lines when a bundle stops, so an old revision's class loader can go.
     */
    public record Fault(long start, long end, long seq, boolean write, String thread, long timeMillis, Stack where) {
        boolean covers(long address) {
            return address >= start && address < end;
        }

        /** The driver's stack at the fault, from its call into the API, at most {@value DeviceFaults#DEPTH} frames. */
        public List<StackTraceElement> stack() {
            return where.lines();
        }
    }

    /** A fault's stack: its raw {@link Site} until symbolised, then its lines. */
    static final class Stack {
        private volatile Object where;

        Stack(Site site) {
            this.where = site;
        }

        @SuppressWarnings("unchecked")
        List<StackTraceElement> lines() {
            Object w = where;
            if (w instanceof Site site) {
                List<StackTraceElement> lines = fromCaller(Arrays.stream(site.getStackTrace()), DEPTH);
                where = lines; // racing symbolisers store equal lists
                return lines;
            }
            return (List<StackTraceElement>) w;
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

    /** Records a fault made by the calling thread (after {@code mmap_lock} is released, where we took it). */
    public void record(long start, long end, long seq, boolean write) {
        Fault f = new Fault(start, end, seq, write, Thread.currentThread().getName(), System.currentTimeMillis(),
                new Stack(new Site()));
        ring.set((int) (next.getAndIncrement() & (KEEP - 1)), f);
    }

    /**
     * The fault of {@code address} with the highest sequence at or before {@code seq} (the newest
     * of those on a tie): the one whose snapshot a translation carrying {@code seq} most likely
     * came from; null if forgotten. The ring is in record order, not sequence order: faults are
     * recorded after their lock is dropped.
     */
    public Fault establishing(long address, long seq) {
        long last = next.get();
        Fault best = null;
        for (long i = last - 1; i >= Math.max(0, last - KEEP); i--) {
            Fault f = ring.get((int) (i & (KEEP - 1)));
            if (f != null && f.covers(address) && f.seq() <= seq && (best == null || f.seq() > best.seq())) {
                best = f;
            }
        }
        return best;
    }

    /** Symbolises every kept fault's stack (a bundle stopped: its classes must not stay reachable from here). */
    public void symbolizeAll() {
        for (int i = 0; i < KEEP; i++) {
            Fault f = ring.get(i);
            if (f != null) {
                f.stack();
            }
        }
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
