package org.mmunotifier.drivers.gru.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MappedFrame;

/**
 * The GRU chip's TLB: a few entries tagged by ASID (one ASID per mm), least recently used out
 * first. Every method runs under the TLB's monitor, and so do the accesses made through it.
 */
final class GruTlb {
    private int entries; // guarded by this
    private final LinkedHashMap<Long, MappedFrame> map;
    private long evictions; // guarded by this

    GruTlb(int entries) {
        this.entries = entries;
        this.map = new LinkedHashMap<>(entries * 2, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, MappedFrame> eldest) {
                if (size() > GruTlb.this.entries) {
                    evictions++;
                    return true;
                }
                return false;
            }
        };
    }

    private static long key(int asid, long page) {
        return ((long) asid << 40) | (page >>> Addresses.PAGE_SHIFT);
    }

    /** A new size; shrinking evicts the least recently used entries (a TLB miss only refills). */
    synchronized void resize(int newEntries) {
        entries = newEntries;
        for (Iterator<Long> it = map.keySet().iterator(); map.size() > entries && it.hasNext();) {
            it.next();
            it.remove();
            evictions++;
        }
    }

    synchronized int capacity() {
        return entries;
    }

    synchronized MappedFrame lookup(int asid, long page) {
        return map.get(key(asid, page));
    }

    synchronized void insert(int asid, long page, MappedFrame frame) {
        map.put(key(asid, page), frame);
    }

    /** Flushes {@code [start, end)} of one ASID; returns the entries dropped. */
    synchronized int flushRange(int asid, long start, long end) {
        int n = 0;
        for (long page = start; page < end; page += Addresses.PAGE_SIZE) {
            if (map.remove(key(asid, page)) != null) {
                n++;
            }
        }
        return n;
    }

    /** Flushes every entry of one ASID; returns the entries dropped. */
    synchronized int flushAsid(int asid) {
        int n = 0;
        for (Iterator<Long> it = map.keySet().iterator(); it.hasNext();) {
            if ((it.next() >>> 40) == asid) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    synchronized int size() {
        return map.size();
    }

    synchronized int size(int asid) {
        return (int) map.keySet().stream().filter(k -> (k >>> 40) == asid).count();
    }

    synchronized long evictions() {
        return evictions;
    }
}
