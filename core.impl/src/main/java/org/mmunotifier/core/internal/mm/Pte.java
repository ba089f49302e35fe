package org.mmunotifier.core.internal.mm;

/** A pte packed in a long: the pfn above bit 12, flag bits below; 0 is "not present". */
final class Pte {
    static final long PRESENT = 1L;
    static final long WRITE = 1L << 1;
    /** The CPU may access the page; clear in a present pte: {@code pte_protnone} (mprotect PROT_NONE). */
    static final long ACCESS = 1L << 2;
    /** A device holds the page exclusively ({@code make_device_exclusive}): a CPU access restores it. */
    static final long EXCLUSIVE = 1L << 3;
    static final long YOUNG = 1L << 5;
    static final long DIRTY = 1L << 6;
    private static final int PFN_SHIFT = 12;

    private Pte() {
    }

    static long make(long pfn, boolean write) {
        return (pfn << PFN_SHIFT) | PRESENT | ACCESS | (write ? WRITE : 0);
    }

    /** Whether the CPU (or GUP) may use this pte for the access without a fault. */
    static boolean usable(long pte, boolean write) {
        return (pte & (PRESENT | ACCESS | EXCLUSIVE)) == (PRESENT | ACCESS) && (!write || (pte & WRITE) != 0);
    }

    static boolean exclusive(long pte) {
        return (pte & EXCLUSIVE) != 0;
    }

    static boolean accessible(long pte) {
        return (pte & ACCESS) != 0;
    }

    static boolean present(long pte) {
        return (pte & PRESENT) != 0;
    }

    static boolean writable(long pte) {
        return (pte & WRITE) != 0;
    }

    static boolean young(long pte) {
        return (pte & YOUNG) != 0;
    }

    static long pfn(long pte) {
        return pte >>> PFN_SHIFT;
    }

    static String describe(long pte) {
        return present(pte) ? "pfn " + pfn(pte) + (!accessible(pte) ? " protnone" : writable(pte) ? " rw" : " ro")
                + (exclusive(pte) ? " device-exclusive" : "") + (young(pte) ? " young" : "")
                + ((pte & DIRTY) != 0 ? " dirty" : "") : "none";
    }
}
