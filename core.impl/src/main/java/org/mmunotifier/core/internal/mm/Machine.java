package org.mmunotifier.core.internal.mm;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.core.internal.oracle.Oracle;

/**
 * The simulated machine: physical memory, the notifier core, the coherence oracle, reclaim and
 * migration, and the processes. Every path that removes a pte of a {@code PG_external_rmap} page
 * (munmap, madvise, mremap, COW, reclaim, migration, exit) calls the rmap notifiers while its
 * invalidation is in flight, before the page can be freed.
 */
public final class Machine implements Processes, AutoCloseable {
    private final PhysicalMemory memory;
    private final NotifierCore notifierCore;
    private final Oracle oracle;
    private final Reclaimer reclaimer;
    private final Migrator migrator;
    private final Adversary adversary = new Adversary(this);
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    private final AtomicInteger pids = new AtomicInteger();
    private final LongAdder invalidations = new LongAdder();

    public Machine(int frames, PageLayout layout) {
        Objects.requireNonNull(layout, "layout");
        this.memory = new PhysicalMemory(frames, layout);
        this.notifierCore = new NotifierCore(layout);
        this.oracle = new Oracle(notifierCore, memory);
        this.reclaimer = new Reclaimer(memory, notifierCore);
        this.migrator = new Migrator(memory, notifierCore);
        memory.setReclaimer(() -> reclaimer.shrink(Math.max(1, frames / 64)));
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public NotifierCore notifierCore() {
        return notifierCore;
    }

    public Oracle oracle() {
        return oracle;
    }

    public Reclaimer reclaimer() {
        return reclaimer;
    }

    public Migrator migrator() {
        return migrator;
    }

    /** The torture's adversary (off until configured). */
    public Adversary adversary() {
        return adversary;
    }

    LongAdder invalidationCounter() {
        return invalidations;
    }

    /** Range and page invalidations the primary MMU has begun, on every mm so far. */
    public long invalidations() {
        return invalidations.sum();
    }

    /** A new process with an empty address space. */
    public Process spawn() {
        return register(new AddressSpace(this));
    }

    /** {@code fork}: a child process sharing the parent's pages copy-on-write. */
    public Process fork(Process parent) {
        AddressSpace child = new AddressSpace(this);
        parent.mm().forkInto(child);
        return register(child);
    }

    private Process register(AddressSpace mm) {
        Process p = new Process(pids.incrementAndGet(), mm);
        processes.put(p.pid(), p);
        return p;
    }

    /**
     * The process with {@code pid}.
     *
     * @throws NoSuchProcessException if there is none (it never existed or has exited)
     */
    public Process process(int pid) {
        Process p = processes.get(pid);
        if (p == null || !p.isAlive()) {
            throw new NoSuchProcessException(pid);
        }
        return p;
    }

    @Override
    public AddressSpace mm(int pid) {
        return process(pid).mm();
    }

    @Override
    public List<Integer> pids() {
        return processes().stream().filter(Process::isAlive).map(Process::pid).toList();
    }

    public List<Process> processes() {
        return processes.values().stream().sorted((a, b) -> Integer.compare(a.pid(), b.pid())).toList();
    }

    /**
     * Turns the device faults' raw stacks of every live process into lines: a stopped bundle's
     * classes must not stay reachable from the fault rings, or its old revision's class loader
     * would outlive a refresh.
     */
    public void symbolizeFaultStacks() {
        for (Process p : processes.values()) {
            p.mm().deviceFaults.symbolizeAll();
        }
    }

    void forget(AddressSpace mm) {
        processes.values().removeIf(p -> p.mm() == mm);
    }

    /**
     * Checks, with the machine quiescent, that frames, ptes and the reverse map agree: every
     * present pte's frame lists that (mm, address) in its rmap, every rmap entry is a present pte,
     * and every frame's references are exactly its mappings. Returns what disagrees.
     */
    public List<String> checkConsistency() {
        List<String> problems = new java.util.ArrayList<>();
        for (Frame f : memory.frames()) {
            List<RmapEntry> rmap = f.rmap();
            if (f.refCount() != rmap.size()) {
                problems.add(f + ": " + f.refCount() + " references but " + rmap.size() + " mappings " + rmap);
            }
            for (RmapEntry e : rmap) {
                long pte = e.mm().pageTable.get(e.address());
                if (!Pte.present(pte) || Pte.pfn(pte) != f.pfn) {
                    problems.add(f + ": rmap says " + e + " but the pte there is " + Pte.describe(pte));
                }
            }
        }
        for (Process p : processes.values()) {
            AddressSpace mm = p.mm();
            mm.ptl.lock();
            try {
                mm.pageTable.walk(0, org.mmunotifier.api.Addresses.TASK_SIZE, (address, pte) -> {
                    Frame f = memory.frame(Pte.pfn(pte));
                    if (!f.rmap().contains(new RmapEntry(mm, address))) {
                        problems.add(mm + " maps " + f + " at 0x" + Long.toHexString(address) + " without an rmap entry");
                    }
                    return pte;
                });
            } finally {
                mm.ptl.unlock();
            }
        }
        return problems;
    }

    @Override
    public void close() {
        notifierCore.close();
    }
}
