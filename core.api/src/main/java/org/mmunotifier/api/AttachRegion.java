package org.mmunotifier.api;

/**
 * The region of each new process a driver gives a device context: a driver's {@code attach},
 * {@code attachAddress} and {@code attachPages} settings, checked.
 *
 * @param enabled whether new processes get a context at all
 * @param address the first byte, page aligned
 * @param pages its length in pages, 1..{@value #MAX_PAGES}
 */
public record AttachRegion(boolean enabled, long address, int pages) {
    public static final int MAX_PAGES = 65_536;

    /** @throws IllegalArgumentException naming the setting and its range if one is out of range */
    public AttachRegion {
        if (pages < 1 || pages > MAX_PAGES) {
            throw new IllegalArgumentException("attachPages=" + pages + " is out of range: 1.." + MAX_PAGES);
        }
        long last = Addresses.TASK_SIZE - pages * Addresses.PAGE_SIZE;
        if (address < 0 || address > last || !Addresses.isPageAligned(address)) {
            throw new IllegalArgumentException("attachAddress=0x" + Long.toHexString(address)
                    + " is out of range: a page-aligned address in 0x0..0x" + Long.toHexString(last)
                    + " (for attachPages=" + pages + ")");
        }
    }

    /** The length in bytes. */
    public long length() {
        return pages * Addresses.PAGE_SIZE;
    }

    /** One past the last byte. */
    public long end() {
        return address + length();
    }
}
