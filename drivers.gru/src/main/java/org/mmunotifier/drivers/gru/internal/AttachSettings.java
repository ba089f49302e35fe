package org.mmunotifier.drivers.gru.internal;

import org.mmunotifier.api.Addresses;

/**
 * The {@code attach*} settings of {@link GruDriver.Config}, checked: whether a new process gets a
 * GRU context, and the buffer it works on.
 *
 * @throws IllegalArgumentException naming the setting and its range if one is out of range
 */
record AttachSettings(boolean enabled, long address, int pages) {
    static final int MAX_PAGES = 65_536;

    AttachSettings {
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

    static AttachSettings of(GruDriver.Config config) {
        return new AttachSettings(config.attach(), config.attachAddress(), config.attachPages());
    }

    /** One past the buffer's last byte. */
    long end() {
        return address + pages * Addresses.PAGE_SIZE;
    }
}
