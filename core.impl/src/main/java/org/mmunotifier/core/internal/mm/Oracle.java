package org.mmunotifier.core.internal.mm;

import java.util.List;
import java.util.Objects;
import java.util.function.LongUnaryOperator;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * The coherence oracle (DESIGN §5). A device access is coherent when the frame has not been freed
 * since it was mapped (same generation), and the primary still maps that frame at that address
 * (writable, for a store) or an invalidation covering the address is in progress. It reads the
 * pte first and the in-flight ranges second: a pte that changed was changed after its range was
 * marked in flight, and the mark cannot go before the notifiers return, which they cannot while
 * the device holds its lock.
 */
public final class Oracle implements CoherenceOracle {
    private static final int KEEP = 1_000;

    private final PhysicalMemory memory;
    private final RecentLog<Violation> violations = new RecentLog<>(KEEP);

    Oracle(PhysicalMemory memory) {
        this.memory = memory;
    }

    @Override
    public long read(String device, MmStruct mm, MappedFrame frame) {
        return access(device, "read", mm, frame, false, null);
    }

    @Override
    public void write(String device, MmStruct mm, MappedFrame frame, long value) {
        access(device, "write", mm, frame, true, old -> value);
    }

    @Override
    public long fetchAdd(String device, MmStruct mm, MappedFrame frame, long delta) {
        return access(device, "atomic", mm, frame, true, old -> old + delta);
    }

    private long access(String device, String op, MmStruct mm, MappedFrame frame, boolean write,
            LongUnaryOperator update) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(frame, "frame");
        if (!(mm instanceof AddressSpace as)) {
            throw new IllegalArgumentException("not an address space of this machine: " + mm);
        }
        Frame f = memory.frame(frame.pfn());
        String wrong = check(as, f, frame, write);
        if (wrong != null) {
            violations.add(new Violation(device, as.id(), frame.address(), frame.pfn(), op, wrong));
        }
        // The access happens either way: a stale read sees poison, a stale write corrupts.
        return update == null ? f.data.get() : f.data.getAndUpdate(update);
    }

    private static String check(AddressSpace as, Frame f, MappedFrame frame, boolean write) {
        if (f.generation() != frame.generation()) {
            return "the frame was freed since it was mapped (generation " + frame.generation() + ", now "
                    + f.generation() + ")";
        }
        long pte = as.pageTable.get(frame.address());
        boolean mapped = Pte.present(pte) && Pte.pfn(pte) == frame.pfn();
        if (mapped && (!write || Pte.writable(pte))) {
            return null;
        }
        if (as.inflight.covers(frame.address())) {
            return null; // the primary is invalidating it and has not yet told every secondary MMU
        }
        return mapped ? "write through a mapping the primary has write-protected"
                : "the primary no longer maps this frame here (pte: " + Pte.describe(pte) + ")";
    }

    @Override
    public long violationCount() {
        return violations.count();
    }

    /** The most recent violations, oldest first. */
    public List<Violation> violations() {
        return violations.recent();
    }
}
