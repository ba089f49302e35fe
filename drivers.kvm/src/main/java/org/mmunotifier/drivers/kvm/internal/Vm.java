package org.mmunotifier.drivers.kvm.internal;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.DeviceCounters;
import org.mmunotifier.api.DeviceEngines;
import org.mmunotifier.api.DeviceThreads;
import org.mmunotifier.api.FaultRetryException;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.SegmentationFaultException;
import org.mmunotifier.api.SpinLock;

/**
 * A virtual machine ({@code struct kvm}) bound to a process's mm: one memslot, a shadow page table
 * (guest frame to host frame, the EPT) filled on guest faults, and the notifier that empties it.
 *
 * <p>The fault path is KVM's: sample {@code mmu_invalidate_seq}, fault the page in through GUP
 * without {@code mmu_lock}, then under {@code mmu_lock} retry if an invalidation is in progress over
 * the address or has completed since ({@code mmu_invalidate_retry_gfn}). The in-progress range is
 * the union of the ranges in flight, as KVM keeps it.
 */
public final class Vm implements MmuNotifier {
    static final int GUEST_READ = 0;
    static final int GUEST_WRITE = 1;
    static final int GUEST_ATOMIC = 2;
    private static final int MAX_RETRIES = 1_000;

    /** One shadow pte: the host frame and the accessed bit (set by the guest without mmu_lock, as hardware does). */
    private static final class Spte {
        final MappedFrame frame;
        volatile boolean accessed = true;

        Spte(MappedFrame frame) {
            this.frame = frame;
        }

        /** Whether a guest access ({@code write} or not) can go through this spte without a fault. */
        boolean allows(boolean write) {
            return !write || frame.writable();
        }

        /**
         * Sets the accessed bit, as the hardware does on a walk: only if it is clear, so a hit (in
         * guest mode, without mmu_lock) does not pay a volatile store each time.
         */
        void touch() {
            if (!accessed) {
                accessed = true;
            }
        }
    }

    private final int id;
    private final String name;
    private final MmStruct mm;
    private final Memslot slot;
    private final CoherenceOracle oracle;
    private final DeviceCounters counters;
    /** The guest's accesses, checked against what this VM's registration was told; set once registered. */
    private volatile DeviceAccess device;

    /**
     * {@code kvm->mmu_lock}: fair, as the kernel's queued spinlock is. A vCPU takes it twice per
     * guest access, back to back; with a barging monitor, the invalidation (or aging) waiting for
     * it lost the race to the vCPU again and again, and the primary ran at a few percent of its speed.
     */
    private final ReentrantLock mmuLock = new SpinLock(true);
    /** The EPT: changed under mmuLock only; the vCPUs read it without it, in guest mode. */
    private final Map<Long, Spte> sptes = new ConcurrentHashMap<>();
    /** A vCPU: its work on the host CPUs, and its vcpu->mode, which {@link #flushRemoteTlbs()} waits on. */
    private static final class Vcpu {
        final GuestMode mode = new GuestMode();
        volatile DeviceEngines.Context work; // null until its engine context is attached
    }

    /** Added by run (under the driver's lock), cleared by destroy (after the VM left the driver's map under that lock, so never both at once); read by zaps. */
    private final List<Vcpu> vcpus = new CopyOnWriteArrayList<>();
    private int inProgress; // guarded by mmuLock: mmu_invalidate_in_progress
    private long seq; // guarded by mmuLock: mmu_invalidate_seq
    private long rangeStart; // guarded by mmuLock
    private long rangeEnd; // guarded by mmuLock
    private volatile boolean released; // written under mmuLock; the vCPUs read it in guest mode
    private final java.util.concurrent.atomic.AtomicLong callbacks = new java.util.concurrent.atomic.AtomicLong();

    /** Fault injection: the broken variant that forgets to zap in invalidateRangeStart. */
    volatile boolean skipZapOnStart;
    /** Fault injection: the broken variant that maps what GUP returned without mmu_invalidate_retry. */
    volatile boolean skipRetry;
    /** Fault injection: the broken variant whose zap does not wait for the vCPUs in guest mode. */
    volatile boolean skipTlbFlush;
    /** Fault injection: runs in guest mode between a vCPU's spte read and its access, to race a zap. */
    volatile Runnable inGuest;
    /** Fault injection: runs between GUP and the retry check, to force a fault to race an invalidation. */
    volatile Runnable afterFault;
    /** A planted bug (the mutants catalogue), set before registration; {@link KvmBug#NONE} in every real run. */
    volatile KvmBug bug = KvmBug.NONE;

    private final DeviceEngines cpus;

    Vm(int id, MmStruct mm, Memslot slot, CoherenceOracle oracle, DeviceCounters counters, DeviceEngines cpus) {
        this.id = id;
        this.name = "kvm-vm" + id;
        this.mm = mm;
        this.slot = slot;
        this.oracle = oracle;
        this.counters = counters;
        this.cpus = cpus;
    }

    public int id() {
        return id;
    }

    /** The VM's notifier is registered on its mm: its guest may access memory from now on. */
    void registered() {
        device = oracle.device(this, mm);
    }

    public MmStruct mm() {
        return mm;
    }

    public Memslot memslot() {
        return slot;
    }

    // ------------------------------------------------------------------ notifier

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        callbacks.incrementAndGet();
        mmuLock.lock();
        try {
            counters.invalidated();
            // kvm_mmu_invalidate_begin: the first one in flight resets the range, others widen it.
            if (inProgress++ == 0 || bug == KvmBug.RANGE_OVERWRITE) {
                rangeStart = range.start();
                rangeEnd = range.end();
            } else {
                rangeStart = Math.min(rangeStart, range.start());
                rangeEnd = Math.max(rangeEnd, range.end());
            }
            KvmBug b = bug;
            if (!skipZapOnStart && b != KvmBug.ZAP_IN_END && !(b == KvmBug.KEEP_WRITABLE && writeProtects(range))) {
                zap(range.start(), range.end());
            }
        } finally {
            mmuLock.unlock();
        }
        return true;
    }

    private static boolean writeProtects(MmuNotifierRange range) {
        return switch (range.event()) {
            case PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY -> true;
            default -> false;
        };
    }

    @Override
    public void invalidateRangeEnd(MmuNotifierRange range) {
        callbacks.incrementAndGet();
        mmuLock.lock();
        try {
            if (bug == KvmBug.ZAP_IN_END) {
                zap(range.start(), range.end());
            }
            seq++; // before in_progress drops: a fault that saw neither must see this
            inProgress--;
        } finally {
            mmuLock.unlock();
        }
    }

    @Override
    public boolean agePage(MmStruct m, long address) {
        return age(address, address + Addresses.PAGE_SIZE, true);
    }

    @Override
    public boolean clearYoung(MmStruct m, long start, long end) {
        return age(start, end, true);
    }

    @Override
    public boolean testYoung(MmStruct m, long address) {
        return age(address, address + Addresses.PAGE_SIZE, false);
    }

    /** {@code kvm_age_gfn} / {@code kvm_test_age_gfn}. */
    private boolean age(long start, long end, boolean clear) {
        callbacks.incrementAndGet();
        boolean young = false;
        mmuLock.lock();
        try {
            for (long a = Math.max(start, slot.hva()); a < Math.min(end, slot.hvaEnd()); a += Addresses.PAGE_SIZE) {
                Spte s = sptes.get(slot.gfnOf(a));
                if (s != null && s.accessed) {
                    young = true;
                    if (clear) {
                        s.accessed = false;
                    }
                }
            }
        } finally {
            mmuLock.unlock();
        }
        return young;
    }

    @Override
    public void release(MmStruct m) {
        callbacks.incrementAndGet();
        if (bug == KvmBug.IGNORE_RELEASE) {
            return;
        }
        dropAll();
    }

    /**
     * {@code kvm_flush_shadow_all}: drops every spte and ends guest access for good, at
     * {@code release} or when the VM is destroyed (a vCPU left behind by a detach that gave up
     * then finds the VM gone instead of accessing memory after the unregister).
     */
    void dropAll() {
        mmuLock.lock();
        try {
            released = true;
            counters.zapped(sptes.size());
            sptes.clear();
            flushRemoteTlbs();
        } finally {
            mmuLock.unlock();
        }
    }

    /** Drops the sptes of host addresses {@code [start, end)}; mmu_lock held. */
    private void zap(long start, long end) {
        long from = Math.max(start, slot.hva());
        long to = Math.min(end, slot.hvaEnd());
        if (from >= to) {
            return;
        }
        int zapped = 0;
        if ((to - from) / Addresses.PAGE_SIZE > sptes.size()) {
            for (Iterator<Long> it = sptes.keySet().iterator(); it.hasNext();) {
                long hva = slot.hvaOf(it.next());
                if (hva >= from && hva < to) {
                    it.remove();
                    zapped++;
                }
            }
        } else {
            for (long a = from; a < to; a += Addresses.PAGE_SIZE) {
                if (sptes.remove(slot.gfnOf(a)) != null) {
                    zapped++;
                }
            }
        }
        counters.zapped(zapped);
        if (zapped > 0) {
            flushRemoteTlbs();
        }
    }

    /**
     * {@code kvm_flush_remote_tlbs}: waits until every vCPU that was in guest mode when the sptes
     * were dropped has left it. A vCPU reads the sptes in guest mode without mmu_lock (the
     * hardware walks the EPT); one that entered before the drop may still be accessing the old
     * frame, and the invalidation must not return before it is done, or its access lands after
     * invalidate_range_start returned (the oracle calls that a use after free). One that enters
     * after sees the drop. The kernel kicks vCPUs out with an IPI; here each access is short and
     * bounded, so waiting for it is the same guarantee. mmu_lock held.
     */
    private void flushRemoteTlbs() {
        if (skipTlbFlush) {
            return;
        }
        for (Vcpu v : vcpus) {
            v.mode.awaitExit();
        }
    }
    /** {@code mmu_invalidate_retry_gfn}; mmu_lock held. */
    private boolean invalidateRetry(long mmuSeq, long hva) {
        if (inProgress > 0 && hva >= rangeStart && hva < rangeEnd && bug != KvmBug.RETRY_IGNORES_IN_PROGRESS) {
            return true;
        }
        return seq != mmuSeq;
    }

    // ------------------------------------------------------------------ guest

    /**
     * A guest access to frame {@code gfn}: through the EPT, or a fault that maps the host page.
     *
     * @return the value read (for a write, the value written; for an atomic add, the old value)
     * @throws IllegalArgumentException if {@code gfn} is outside the memslot
     * @throws VmReleasedException if the VM was released (its process exited)
     * @throws SegmentationFaultException if the host address is no longer mapped
     */
    public long guestAccess(long gfn, int op, long value) {
        return guestAccess(null, gfn, op, value);
    }

    /**
     * The access of a vCPU whose guest mode is {@code vcpu}: a hit goes through the sptes without
     * mmu_lock. Without a vCPU (a command, a test) a hit takes mmu_lock instead.
     */
    private long guestAccess(GuestMode vcpu, long gfn, int op, long value) {
        if (!slot.containsGfn(gfn)) {
            throw new IllegalArgumentException("gfn 0x" + Long.toHexString(gfn) + " is outside " + slot + " of " + name);
        }
        boolean write = op != GUEST_READ;
        long hva = slot.hvaOf(gfn);
        if (vcpu != null) {
            long mode = vcpu.enter(); // before reading the sptes: see flushRemoteTlbs
            try {
                if (released) {
                    throw new VmReleasedException(name);
                }
                Spte s = sptes.get(gfn);
                if (s != null && s.allows(write)) {
                    Runnable hook = inGuest;
                    if (hook != null) {
                        hook.run();
                    }
                    s.touch();
                    return access(s.frame, op, value);
                }
            } finally {
                vcpu.exit(mode);
            }
        }
        for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
            long mmuSeq;
            mmuLock.lock();
            try {
                checkLive();
                Spte s = sptes.get(gfn);
                if (s != null && s.allows(write)) {
                    s.touch();
                    return access(s.frame, op, value);
                }
                mmuSeq = seq;
            } finally {
                mmuLock.unlock();
            }
            counters.faulted();
            MappedFrame frame = mm.faultRange(hva, hva + Addresses.PAGE_SIZE, write, DeviceThreads.BUSY_WAIT_MILLIS,
                    TimeUnit.MILLISECONDS)[0];
            Runnable hook = afterFault;
            if (hook != null) {
                hook.run();
            }
            mmuLock.lock();
            try {
                checkLive();
                if (!skipRetry && bug != KvmBug.SKIP_RETRY && invalidateRetry(mmuSeq, hva)) {
                    counters.retried(); // RET_PF_RETRY: the page we got may already be going
                    continue;
                }
                sptes.put(gfn, new Spte(frame));
                counters.mapped();
                return access(frame, op, value);
            } finally {
                mmuLock.unlock();
            }
        }
        throw new FaultRetryException(name, hva, MAX_RETRIES);
    }

    private void checkLive() {
        if (released) {
            throw new VmReleasedException(name);
        }
    }

    /** The device access: with mmu_lock held, or in guest mode, so no invalidation can complete around it. */
    private long access(MappedFrame frame, int op, long value) {
        counters.accessed();
        return switch (op) {
            case GUEST_READ -> device.read(frame);
            case GUEST_WRITE -> {
                device.write(frame, value);
                yield value;
            }
            default -> device.fetchAdd(frame, value);
        };
    }

    /** Notifier callbacks this VM has received. */
    public long callbacks() {
        return callbacks.get();
    }

    /** Shadow ptes present. */
    public int mappedPages() {
        mmuLock.lock();
        try {
            return sptes.size();
        } finally {
            mmuLock.unlock();
        }
    }

    public boolean isReleased() {
        mmuLock.lock();
        try {
            return released;
        } finally {
            mmuLock.unlock();
        }
    }

    // ------------------------------------------------------------------ vCPUs

    /**
     * Gives the VM {@code count} vCPUs doing random guest accesses, run by the host CPUs until
     * {@link #destroy(boolean)}; vCPU i draws from {@code new Random(seed * 31 + i)}.
     */
    void startVcpus(int count, long seed) {
        for (int i = 0; i < count; i++) {
            // Listed before it is attached: its first step may run at once, and a zap's flush that
            // did not know its guest mode would return while it still accesses an spte just dropped.
            Vcpu v = new Vcpu();
            String name = this.name + "-vcpu" + vcpus.size();
            vcpus.add(v);
            v.work = cpus.attach(name, seed * 31 + i, rnd -> vcpuStep(v.mode, rnd));
        }
    }


    /** vCPUs attached and not detached (they end by themselves once the VM is released). */
    public int vcpuCount() {
        return vcpus.size();
    }

    /** One guest instruction touching memory; false once the VM or its process is gone. */
    private boolean vcpuStep(GuestMode mode, Random rnd) {
        long gfn = slot.baseGfn() + rnd.nextInt((int) Math.min(Integer.MAX_VALUE, slot.pages()));
        try {
            guestAccess(mode, gfn, rnd.nextInt(3), rnd.nextInt(1_000));
        } catch (SegmentationFaultException | OutOfMemoryException | FaultRetryException e) {
            Thread.onSpinWait(); // the host unmapped guest memory: the guest takes the fault and goes on
        } catch (VmReleasedException | MmDeadException e) {
            return false;
        }
        return true;
    }

    /**
     * {@code kvm_destroy_vm}'s side of the VM: detaches the vCPUs (when that returns none runs, or
     * one stuck past the bound was left behind), then, unless {@code leak}, drops every spte and
     * ends guest access for good. The drop's flush waits on every vCPU the VM had, one left behind
     * included, so none still accesses memory after the unregister that follows; the list is
     * cleared only then.
     */
    void destroy(boolean leak) {
        for (Vcpu v : vcpus) {
            v.work.detach(); // set: run (which attaches) and destroy never overlap
        }
        if (!leak) {
            dropAll();
        }
        vcpus.clear();
    }

    @Override
    public String toString() {
        return name + " on mm " + mm.id() + " " + slot;
    }
}
