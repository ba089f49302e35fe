package org.mmunotifier.core.internal.mm;

import org.mmunotifier.api.Addresses;

/**
 * A virtual memory area ({@code struct vm_area_struct}): {@code [start, end)} with protection bits
 * and private (copy-on-write after fork) or shared anonymous memory. Immutable; mprotect,
 * munmap and mremap replace it with pieces.
 */
public record Vma(long start, long end, int prot, boolean shared) {
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;

    public Vma {
        Addresses.checkRange(start, end);
        checkProt(prot);
    }

    /** @throws IllegalArgumentException if {@code prot} has bits other than read, write and exec */
    static void checkProt(int prot) {
        if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) != 0) {
            throw new IllegalArgumentException("protection 0x" + Integer.toHexString(prot)
                    + " has bits other than PROT_READ|PROT_WRITE|PROT_EXEC");
        }
    }

    boolean readable() {
        return (prot & PROT_READ) != 0;
    }

    boolean writable() {
        return (prot & PROT_WRITE) != 0;
    }

    /** Private writable memory: shared with a fork child until a write copies it. */
    boolean isCow() {
        return !shared && writable();
    }

    Vma withRange(long s, long e) {
        return new Vma(s, e, prot, shared);
    }

    Vma withProt(int p) {
        return new Vma(start, end, p, shared);
    }

    long length() {
        return end - start;
    }

    public static String protString(int prot) {
        return ((prot & PROT_READ) != 0 ? "r" : "-") + ((prot & PROT_WRITE) != 0 ? "w" : "-")
                + ((prot & PROT_EXEC) != 0 ? "x" : "-");
    }

    @Override
    public String toString() {
        return String.format("%012x-%012x %s%s", start, end, protString(prot), shared ? "s" : "p");
    }
}
