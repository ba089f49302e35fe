package org.mmunotifier.core.internal.notifier;

import java.util.Arrays;
import java.util.Objects;
import org.mmunotifier.api.AlreadyRegisteredException;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.NotifiersDisabledException;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageFlag;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.page.UnsupportedPageFlagException;

/** The global rmap notifier list ({@code mmu_rmap_notifier_list}), read like the per-mm lists. */
final class RmapNotifiers {
    private static final MmuRmapNotifier[] NONE = {};

    private final PageLayout layout;
    private final Srcu srcu;
    private final NotifierFaults faults;
    private volatile MmuRmapNotifier[] list = NONE;

    RmapNotifiers(PageLayout layout, Srcu srcu, NotifierFaults faults) {
        this.layout = layout;
        this.srcu = srcu;
        this.faults = faults;
    }

    synchronized void register(MmuRmapNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        if (!NotifierConfig.COMPILED_IN) {
            throw new NotifiersDisabledException("MMU notifiers are compiled out (" + NotifierConfig.PROPERTY
                    + "=off): rmap notifiers cannot be registered");
        }
        if (!layout.supports(PageFlag.EXTERNAL_RMAP)) {
            throw new UnsupportedPageFlagException(PageFlag.EXTERNAL_RMAP, layout) {
                private static final long serialVersionUID = 1L;

                @Override
                public String getMessage() {
                    return "rmap notifiers cannot be registered: " + super.getMessage();
                }
            };
        }
        if (indexOf(notifier) >= 0) {
            throw new AlreadyRegisteredException("rmap notifier " + NotifierFault.identify(notifier)
                    + " is registered already");
        }
        MmuRmapNotifier[] next = Arrays.copyOf(list, list.length + 1);
        next[next.length - 1] = notifier;
        list = next;
    }

    void unregister(MmuRmapNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        synchronized (this) {
            int i = indexOf(notifier);
            if (i < 0) {
                throw new NotRegisteredException("rmap notifier " + NotifierFault.identify(notifier)
                        + " is not registered");
            }
            MmuRmapNotifier[] next = new MmuRmapNotifier[list.length - 1];
            System.arraycopy(list, 0, next, 0, i);
            System.arraycopy(list, i + 1, next, i, list.length - i - 1);
            list = next.length == 0 ? NONE : next;
        }
        srcu.synchronize();
    }

    /** {@code mmu_rmap_notifier(invalidate_page, page)}, for pages marked {@code PageExternalRmap}. */
    void invalidatePage(Page page) {
        if (!NotifierConfig.COMPILED_IN || !page.isExternalRmap()) {
            return;
        }
        if (list.length == 0) {
            return;
        }
        ReaderSlot r = srcu.enter();
        try {
            for (MmuRmapNotifier n : list) { // read inside the section: unregister waits for it
                try {
                    n.invalidatePage(page);
                } catch (Throwable t) {
                    faults.threw(n, "rmap invalidate_page", -1, t);
                }
            }
        } finally {
            srcu.exit(r);
        }
    }

    int size() {
        return list.length;
    }

    private int indexOf(MmuRmapNotifier notifier) {
        MmuRmapNotifier[] l = list;
        for (int i = 0; i < l.length; i++) {
            if (l[i] == notifier) {
                return i;
            }
        }
        return -1;
    }
}
