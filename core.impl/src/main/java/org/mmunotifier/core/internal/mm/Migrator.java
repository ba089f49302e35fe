package org.mmunotifier.core.internal.mm;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.core.internal.notifier.InvalidationRange;

/**
 * Migration of one page: copy it to a new frame and switch the pte over inside one page
 * invalidation. Without an owner it is {@code migrate_pages} (compaction, NUMA balancing:
 * {@code try_to_migrate_one}'s {@code CLEAR}); with one it is a device's {@code migrate_vma}
 * ({@code MIGRATE} naming the owner, so that device can skip the invalidation it caused). Only
 * pages mapped by one pte are moved; a page shared after fork stays where it is.
 */
public final class Migrator {
    private final PhysicalMemory memory;
    private final NotifierCore notifierCore;
    private final AtomicLong migrated = new AtomicLong();

    Migrator(PhysicalMemory memory, NotifierCore notifierCore) {
        this.memory = memory;
        this.notifierCore = notifierCore;
    }

    /**
     * Migrates the page at {@code address}; false if nothing movable is mapped there.
     *
     * @param owner null for {@code migrate_pages}, else the device migrating it ({@code migrate_vma})
     */
    public boolean migrate(AddressSpace mm, long address, Object owner) {
        Addresses.checkPage(address);
        mm.mmapLock().readLock().lock();
        try {
            if (!mm.isAlive()) {
                return false;
            }
            Frame old = mm.frameAt(address);
            if (old == null || old.mapCount() != 1) {
                return false;
            }
            Frame copy = memory.alloc();
            boolean[] movedBox = {false};
            MmuNotifierEvent event = owner == null ? MmuNotifierEvent.CLEAR : MmuNotifierEvent.MIGRATE;
            mm.invalidate(new InvalidationRange(mm, address, address + Addresses.PAGE_SIZE, event)
                    .owner(owner).pageOperation(), List.of(old), () -> {
                        long pte = mm.pageTable.get(address);
                        if (Pte.present(pte) && Pte.pfn(pte) == old.pfn && old.mapCount() == 1) {
                            copy.data.set(old.data.get());
                            mm.pageTable.set(address, Pte.make(copy.pfn, Pte.writable(pte))
                                    | (pte & (Pte.YOUNG | Pte.DIRTY | Pte.ACCESS | Pte.EXCLUSIVE)));
                            old.removeRmap(mm, address);
                            copy.addRmap(mm, address);
                            movedBox[0] = true;
                        }
                        return movedBox[0];
                    });
            boolean moved = movedBox[0];
            memory.put(moved ? old : copy);
            if (moved) {
                migrated.incrementAndGet();
            }
            return moved;
        } finally {
            mm.mmapLock().readLock().unlock();
        }
    }

    public long migratedCount() {
        return migrated.get();
    }
}
