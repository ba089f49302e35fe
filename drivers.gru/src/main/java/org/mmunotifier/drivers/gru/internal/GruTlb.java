package org.mmunotifier.drivers.gru.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.SpinLock;

/**
 * The GRU chip's TLB: a few entries tagged by ASID (one ASID per mm), least recently used out
 * first. Every method runs under the TLB's {@link #lock}, and so do the accesses made through it.
 */
final class GruTlb {
    /** The chip's TLB lock: the instructions hold it around their accesses, the flushes take it. */
    final SpinLock lock = new SpinLock();
    private int entries; // guarded by lock
    private final LinkedHashMap<Long, MappedFrame> map;
    private long evictions; // guarded by lock

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
    void resize(int newEntries) {
        lock.lock();
        try {
            entries = newEntries;
            for (Iterator<Long> it = map.keySet().iterator(); map.size() > entries && it.hasNext();) {
                it.next();
                it.remove();
                evictions++;
            }
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        lock.lock();
        try {
            return entries;
        } finally {
            lock.unlock();
        }
    }

    MappedFrame lookup(int asid, long page) {
        lock.lock();
        try {
            return map.get(key(asid, page));
        } finally {
            lock.unlock();
        }
    }

    void insert(int asid, long page, MappedFrame frame) {
        lock.lock();
        try {
            map.put(key(asid, page), frame);
        } finally {
            lock.unlock();
        }
    }

    /** Flushes {@code [start, end)} of one ASID; returns the entries dropped. */
    int flushRange(int asid, long start, long end) {
        lock.lock();
        try {
            int n = 0;
            for (long page = start; page < end; page += Addresses.PAGE_SIZE) {
                if (map.remove(key(asid, page)) != null) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Flushes every entry of one ASID; returns the entries dropped. */
    int flushAsid(int asid) {
        lock.lock();
        try {
            int n = 0;
            for (Iterator<Long> it = map.keySet().iterator(); it.hasNext();) {
                if ((it.next() >>> 40) == asid) {
                    it.remove();
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return map.size();
        } finally {
            lock.unlock();
        }
    }

    int size(int asid) {
        lock.lock();
        try {
            return (int) map.keySet().stream().filter(k -> (k >>> 40) == asid).count();
        } finally {
            lock.unlock();
        }
    }

    long evictions() {
        lock.lock();
        try {
            return evictions;
        } finally {
            lock.unlock();
        }
    }
}
