package org.mmunotifier.core.internal.oracle;

import java.util.concurrent.atomic.AtomicLong;

/** What the coherence oracle reads and writes of physical memory: a frame's generation and its data word. */
public interface FrameStore {
    /** The frame's generation: it moves on each time the frame is freed. */
    long generation(long pfn);

    /** The frame's data word, which a device access reads or updates. */
    AtomicLong word(long pfn);
}
