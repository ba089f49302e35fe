package org.mmunotifier.api;

/**
 * One page a secondary MMU may map, as {@link MmStruct#faultRange} returned it: the user
 * {@code address}, the physical frame ({@code pfn}), the frame's {@code generation} when it was
 * looked up (it changes every time the frame is freed), and whether the primary maps it writable.
 * Device accesses pass it to the {@link CoherenceOracle}.
 */
public record MappedFrame(long address, long pfn, long generation, boolean writable) {

    @Override
    public String toString() {
        return "0x" + Long.toHexString(address) + "->pfn " + pfn + "#" + generation + (writable ? " rw" : " ro");
    }
}
