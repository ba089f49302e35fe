package org.mmunotifier.core.internal.mm;

import java.util.ArrayDeque;
import java.util.function.IntSupplier;
import org.mmunotifier.api.OutOfMemoryException;
import org.mmunotifier.api.page.PageFlag;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.oracle.FrameStore;

/**
 * The frames of the machine and the allocator. A frame is free exactly when its reference count is
 * zero; {@link #put} of the last reference poisons it and returns it to the free list.
 */
public final class PhysicalMemory implements org.mmunotifier.api.PageFrames, FrameStore {
    private final Frame[] frames;
    private final ArrayDeque<Frame> free = new ArrayDeque<>(); // guarded by itself
    private volatile IntSupplier reclaimer = () -> 0;


    public PhysicalMemory(int frameCount, PageLayout layout) {
        if (frameCount <= 0) {
            throw new IllegalArgumentException("frame count must be positive: " + frameCount);
        }
        frames = new Frame[frameCount];
        for (int i = 0; i < frameCount; i++) {
            frames[i] = new Frame(i, layout);
        }
        for (int i = frameCount - 1; i >= 0; i--) {
            free.push(frames[i]);
        }
    }

    /** What {@link #alloc} runs when memory is exhausted; returns how many frames it freed. */
    void setReclaimer(IntSupplier reclaimer) {
        this.reclaimer = reclaimer;
    }

    public int size() {
        return frames.length;
    }

    @Override
    public Frame page(long pfn) {
        return frame(pfn);
    }

    @Override
    public int frameCount() {
        return frames.length;
    }

    /**
     * The frame numbered {@code pfn}.
     *
     * @throws IllegalArgumentException if there is no such frame
     */
    @Override
    public Frame frame(long pfn) {
        if (pfn < 0 || pfn >= frames.length) {
            throw new IllegalArgumentException("pfn " + pfn + " is out of range: the machine has frames 0.."
                    + (frames.length - 1));
        }
        return frames[(int) pfn];
    }

    public int freeCount() {
        synchronized (free) {
            return free.size();
        }
    }

    /**
     * Allocates a zeroed frame with one reference, trying reclaim when none is free.
     *
     * @throws OutOfMemoryException if reclaim frees nothing
     */
    public Frame alloc() {
        for (int attempt = 0; attempt < 3; attempt++) {
            Frame f;
            synchronized (free) {
                f = free.poll();
            }
            if (f != null) {
                // A free frame has no references; anything else means a get() slipped past a free.
                if (!f.refCount.compareAndSet(0, 1)) {
                    throw new IllegalStateException("frame on the free list has references: " + f);
                }
                f.flags.clear(PageFlag.BUDDY);
                f.data.set(0);
                return f;
            }
            if (reclaimer.getAsInt() == 0 && attempt > 0) {
                break;
            }
        }
        throw new OutOfMemoryException("out of memory: all " + frames.length + " frames are in use and reclaim freed none");
    }

    /** {@code get_page}: the caller knows the frame is in use (it holds a pte or a reference). */
    void get(Frame f) {
        if (!tryGet(f)) {
            throw new IllegalStateException("get_page on a free frame: " + f); // and nothing changed
        }
    }

    /** {@code get_page_unless_zero}: a reference on a frame that may be freed concurrently. */
    boolean tryGet(Frame f) {
        int n;
        do {
            n = f.refCount.get();
            if (n <= 0) {
                return false;
            }
        } while (!f.refCount.compareAndSet(n, n + 1));
        return true;
    }

    /** {@code put_page}: the last reference frees the frame. */
    void put(Frame f) {
        int left = f.refCount.decrementAndGet();
        if (left == 0) {
            f.poison();
            synchronized (free) {
                free.push(f);
            }
        } else if (left < 0) {
            throw new IllegalStateException("put_page on a free frame: " + f);
        }
    }

    /** Frames in use, for leak checks. */
    public int usedCount() {
        return frames.length - freeCount();
    }

    Frame[] frames() {
        return frames;
    }
}
