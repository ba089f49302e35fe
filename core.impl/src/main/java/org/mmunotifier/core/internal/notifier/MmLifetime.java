package org.mmunotifier.core.internal.notifier;

/**
 * {@code mm_count}: references to the mm structure itself, which outlive its address space
 * ({@code mm_users}). Every registration holds one, as {@code mmgrab()} in Linux, so an mm a driver
 * still has a notifier on is never freed under it.
 */
public interface MmLifetime {
    void mmgrab();

    void mmdrop();
}
