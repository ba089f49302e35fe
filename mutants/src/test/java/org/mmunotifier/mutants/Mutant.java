package org.mmunotifier.mutants;

import java.util.List;

/**
 * The catalogue: each planted bug, the driver it is planted in (by the knob of that name), its
 * class, the kit's check that catches it and what the failure must name (the oracle's rule, or
 * the words of the kit's report), and what is wrong, in one line.
 */
public enum Mutant {
    KVM_SKIP_RETRY(Driver.KVM, "SKIP_RETRY", "missing retry", Check.COHERENT, Rules.STALE,
            "a guest fault maps what GUP returned without mmu_invalidate_retry: a page the primary took away meanwhile"),
    KVM_RETRY_IGNORES_IN_PROGRESS(Driver.KVM, "RETRY_IGNORES_IN_PROGRESS", "incomplete retry", Check.COHERENT, Rules.STALE,
            "mmu_invalidate_retry compares the sequence only (bumped at end): a fault during an invalidation maps"
                    + " what start just zapped"),
    KVM_RANGE_OVERWRITE(Driver.KVM, "RANGE_OVERWRITE", "incomplete retry", Check.COHERENT, Rules.STALE,
            "kvm_mmu_invalidate_begin replaces the in-progress range by the newest instead of their union: a fault"
                    + " in the older range passes"),
    KVM_ZAP_IN_END(Driver.KVM, "ZAP_IN_END", "late zap", Check.COHERENT, Rules.STALE,
            "the sptes are zapped in invalidate_range_end instead of start: the guest uses them inside the window"),
    KVM_KEEP_WRITABLE(Driver.KVM, "KEEP_WRITABLE", "ignored write-protect", Check.COHERENT, Rules.WRITE,
            "mprotect, fork's COW and soft-dirty leave the sptes writable: the guest writes a write-protected page"),
    KVM_IGNORE_RELEASE(Driver.KVM, "IGNORE_RELEASE", "no release handling", Check.COHERENT, Rules.RELEASE,
            "release does nothing: the vCPUs go on through their sptes after the process's mm went"),
    KVM_LEAK_ON_DESTROY(Driver.KVM, "LEAK_ON_DESTROY", "registration leak", Check.NO_FORCED_CLEANUP,
            List.of("forced cleanup", "kvm-vm"),
            "destroying a VM stops its vCPUs and never unregisters its notifier: the bundle stops with it registered"),

    RDMA_SKIP_RETRY(Driver.RDMA, "SKIP_RETRY", "missing retry", Check.COHERENT, Rules.STALE,
            "the ODP fault maps what it faulted without mmu_interval_read_retry"),
    RDMA_NO_DMA_DRAIN(Driver.RDMA, "NO_DMA_DRAIN", "DMA not drained", Check.COHERENT, Rules.STALE,
            "invalidate drops the mappings and returns while DMA to the range is in flight: it lands inside the"
                    + " window or on a freed page"),
    RDMA_LAST_PAGE_KEPT(Driver.RDMA, "LAST_PAGE_KEPT", "off-by-one range", Check.COHERENT, Rules.STALE,
            "invalidate zaps [start, end - 4096): the exclusive end taken for an inclusive one keeps the last page"),
    RDMA_REFUSES_BLOCKABLE(Driver.RDMA, "REFUSES_BLOCKABLE", "blockable flag ignored", Check.NO_FAULT,
            List.of("refused a blockable invalidation"),
            "invalidate try-locks and refuses while DMA is in flight whatever the range's blockable flag"),
    RDMA_NONBLOCK_NO_REFUSE(Driver.RDMA, "NONBLOCK_NO_REFUSE", "non-blockable not refused", Check.COHERENT, Rules.STALE,
            "a non-blockable invalidate (the OOM reaper) with DMA in flight returns true without waiting for it"),
    RDMA_PEER_KEEPS_EXPORT(Driver.RDMA, "PEER_KEEPS_EXPORT", "ignored rmap invalidate", Check.COHERENT, Rules.RMAP,
            "the remote peer's rmap invalidate_page clears the page's flag and keeps mapping it"),
    RDMA_RMAP_LEAK(Driver.RDMA, "RMAP_LEAK", "registration leak", Check.NO_FORCED_CLEANUP,
            List.of("forced cleanup", "rmap notifier"),
            "deactivation never unregisters the remote peer's rmap notifier"),
    RDMA_REMOVE_BEFORE_DRAIN(Driver.RDMA, "REMOVE_BEFORE_DRAIN", "use after unregister", Check.COHERENT, Rules.RELEASE,
            "deregistration removes the subscription before it stops new DMA and drains the rest"),

    GRU_SKIP_RETRY(Driver.GRU, "SKIP_RETRY", "missing retry", Check.COHERENT, Rules.STALE,
            "a TLB dropin installs the pte it read without waiting for ms_range_active or checking again"),
    GRU_RETRY_WITHOUT_SEQ(Driver.GRU, "RETRY_WITHOUT_SEQ", "incomplete retry", Check.COHERENT, Rules.STALE,
            "a dropin checks ms_range_active but no sequence, as the kernel's GRU: a whole start/end between its pte"
                    + " read and its install goes unseen"),
    GRU_FLUSH_IN_END(Driver.GRU, "FLUSH_IN_END", "late TLB flush", Check.COHERENT, Rules.STALE,
            "the chip TLB is flushed in invalidate_range_end instead of start"),
    GRU_IGNORE_INVALIDATE_PAGE(Driver.GRU, "IGNORE_INVALIDATE_PAGE", "ignored callback", Check.COHERENT, Rules.STALE,
            "invalidate_page (2.6.27's reclaim, migration, COW) flushes nothing"),
    GRU_LEAK_ON_CLOSE(Driver.GRU, "LEAK_ON_CLOSE", "registration leak", Check.NO_FORCED_CLEANUP,
            List.of("forced cleanup", "get/put notifier"),
            "closing a context never puts the mm's shared registration"),
    GRU_PUT_WITHOUT_SYNCHRONIZE(Driver.GRU, "PUT_WITHOUT_SYNCHRONIZE", "free after stop", Check.NO_CALL_AFTER_STOP,
            List.of("call after the driver stopped", "freeNotifier"),
            "deactivation puts its registrations and returns without mmu_notifier_synchronize: free_notifier runs"
                    + " after the bundle is gone"),

    MIRROR_SKIP_RETRY(Driver.MIRROR, "SKIP_RETRY", "missing retry", Check.COHERENT, Rules.STALE,
            "the mirror installs a faulted page without mmu_interval_read_retry"),
    MIRROR_NO_SET_SEQ(Driver.MIRROR, "NO_SET_SEQ", "missing retry", Check.COHERENT, Rules.STALE,
            "invalidate forgets mmu_interval_set_seq: read_retry never sees an invalidation"),
    MIRROR_KEEP_WRITABLE(Driver.MIRROR, "KEEP_WRITABLE", "ignored write-protect", Check.COHERENT, Rules.WRITE,
            "invalidate keeps the mirror's entries on a write-protecting event (mprotect, fork, soft-dirty)"),
    MIRROR_SKIPS_FOREIGN_MIGRATE(Driver.MIRROR, "SKIPS_FOREIGN_MIGRATE", "owner check missing", Check.COHERENT,
            Rules.STALE, "invalidate skips every MIGRATE and EXCLUSIVE range as its own, not only those naming its device"),
    MIRROR_LEAK_ON_STOP(Driver.MIRROR, "LEAK_ON_STOP", "registration leak", Check.NO_FORCED_CLEANUP,
            List.of("forced cleanup", "interval"),
            "deactivation forgets to remove the mirrors' interval subscriptions");

    /** The oracle's rules a kind of bug may break first (which one depends on the interleaving). */
    private static final class Rules {
        /** A translation used after its invalidation: inside the window, after it, or once the page went. */
        static final List<String> STALE = List.of("INSIDE_WINDOW", "STALE_TRANSLATION", "USE_AFTER_FREE", "UNMAPPED",
                "WRITE_PROTECTED");
        static final List<String> WRITE = List.of("WRITE_PROTECTED", "STALE_TRANSLATION", "INSIDE_WINDOW");
        static final List<String> RELEASE = List.of("AFTER_RELEASE");
        /** An rmap notifier's device is held to rules 1, 2 and 5. */
        static final List<String> RMAP = List.of("USE_AFTER_FREE", "UNMAPPED", "WRITE_PROTECTED");
    }

    public final Driver driver;
    /** The constant of the driver's knob that plants it. */
    public final String knob;
    public final String bugClass;
    public final Check check;
    /**
     * For {@link Check#COHERENT}, the rules the first violation may break; else the words the kit's
     * failure must contain, all of them.
     */
    public final List<String> names;
    public final String description;

    Mutant(Driver driver, String knob, String bugClass, Check check, List<String> names, String description) {
        this.driver = driver;
        this.knob = knob;
        this.bugClass = bugClass;
        this.check = check;
        this.names = names;
        this.description = description;
    }
}
