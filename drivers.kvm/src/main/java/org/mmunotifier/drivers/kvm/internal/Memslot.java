package org.mmunotifier.drivers.kvm.internal;

import org.mmunotifier.api.Addresses;

/**
 * {@code struct kvm_memory_slot}: guest frames {@code [baseGfn, baseGfn + pages)} backed by host
 * virtual memory from {@code hva}.
 */
public record Memslot(long baseGfn, long pages, long hva) {
    public Memslot {
        if (baseGfn < 0 || pages <= 0) {
            throw new IllegalArgumentException("memslot needs baseGfn >= 0 and pages > 0, not " + baseGfn + ", " + pages);
        }
        Addresses.checkRange(hva, hva + pages * Addresses.PAGE_SIZE);
    }

    boolean containsGfn(long gfn) {
        return gfn >= baseGfn && gfn < baseGfn + pages;
    }

    long hvaOf(long gfn) {
        return hva + (gfn - baseGfn) * Addresses.PAGE_SIZE;
    }

    long gfnOf(long address) {
        return baseGfn + (address - hva) / Addresses.PAGE_SIZE;
    }

    long hvaEnd() {
        return hva + pages * Addresses.PAGE_SIZE;
    }
}
