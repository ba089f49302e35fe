package org.mmunotifier.core.internal.notifier;

import org.mmunotifier.api.MmuNotifierEvent;

/**
 * Every kind of call the core makes into a driver, named as in {@code mmu_notifier_ops}: what a
 * fault or a stall report says the driver was doing.
 */
enum CallKind {
    RELEASE("release", Args.NONE),
    INVALIDATE_RANGE_START("invalidate_range_start", Args.RANGE),
    INVALIDATE_RANGE_END("invalidate_range_end", Args.RANGE),
    INTERVAL_INVALIDATE("invalidate", Args.RANGE),
    INVALIDATE_PAGE("invalidate_page", Args.ADDRESS),
    INVALIDATE_RANGE("invalidate_range", Args.RANGE),
    ARCH_INVALIDATE_SECONDARY_TLBS("arch_invalidate_secondary_tlbs", Args.RANGE),
    AGE_PAGE("age_page", Args.ADDRESS),
    CLEAR_YOUNG("clear_young", Args.RANGE),
    TEST_YOUNG("test_young", Args.ADDRESS),
    RMAP_INVALIDATE_PAGE("rmap invalidate_page", Args.PFN),
    FREE_NOTIFIER("free_notifier", Args.NONE);

    private enum Args { NONE, ADDRESS, RANGE, PFN }

    private static final CallKind[] VALUES = values();
    private static final MmuNotifierEvent[] EVENTS = MmuNotifierEvent.values();

    final String opName;
    private final Args args;

    CallKind(String opName, Args args) {
        this.opName = opName;
        this.args = args;
    }

    /** A dispatch's kind and event packed in one int (see {@link ReaderSlot#kind}). */
    int pack(MmuNotifierEvent event) {
        return ordinal() | (event == null ? 0 : (event.ordinal() + 1) << 8);
    }

    static String name(int ordinal) {
        return VALUES[ordinal].opName;
    }

    static CallKind unpack(int packed) {
        return VALUES[packed & 0xff];
    }

    /** The arguments of a dispatch recorded on a reader slot, as a report shows them. */
    static String describe(int packed, long a, long b) {
        CallKind k = unpack(packed);
        int e = packed >>> 8;
        String event = e == 0 ? "" : EVENTS[e - 1] + " ";
        return switch (k.args) {
            case NONE -> k.opName;
            case ADDRESS -> k.opName + " 0x" + Long.toHexString(a);
            case RANGE -> k.opName + " " + event + "[0x" + Long.toHexString(a) + ", 0x" + Long.toHexString(b) + ")";
            case PFN -> k.opName + " pfn " + a;
        };
    }
}
