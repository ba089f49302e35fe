package org.mmunotifier.core.internal.notifier;

/** What the SRCU stress tests publish, look up inside a section, and free after a grace period. */
final class SrcuNode {
    private static final int ALIVE = 1;
    private static final int FREED = -1;

    /** Plain, as a notifier's own state is: only the grace period orders the free after the use. */
    private int state = ALIVE;

    void free() {
        state = FREED;
    }

    /**
     * A reader: looks the node up and uses it inside a read-side section of {@code srcu}.
     *
     * @return 0 if there was nothing to use, 1 if the node was alive, -1 if it had been freed
     */
    static int lookUp(Srcu srcu, Holder shared) {
        ReaderSlot section = srcu.enter();
        try {
            SrcuNode n = shared.head;
            return n == null ? 0 : n.state;
        } finally {
            srcu.exit(section);
        }
    }

    /** A writer: unlinks the node, waits for a grace period, frees it. */
    static void unlinkAndFree(Srcu srcu, Holder shared) {
        SrcuNode n = shared.head;
        shared.head = null;
        srcu.synchronize();
        n.free();
    }

    /** The published pointer, volatile as the core's subscriber array is. */
    static final class Holder {
        volatile SrcuNode head = new SrcuNode();
    }
}
