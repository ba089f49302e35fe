package org.mmunotifier.api;

/**
 * One page a secondary MMU may map, as {@link MmStruct#faultRange} returned it: the user
 * {@code address}, the physical frame ({@code pfn}), the frame's {@code generation} when it was
 * looked up (it changes every time the frame is freed), whether the primary maps it writable, and
 * the address space's invalidation sequence ({@code seq}) when it was looked up. Device accesses
 * pass it to their {@link DeviceAccess}: the oracle tells from {@code seq} whether the translation
 * predates an invalidation the device was told about.
 */
public record MappedFrame(long address, long pfn, long generation, boolean writable, long seq) {

    /** A frame with no invalidation sequence (a translation made up by a test). */
    public MappedFrame(long address, long pfn, long generation, boolean writable) {
        this(address, pfn, generation, writable, 0);
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(address) + "->pfn " + pfn + "#" + generation + (writable ? " rw" : " ro");
    }
}
