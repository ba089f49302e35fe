package org.mmunotifier.core.internal.mm;

import org.mmunotifier.api.Addresses;

/**
 * A four-level page table (PGD, PUD, PMD, PTE; 512 entries each, as x86-64) that exists only
 * where something is mapped. Each table keeps a bitmap of its present entries, so a walk over a
 * range visits the present entries and the tables leading to them, whatever the size of the
 * range: unmapping 1 TiB with 1 000 pages mapped touches about 1 000 ptes, not 2^28.
 *
 * <p>Writers hold the mm's page-table lock. {@link #get} is lock-free: entries are published with
 * volatile stores and an emptied table is detached only after its entries were cleared, so a
 * racing reader sees either the pte or nothing.
 */
final class PageTable {
    private static final int BITS = 9;
    private static final int ENTRIES = 1 << BITS;
    private static final int LEVELS = 4;

    /** Called for each present pte in a walk; returns the new pte (0 to clear it). */
    interface PteVisitor {
        long visit(long address, long pte);
    }

    /** Shared shape: a presence bitmap and a count of present entries (page-table lock held). */
    private abstract static class Table {
        int count;

        abstract long word(int w);

        abstract void setWord(int w, long v);

        void mark(int i, boolean on) {
            long bit = 1L << (i & 63);
            long word = word(i >> 6);
            if (on && (word & bit) == 0) {
                setWord(i >> 6, word | bit);
                count++;
            } else if (!on && (word & bit) != 0) {
                setWord(i >> 6, word & ~bit);
                count--;
            }
        }
    }

    /** An upper-level table: child tables in one array, the bitmap in another. */
    private static final class Dir extends Table {
        final Object[] slots = new Object[ENTRIES];
        final long[] present = new long[ENTRIES / 64];

        @Override
        long word(int w) {
            return present[w];
        }

        @Override
        void setWord(int w, long v) {
            present[w] = v;
        }

        Table slot(int i) {
            return (Table) SLOTS.getAcquire(slots, i);
        }

        void setSlot(int i, Table t) {
            SLOTS.setRelease(slots, i, t);
        }
    }

    /**
     * A pte table: the bitmap, the 512 ptes and their stamps in one array (bitmap first), so a
     * sparse walk touches one array per table rather than several objects.
     */
    private static final class Leaf extends Table {
        private static final int BITMAP = ENTRIES / 64;
        private static final int STAMPS = BITMAP + ENTRIES;
        final long[] words = new long[BITMAP + 2 * ENTRIES];

        @Override
        long word(int w) {
            return words[w];
        }

        @Override
        void setWord(int w, long v) {
            words[w] = v;
        }

        long pte(int i) {
            return (long) WORDS.getAcquire(words, BITMAP + i);
        }

        void setPte(int i, long pte) {
            WORDS.setRelease(words, BITMAP + i, pte);
        }

        long stamp(int i) {
            return (long) WORDS.getAcquire(words, STAMPS + i);
        }

        /** Stamped before the pte it dates is stored: a reader that sees the new pte sees its stamp. */
        void setStamp(int i, long tick) {
            WORDS.setRelease(words, STAMPS + i, tick);
        }
    }

    private static final java.lang.invoke.VarHandle SLOTS = java.lang.invoke.MethodHandles.arrayElementVarHandle(Object[].class);
    private static final java.lang.invoke.VarHandle WORDS = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);

    private final Dir pgd = new Dir();
    /** The tick of the invalidation changing ptes now, or 0 (guarded by the page-table lock). */
    private long stamping;
    private long presentPtes; // guarded by the page-table lock
    private long tables = 1; // guarded by the page-table lock

    private static int index(long address, int level) {
        return (int) (address >>> (Addresses.PAGE_SHIFT + BITS * (LEVELS - 1 - level))) & (ENTRIES - 1);
    }

    /** Lock-free lookup: the pte mapping {@code address}, or 0. */
    long get(long address) {
        Leaf leaf = leafOf(address);
        return leaf == null ? 0 : leaf.pte(index(address, LEVELS - 1));
    }

    /** Lock-free: the pte table holding {@code address}, or null if none was ever made. */
    private Leaf leafOf(long address) {
        Table t = pgd;
        for (int level = 0; level < LEVELS - 1; level++) {
            t = ((Dir) t).slot(index(address, level));
            if (t == null) {
                return null;
            }
        }
        return (Leaf) t;
    }

    /**
     * From now until {@code stamping(0)}, every pte stored or changed is stamped with
     * {@code tick}, the invalidation changing it (page-table lock held): the oracle dates a
     * translation against the last invalidation that changed its pte.
     */
    void stamping(long tick) {
        stamping = tick;
    }

    /** Lock-free: the tick of the last invalidation that changed the pte of {@code address}, or 0. */
    long stampOf(long address) {
        Leaf leaf = leafOf(address);
        return leaf == null ? 0 : leaf.stamp(index(address, LEVELS - 1));
    }

    /** Installs {@code pte} at {@code address} (page-table lock held); returns the old pte. */
    long set(long address, long pte) {
        if (pte == 0) {
            return clear(address);
        }
        Table t = pgd;
        for (int level = 0; level < LEVELS - 1; level++) {
            Dir d = (Dir) t;
            int i = index(address, level);
            Table next = d.slot(i);
            if (next == null) {
                next = level == LEVELS - 2 ? new Leaf() : new Dir();
                tables++;
                d.setSlot(i, next);
                d.mark(i, true);
            }
            t = next;
        }
        Leaf leaf = (Leaf) t;
        int i = index(address, LEVELS - 1);
        long old = leaf.pte(i);
        if (stamping != 0 && old != pte) {
            leaf.setStamp(i, stamping);
        }
        leaf.setPte(i, pte);
        if (old == 0) {
            leaf.mark(i, true);
            presentPtes++;
        }
        return old;
    }

    /** Clears the pte of {@code address} (page-table lock held); returns what it was. */
    long clear(long address) {
        long[] old = {0};
        walk(address, address + Addresses.PAGE_SIZE, (a, pte) -> {
            old[0] = pte;
            return 0;
        });
        return old[0];
    }

    /**
     * Visits the present ptes of {@code [start, end)} in address order (page-table lock held),
     * storing what the visitor returns and freeing tables that become empty.
     *
     * @return the number of ptes visited
     */
    long walk(long start, long end, PteVisitor visitor) {
        return walk(pgd, 0, 0, start, end - 1, visitor);
    }

    private long walk(Table t, int level, long base, long first, long last, PteVisitor visitor) {
        int shift = Addresses.PAGE_SHIFT + BITS * (LEVELS - 1 - level);
        int from = (int) Math.min(ENTRIES, Math.max(0, (first - base) >> shift));
        int to = (int) Math.min(ENTRIES - 1, (last - base) >> shift);
        long visited = 0;
        for (int i = nextPresent(t, from); i >= 0 && i <= to; i = nextPresent(t, i + 1)) {
            long address = base + ((long) i << shift);
            if (level == LEVELS - 1) {
                Leaf leaf = (Leaf) t;
                long pte = leaf.pte(i);
                long now = visitor.visit(address, pte);
                visited++;
                if (now != pte) {
                    if (stamping != 0) {
                        leaf.setStamp(i, stamping);
                    }
                    // Release, not volatile: writers hold the page-table lock, and a lock-free
                    // reader needs only to see the old pte or the new one.
                    leaf.setPte(i, now);
                    if (now == 0) {
                        leaf.mark(i, false);
                        presentPtes--;
                    }
                }
            } else {
                Dir d = (Dir) t;
                Table child = d.slot(i);
                visited += walk(child, level + 1, address, first, last, visitor);
                if (child.count == 0) {
                    d.setSlot(i, null); // its entries are all clear: readers see nothing either way
                    d.mark(i, false);
                    tables--;
                }
            }
        }
        return visited;
    }

    private static int nextPresent(Table t, int from) {
        if (from >= ENTRIES) {
            return -1;
        }
        int word = from >> 6;
        long bits = t.word(word) & (-1L << (from & 63));
        while (true) {
            if (bits != 0) {
                return (word << 6) + Long.numberOfTrailingZeros(bits);
            }
            if (++word == ENTRIES / 64) {
                return -1;
            }
            bits = t.word(word);
        }
    }

    /** Present ptes (page-table lock held). */
    long presentCount() {
        return presentPtes;
    }

    /** Tables allocated, the PGD included (page-table lock held). */
    long tableCount() {
        return tables;
    }
}
