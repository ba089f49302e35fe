package org.mmunotifier.core.internal.mm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageFlag;
import org.mmunotifier.api.page.PageFlags;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.oracle.FrameStore;

/**
 * A physical page frame ({@code struct page}): flags, reference count, the reverse map (which
 * (mm, address) ptes map it; {@code mapcount} is its size), a data word devices and CPUs read and
 * write, and a generation bumped on every free.
 */
public final class Frame implements Page, FrameStore.FrameState {
    /** What a freed frame holds, so a stale read is visible. */
    public static final long POISON = 0xdead_4ead_dead_4eadL;

    final long pfn;
    final PageFlags flags;
    final AtomicInteger refCount = new AtomicInteger();
    final AtomicLong data = new AtomicLong(POISON);
    private final AtomicLong generation = new AtomicLong();
    private final List<RmapEntry> rmap = new ArrayList<>(1); // guarded by this

    Frame(long pfn, PageLayout layout) {
        this.pfn = pfn;
        this.flags = new PageFlags(layout);
        this.flags.set(PageFlag.BUDDY);
    }

    @Override
    public long pfn() {
        return pfn;
    }

    @Override
    public PageFlags flags() {
        return flags;
    }

    @Override
    public int refCount() {
        return refCount.get();
    }

    @Override
    public synchronized int mapCount() {
        return rmap.size();
    }

    @Override
    public AtomicLong word() {
        return data;
    }

    @Override
    public long generation() {
        return generation.get();
    }

    public long data() {
        return data.get();
    }

    /** {@code page_add_anon_rmap}: the pte of {@code address} in {@code mm} now maps this frame. */
    synchronized void addRmap(AddressSpace mm, long address) {
        rmap.add(new RmapEntry(mm, address));
    }

    /** {@code page_remove_rmap}. */
    synchronized void removeRmap(AddressSpace mm, long address) {
        for (int i = 0; i < rmap.size(); i++) {
            RmapEntry e = rmap.get(i);
            if (e.mm() == mm && e.address() == address) {
                rmap.remove(i);
                return;
            }
        }
        throw new IllegalStateException("pfn " + pfn + " has no rmap entry for " + mm + " at 0x"
                + Long.toHexString(address) + ": " + rmap);
    }

    /** Who maps this frame now. */
    public synchronized List<RmapEntry> rmap() {
        return List.copyOf(rmap);
    }

    /** Back to the allocator: poison the data, forget the flags, start a new generation. */
    void poison() {
        data.set(POISON);
        flags.reset();
        flags.set(PageFlag.BUDDY);
        generation.incrementAndGet();
    }

    @Override
    public String toString() {
        return "pfn " + pfn + "#" + generation() + " ref " + refCount() + " " + flags;
    }
}
