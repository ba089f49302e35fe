package org.mmunotifier.api;

import java.util.regex.Pattern;

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

    private static final Pattern NUMBER = Pattern.compile("0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*|[0-9]+(_[0-9]+)*");

    /**
     * An address as an operator types it: {@code 0x}-prefixed hex or decimal, {@code _} allowed
     * between digits ({@code 0x4000_0000}).
     *
     * @throws IllegalArgumentException naming the text if it is neither, or too large
     */
    public static long parse(String text) {
        return parse(text, "address");
    }

    /**
     * As {@link #parse(String)}, for a number that is not an address: {@code what} names it in the
     * error ({@code "length"}).
     */
    public static long parse(String text, String what) {
        String t = text.strip();
        if (!NUMBER.matcher(t).matches()) {
            throw new IllegalArgumentException("malformed " + what + " '" + text + "': expected 0x-prefixed hex or decimal");
        }
        String digits = t.replace("_", "");
        try {
            return digits.length() > 2 && (digits.charAt(1) == 'x' || digits.charAt(1) == 'X')
                    ? Long.parseLong(digits.substring(2), 16) : Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed " + what + " '" + text + "': too large");
        }
    }

    private static String describe(long start, long end) {
        return "range [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")";
    }
}
