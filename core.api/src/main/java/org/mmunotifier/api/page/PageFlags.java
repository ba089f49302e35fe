package org.mmunotifier.api.page;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The atomic flag word of one page ({@code page->flags}): {@code test_bit}, {@code set_bit},
 * {@code clear_bit}, {@code test_and_set_bit}, {@code test_and_clear_bit}.
 *
 * <p>A flag the {@link PageLayout} does not support tests false (as {@code PageExternalRmap()}
 * is 0 on 32-bit) and cannot be set or cleared: that throws {@link UnsupportedPageFlagException}
 * and leaves the word unchanged.
 */
public final class PageFlags {
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(PageFlags.class, "word", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PageLayout layout;
    @SuppressWarnings("unused") // accessed through WORD
    private volatile long word;

    public PageFlags(PageLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    public PageLayout layout() {
        return layout;
    }

    /** The whole flag word. */
    public long word() {
        return word;
    }

    public boolean test(PageFlag flag) {
        return layout.supports(flag) && (word & flag.mask()) != 0;
    }

    public void set(PageFlag flag) {
        WORD.getAndBitwiseOr(this, checked(flag));
    }

    public void clear(PageFlag flag) {
        WORD.getAndBitwiseAnd(this, ~checked(flag));
    }

    /** Sets the flag; returns whether it was already set. */
    public boolean testAndSet(PageFlag flag) {
        long mask = checked(flag);
        return ((long) WORD.getAndBitwiseOr(this, mask) & mask) != 0;
    }

    /** Clears the flag; returns whether it was set. */
    public boolean testAndClear(PageFlag flag) {
        long mask = checked(flag);
        return ((long) WORD.getAndBitwiseAnd(this, ~mask) & mask) != 0;
    }

    /** Clears every flag (the frame goes back to the allocator). */
    public void reset() {
        word = 0;
    }

    private long checked(PageFlag flag) {
        if (!layout.supports(Objects.requireNonNull(flag, "flag"))) {
            throw new UnsupportedPageFlagException(flag, layout);
        }
        return flag.mask();
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner("|", "[", "]");
        long w = word;
        for (PageFlag f : PageFlag.values()) {
            if (layout.supports(f) && (w & f.mask()) != 0) {
                j.add(f.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return j.toString();
    }
}
