package org.mmunotifier.core.internal.notifier;

import java.util.Objects;
import org.mmunotifier.api.AlreadyRegisteredException;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.NotifiersDisabledException;
import org.mmunotifier.api.page.Page;
import org.mmunotifier.api.page.PageFlag;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.api.page.UnsupportedPageFlagException;
import org.mmunotifier.core.internal.util.CopyOnWrite;

/** The global rmap notifier list ({@code mmu_rmap_notifier_list}), read like the per-mm lists. */
final class RmapNotifiers {
    /** One registration; also what its owner holds. */
    private final class Entry implements Lease {
        final MmuRmapNotifier notifier;
        final Identity identity;
        final Owner owner;
        /** Set when unlinked: a dispatch that read the list before skips it from then on. */
        volatile boolean removed;

        Entry(MmuRmapNotifier notifier, Identity identity) {
            this.notifier = notifier;
            this.identity = identity;
            this.owner = identity.owner;
        }

        @Override
        public Identity identity() {
            return identity;
        }

        @Override
        public void forceRemove() {
            if (unlink(this)) {
                afterUnlink(this);
            }
        }

        @Override
        public String describe() {
            return "rmap notifier " + identity.notifier;
        }

        @Override
        public long mmId() {
            return -1;
        }
    }

    private static final Entry[] NONE = {};

    private final PageLayout layout;
    private final Srcu srcu;
    private final NotifierFaults faults;
    private final NotifierCore core;
    private volatile Entry[] list = NONE;

    RmapNotifiers(NotifierCore core) {
        this.core = core;
        this.layout = core.pageLayout();
        this.srcu = core.srcu();
        this.faults = core.faults();
    }

    void register(MmuRmapNotifier notifier) {
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
        Entry e = new Entry(notifier, core.newIdentity(core.openOwnerOf(notifier), notifier));
        synchronized (this) {
            if (indexOf(notifier) >= 0) {
                throw new AlreadyRegisteredException("rmap notifier " + e.identity.notifier + " is registered already");
            }
            if (!e.owner.adopt(e)) { // before publishing: see MmNotifierSubscriptions.link
                throw e.owner.stopped();
            }
            list = CopyOnWrite.with(list, e);
            core.registered(e);
        }
    }

    void unregister(MmuRmapNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        Entry e;
        synchronized (this) {
            int i = indexOf(notifier);
            if (i < 0) {
                throw new NotRegisteredException("rmap notifier " + Identity.nameOf(notifier) + " is not registered");
            }
            e = list[i];
            unlink(e);
        }
        afterUnlink(e);
    }

    private void afterUnlink(Entry e) {
        e.owner.disown(e);
        long id = e.identity.id;
        srcu.synchronize(x -> x == id, () -> "unregister of " + e.describe());
        core.removed(e);
    }

    /** @return false if it was unlinked already */
    private synchronized boolean unlink(Entry e) {
        Entry[] next = CopyOnWrite.without(list, e);
        if (next == null) {
            return false;
        }
        list = next.length == 0 ? NONE : next;
        e.removed = true;
        e.identity.retire();
        return true;
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
        long outer = r.beginDispatch(CallKind.RMAP_INVALIDATE_PAGE.pack(null), page.pfn(), 0);
        try {
            for (Entry e : list) { // read inside the section: unregister waits for it
                if (e.removed || !e.owner.admits()) {
                    continue;
                }
                r.calling(e.identity.id, outer);
                try {
                    e.notifier.invalidatePage(page);
                } catch (Throwable t) {
                    faults.threw(e.identity, CallKind.RMAP_INVALIDATE_PAGE, -1, t);
                }
            }
        } finally {
            r.endDispatch(outer);
            srcu.exit(r);
        }
    }

    int size() {
        return list.length;
    }

    Identity identityOf(MmuRmapNotifier notifier) {
        int i = indexOf(notifier);
        if (i < 0) {
            throw new NotRegisteredException("rmap notifier " + Identity.nameOf(notifier) + " is not registered");
        }
        return list[i].identity;
    }

    private int indexOf(MmuRmapNotifier notifier) {
        Entry[] l = list;
        for (int i = 0; i < l.length; i++) {
            if (l[i].notifier == notifier) {
                return i;
            }
        }
        return -1;
    }
}
