package org.mmunotifier.api;

/** Page size and the user address space of the simulated machine (x86-64, 4-level paging). */
public final class Addresses {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final long PAGE_MASK = ~(PAGE_SIZE - 1);
    /** One past the highest user address ({@code TASK_SIZE}): 128 TiB. */
    public static final long TASK_SIZE = 1L << 47;

    private Addresses() {
    }

    public static boolean isPageAligned(long address) {
        return (address & ~PAGE_MASK) == 0;
    }

    /**
     * Checks that {@code [start, end)} is a non-empty, page-aligned range of user addresses.
     *
     * @throws InvalidRangeException naming what is wrong
     */
    public static void checkRange(long start, long end) {
        if (start < 0 || end > TASK_SIZE || start > TASK_SIZE || end < 0) {
            throw new InvalidRangeException(describe(start, end) + " lies outside the user address space [0x0, 0x"
                    + Long.toHexString(TASK_SIZE) + ")");
        }
        if (end < start) {
            throw new InvalidRangeException(describe(start, end) + " is inverted: end is below start");
        }
        if (end == start) {
            throw new InvalidRangeException(describe(start, end) + " is empty");
        }
        if (!isPageAligned(start) || !isPageAligned(end)) {
            throw new InvalidRangeException(describe(start, end) + " is not aligned to the page size 0x"
                    + Long.toHexString(PAGE_SIZE));
        }
    }

    /**
     * Checks that {@code address} is a page-aligned user address.
     *
     * @throws InvalidRangeException naming what is wrong
     */
    public static void checkPage(long address) {
        checkRange(address, address + PAGE_SIZE);
    }

    /**
     * An address as an operator types it: {@code 0x}-prefixed hex or decimal, {@code _} allowed
     * between digits ({@code 0x4000_0000}).
     *
     * @throws IllegalArgumentException naming the text if it is neither, or is negative
     */
    public static long parse(String text) {
        String t = text.strip().replace("_", "");
        long v;
        try {
            v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed address '" + text + "': expected 0x-prefixed hex or decimal");
        }
        if (v < 0) {
            throw new IllegalArgumentException("malformed address '" + text + "': negative");
        }
        return v;
    }

    private static String describe(long start, long end) {
        return "range [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
    }
}
