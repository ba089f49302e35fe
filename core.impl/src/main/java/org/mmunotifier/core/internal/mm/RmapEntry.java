package org.mmunotifier.core.internal.mm;

/** One pte that maps a frame: the mm and the user address. */
public record RmapEntry(AddressSpace mm, long address) {

    @Override
    public String toString() {
        return mm + "@0x" + Long.toHexString(address);
    }
}
