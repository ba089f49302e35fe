package org.mmunotifier.core.internal.oracle;

import java.util.concurrent.atomic.AtomicLong;

/** What the coherence oracle reads and writes of physical memory: a frame's generation and its data word. */
public interface FrameStore {
    /** One frame as the oracle sees it. */
    interface FrameState {
        /** Moves on each time the frame is freed. */
        long generation();

        /** The data word a device access reads or updates. */
        AtomicLong word();
    }

    /** Frame {@code pfn}: looked up once per access. */
    FrameState frame(long pfn);
}
