package org.mmunotifier.core.internal.util;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Counts events and keeps the most recent ones, for operators to list. Thread-safe. */
public final class RecentLog<T> {
    private final int keep;
    private final AtomicLong count = new AtomicLong();
    private final ArrayDeque<T> recent = new ArrayDeque<>(); // guarded by itself

    public RecentLog(int keep) {
        this.keep = keep;
    }

    public void add(T event) {
        count.incrementAndGet();
        synchronized (recent) {
            if (recent.size() == keep) {
                recent.removeFirst();
            }
            recent.addLast(event);
        }
    }

    /** Forgets the events kept (the count goes on counting): an operator's fresh start. */
    public void clear() {
        synchronized (recent) {
            recent.clear();
        }
    }

    /** Events added so far, including those no longer kept. */
    public long count() {
        return count.get();
    }

    /** The most recent events, oldest first. */
    public List<T> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
