package org.mmunotifier.api.page;

/** A flag was set or cleared that has no bit on the machine's {@link PageLayout}. */
public class UnsupportedPageFlagException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    public UnsupportedPageFlagException(PageFlag flag, PageLayout layout) {
        super("page flag PG_" + flag.name().toLowerCase(java.util.Locale.ROOT) + " (bit " + flag.bit()
                + ") does not exist on the " + layout + " page layout (flag bits 0.." + (layout.flagBits() - 1) + ")");
    }
}
