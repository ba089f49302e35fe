package org.mmunotifier.core.internal.mm;

/** A pte packed in a long: the pfn above bit 12, flag bits below; 0 is "not present". */
final class Pte {
    static final long PRESENT = 1L;
    static final long WRITE = 1L << 1;
    static final long YOUNG = 1L << 5;
    static final long DIRTY = 1L << 6;
    private static final int PFN_SHIFT = 12;

    private Pte() {
    }

    static long make(long pfn, boolean write) {
        return (pfn << PFN_SHIFT) | PRESENT | (write ? WRITE : 0);
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
        return present(pte) ? "pfn " + pfn(pte) + (writable(pte) ? " rw" : " ro") + (young(pte) ? " young" : "")
                + ((pte & DIRTY) != 0 ? " dirty" : "") : "none";
    }
}
