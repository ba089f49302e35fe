package org.mmunotifier.api.page;

/**
 * How many bits of {@code page->flags} hold flags on the simulated machine. The bits above
 * them hold the section/node/zone fields, as in Linux.
 *
 * <p>On the 32-bit layout those fields reach down to bit 24, so {@link PageFlag#EXTERNAL_RMAP}
 * (bit 30) does not exist there: {@code PageExternalRmap()} is always false and rmap notifiers
 * cannot be registered. That is the seed patch's {@code CONFIG_64BIT} rule.
 */
public enum PageLayout {
    /** A 64-bit machine: flag bits 0..31, fields above. */
    BITS_64(32),
    /** A 32-bit machine: flag bits 0..23, fields above. */
    BITS_32(24);

    private final int flagBits;

    PageLayout(int flagBits) {
        this.flagBits = flagBits;
    }

    /** Number of low bits of the flag word that hold flags. */
    public int flagBits() {
        return flagBits;
    }

    /** Whether {@code flag} has a bit of its own on this layout. */
    public boolean supports(PageFlag flag) {
        return flag.bit() < flagBits;
    }
}
