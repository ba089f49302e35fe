package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.mmunotifier.core.internal.util.CopyOnWrite;

/**
 * Who among one invalidation's subscribers has been told of it, for the strict coherence oracle:
 * bit k of {@code heard} is set once a callback that {@code subs[k]} fills in has returned, bit k
 * of {@code open} while its {@code invalidate_range_start} has returned and its end has not begun
 * (the window in which its device must keep away). Interval subscriptions whose
 * {@code invalidate} returned are listed; their window lasts until the invalidation ends.
 *
 * <p>Only the thread running the invalidation writes, with release stores: a bit costs the
 * dispatch one plain store per call, no lock and no shared counter (a per-registration log
 * written under a lock on every call made dispatch ten times slower). Device threads read with
 * acquire loads; one that reads a bit a moment late is merely excused for that moment.
 */
public final class Told {
    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final Identity[] NONE = {};

    private final Subscription[] subs;
    private final long[] heard;
    private final long[] open;
    /** The first callback each subscriber was told by ({@link CallKind} ordinal); written before its heard bit. */
    private final byte[] by;
    private volatile Identity[] intervals = NONE;
    private volatile boolean over;

    Told(Subscription[] subs) {
        this.subs = subs;
        int words = (subs.length + 63) >>> 6;
        this.heard = new long[words];
        this.open = new long[words];
        this.by = new byte[subs.length];
    }

    /** Subscriber {@code k}'s {@code kind} callback, which it fills in, returned. */
    void heard(int k, CallKind kind) {
        int w = k >>> 6;
        long bit = 1L << k;
        long h = (long) BITS.getAcquire(heard, w);
        if ((h & bit) == 0) {
            by[k] = (byte) kind.ordinal();
            BITS.setRelease(heard, w, h | bit);
        }
        if (kind == CallKind.INVALIDATE_RANGE_START) {
            BITS.setRelease(open, w, (long) BITS.getAcquire(open, w) | bit);
        }
    }

    /** Interval subscription {@code who}'s {@code invalidate} returned. */
    void heardInterval(Identity who) {
        intervals = CopyOnWrite.with(intervals, who);
    }

    /** End begins (or the invalidation was refused): every window closes; the devices may map again. */
    void over() {
        over = true;
        Arrays.fill(open, 0); // plain: read only as long as over is false
    }

    /** Whether {@code who} is inside its window: told to keep away, and not yet let back. */
    public boolean windowOpen(Identity who) {
        if (over) {
            return false;
        }
        int k = indexOf(who);
        if (k >= 0) {
            return ((long) BITS.getAcquire(open, k >>> 6) & (1L << k)) != 0;
        }
        for (Identity i : intervals) {
            if (i == who) {
                return true;
            }
        }
        return false;
    }

    /** The callback by which {@code who} heard of this invalidation ({@code kernel} name), or null. */
    public String heardBy(Identity who) {
        int k = indexOf(who);
        if (k >= 0) {
            return ((long) BITS.getAcquire(heard, k >>> 6) & (1L << k)) != 0 ? CallKind.name(by[k]) : null;
        }
        for (Identity i : intervals) {
            if (i == who) {
                return CallKind.INTERVAL_INVALIDATE.opName;
            }
        }
        return null;
    }

    private int indexOf(Identity who) {
        for (int k = 0; k < subs.length; k++) {
            if (subs[k].identity == who) {
                return k;
            }
        }
        return -1;
    }

    /** Who heard, once the invalidation is over: registration ids and the callback each heard by. */
    public Heard heard() {
        Identity[] iv = intervals;
        int n = iv.length;
        for (int k = 0; k < subs.length; k++) {
            n += (int) ((heard[k >>> 6] >>> k) & 1);
        }
        long[] ids = new long[n];
        String[] callbacks = new String[n];
        int j = 0;
        for (int k = 0; k < subs.length; k++) {
            if (((heard[k >>> 6] >>> k) & 1) != 0) {
                ids[j] = subs[k].identity.id;
                callbacks[j++] = CallKind.name(by[k]);
            }
        }
        for (Identity i : iv) {
            ids[j] = i.id;
            callbacks[j++] = CallKind.INTERVAL_INVALIDATE.opName;
        }
        return new Heard(ids, callbacks);
    }

    /** Who heard of a finished invalidation, holding no reference to any driver's object. */
    public record Heard(long[] ids, String[] callbacks) {
        /** The callback by which registration {@code who} heard, or null. */
        public String by(Identity who) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == who.id) {
                    return callbacks[i];
                }
            }
            return null;
        }
    }
}
