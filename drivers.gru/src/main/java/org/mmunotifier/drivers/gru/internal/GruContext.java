package org.mmunotifier.drivers.gru.internal;

import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.DeviceThreads;
import org.mmunotifier.api.FaultRetryException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;

/**
 * A GRU context ({@code gru_thread_state}) of one process: GRU instructions translate through the
 * chip's TLB under the mm's ASID; a miss drops the page in from the primary page table.
 */
public final class GruContext {
    static final int LOAD = 0;
    static final int STORE = 1;
    static final int ATOMIC_ADD = 2;
    private static final int MAX_RETRIES = 1_000;

    private final int id;
    private final String name;
    final GruMmState gms;
    private final GruTlb tlb;
    /** Instructions' accesses, checked against what the mm's shared registration was told. */
    private final DeviceAccess device;
    private final DeviceCounters counters;
    /** The user buffer the context works on (for the instruction threads). */
    final long start;
    final long end;
    /**
     * Set by close() before the ASID flush; read under the TLB lock before every insert, so an
     * instruction still in flight (perhaps stuck in another driver's callback through a COW fault)
     * installs nothing after the flush, and close() need not wait for it.
     */
    private volatile boolean closed;

    GruContext(int id, GruMmState gms, long start, long end, GruTlb tlb, CoherenceOracle oracle,
            DeviceCounters counters) {
        Addresses.checkRange(start, end);
        this.id = id;
        this.start = start;
        this.end = end;
        this.name = "gru-ctx" + id;
        this.gms = gms;
        this.tlb = tlb;
        this.device = oracle.device(gms, gms.mm);
        this.counters = counters;
    }

    public int id() {
        return id;
    }

    public MmStruct mm() {
        return gms.mm;
    }

    public int asid() {
        return gms.asid;
    }

    /**
     * One GRU instruction on the word at {@code address}.
     *
     * @return the word loaded (store: the value stored; atomic add: the old value)
     * @throws ContextGoneException if the context was closed or its mm released
     * @throws org.mmunotifier.api.SegmentationFaultException if the address is not mapped
     */
    public long execute(int op, long address, long value) {
        boolean write = op != LOAD;
        long page = address & Addresses.PAGE_MASK;
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            if (closed) {
                throw new ContextGoneException(name + " is closed");
            }
            tlb.lock.lock();
            try {
                MappedFrame f = tlb.lookup(gms.asid, page);
                if (f != null && (!write || f.writable())) {
                    return access(f, op, value);
                }
            } finally {
                tlb.lock.unlock();
            }
            // gru_user_dropin: wait_event(ms_wait_queue, ms_range_active == 0), then the pte
            counters.faulted();
            // Bounded waits: instruction threads serve every context; one process wedged by a
            // stuck callback must not stop them (nor close(), which waits for this instruction).
            long seq = gms.awaitIdle(DeviceThreads.BUSY_WAIT_MILLIS);
            MappedFrame f = gms.mm.faultRange(page, page + Addresses.PAGE_SIZE, write, DeviceThreads.BUSY_WAIT_MILLIS,
                    TimeUnit.MILLISECONDS)[0];
            tlb.lock.lock();
            try {
                if (closed) {
                    throw new ContextGoneException(name + " was closed during its fault");
                }
                if (!gms.mayInstall(seq)) {
                    counters.retried();
                    continue;
                }
                tlb.insert(gms.asid, page, f);
                counters.mapped();
                return access(f, op, value);
            } finally {
                tlb.lock.unlock();
            }
        }
        throw new FaultRetryException(name, page, MAX_RETRIES);
    }

    /** The access, under the TLB lock so no flush (and so no invalidation) completes around it. */
    private long access(MappedFrame f, int op, long value) {
        counters.accessed();
        return switch (op) {
            case LOAD -> device.read(f);
            case STORE -> {
                device.write(f, value);
                yield value;
            }
            default -> device.fetchAdd(f, value);
        };
    }

    /**
     * Marks the context closed. An instruction in flight is not waited for: from here on it only
     * fails (it checks under the TLB lock, which the caller's ASID flush takes after this store).
     */
    void close() {
        closed = true;
    }

    /** Its instruction stream on the driver's engines; set once opened. */
    DeviceEngines.Context stream;

    @Override
    public String toString() {
        return name + " on mm " + gms.mm.id() + " asid " + gms.asid;
    }
}
