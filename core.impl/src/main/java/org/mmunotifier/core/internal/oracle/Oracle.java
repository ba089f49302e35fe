package org.mmunotifier.core.internal.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuIntervalSubscription;
import org.mmunotifier.api.MmuNotifierEvent;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.notifier.Identity;
import org.mmunotifier.core.internal.notifier.NotifierCore;
import org.mmunotifier.core.internal.notifier.Told;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * The coherence oracle (DESIGN §5): every device access goes through the {@link DeviceAccess} of
 * one registration, and is checked against the primary MMU and against what that registration
 * was told. The rules, in the order they are checked (each a {@link Violation.Rule}):
 * <ol>
 * <li>{@code AFTER_RELEASE}: the registration was released, unregistered, put or taken back;
 * <li>{@code USE_AFTER_FREE}: the frame was freed since the translation was looked up (its
 * generation moved on);
 * <li>{@code INSIDE_WINDOW} (strict): the access falls in a range this registration was told to
 * stay away from and whose end has not come (its range start or interval invalidate returned; a
 * TLB or page callback opens no window: it comes after the ptes changed, so a translation looked
 * up after it is the new one);
 * <li>{@code STALE_TRANSLATION} (strict): the translation was looked up before the invalidation
 * that last changed the pte, and this registration has been told about that invalidation (a
 * missing retry check); each pte is stamped with the invalidation that changed it, and each mm
 * keeps who heard of its last {@value InvalidationHistory#KEEP} invalidations;
 * <li>{@code UNMAPPED} / {@code WRITE_PROTECTED}: the primary no longer maps that frame there (or
 * not for writing, or not at all: PROT_NONE), and no invalidation that this registration has not
 * yet been told about is in progress over the address (leniently: no invalidation at all).
 * </ol>
 * The pte is read first and the in-flight invalidations second: a pte that changed was changed
 * after its invalidation was marked in flight, and the mark cannot go before every notifier was
 * told, which it cannot be while the device holds the lock its callbacks take.
 */
public final class Oracle implements CoherenceOracle {
    private static final int KEEP = 1_000;
    /** Frames of the access's stack a report keeps. */
    private static final int STACK_DEPTH = 16;
    /** Invalidations of the address a report lists. */
    private static final int HISTORY_LINES = 16;

    private final NotifierCore core;
    private final FrameStore memory;
    private final RecentLog<Violation> violations = new RecentLog<>(KEEP);
    private final AtomicLong numbers = new AtomicLong();
    private volatile Violation first;
    private volatile boolean strict = true;

    public Oracle(NotifierCore core, FrameStore memory) {
        this.core = core;
        this.memory = memory;
    }

    /**
     * Strict (the default): per registration, rules 3 and 4, and rule 5 excuses only the
     * invalidations this registration has not been told about yet. Lenient: as before there were
     * contracts, any invalidation in progress over the address excuses the access.
     */
    public void setStrict(boolean strict) {
        this.strict = strict;
    }

    public boolean isStrict() {
        return strict;
    }

    @Override
    public DeviceAccess device(MmuNotifier notifier, MmStruct mm) {
        Objects.requireNonNull(notifier, "notifier");
        PrimaryMmu as = addressSpace(mm);
        return new Device(as, as.identityOf(notifier));
    }

    @Override
    public DeviceAccess device(MmuIntervalSubscription subscription) {
        Objects.requireNonNull(subscription, "subscription");
        return new Device(addressSpace(subscription.mm()), core.identityOf(subscription));
    }

    @Override
    public DeviceAccess device(MmuRmapNotifier notifier, MmStruct mm) {
        Objects.requireNonNull(notifier, "notifier");
        return new Device(addressSpace(mm), core.identityOf(notifier));
    }

    private static PrimaryMmu addressSpace(MmStruct mm) {
        Objects.requireNonNull(mm, "mm");
        if (!(mm instanceof PrimaryMmu as)) {
            throw new IllegalArgumentException("not an address space of this machine: " + mm);
        }
        return as;
    }

    /** One registration's device. */
    private final class Device implements DeviceAccess {
        private final PrimaryMmu mm;
        private final Identity who;
        private final String name;

        Device(PrimaryMmu mm, Identity who) {
            this.mm = mm;
            this.who = who;
            this.name = who.owner().name() + " notifier " + who.notifier() + " on mm " + mm.id();
        }

        @Override
        public long read(MappedFrame frame) {
            return access("read", frame, false, null);
        }

        @Override
        public void write(MappedFrame frame, long value) {
            access("write", frame, true, old -> value);
        }

        @Override
        public long fetchAdd(MappedFrame frame, long delta) {
            return access("atomic", frame, true, old -> old + delta);
        }

        @Override
        public String name() {
            return name;
        }

        private long access(String op, MappedFrame frame, boolean write, LongUnaryOperator update) {
            Objects.requireNonNull(frame, "frame");
            who.owner().accessed();
            FrameStore.FrameState f = memory.frame(frame.pfn());
            Violation v = check(mm, who, f, frame, write, op);
            if (v != null) {
                if (first == null) {
                    first = v; // racy but benign: one of the first few
                }
                violations.add(v);
                Trace.violation(v);
            }
            // The access happens either way: a stale read sees poison, a stale write corrupts.
            AtomicLong word = f.word();
            return update == null ? word.get() : word.getAndUpdate(update);
        }
    }

    private Violation check(PrimaryMmu as, Identity who, FrameStore.FrameState f, MappedFrame frame, boolean write,
            String op) {
        long a = frame.address();
        if (who.isRetired()) {
            return violation(as, who, frame, op, Violation.Rule.AFTER_RELEASE,
                    "its registration was released or removed: the device must not touch the mm any more");
        }
        long generation = f.generation();
        if (generation != frame.generation()) {
            return violation(as, who, frame, op, Violation.Rule.USE_AFTER_FREE, "the frame was freed since it was"
                    + " looked up (generation " + frame.generation() + ", now " + generation + ")"
                    + whatItWasTold(as, who, a, frame.seq()));
        }
        boolean strict = this.strict;
        if (strict) {
            for (InFlight e : as.inFlightCovering(a)) {
                Told t = e.range().told();
                if (t != null && t.windowOpen(who)) {
                    return violation(as, who, frame, op, Violation.Rule.INSIDE_WINDOW, "it was told to stay away: its "
                            + new Heard(t.heardBy(who), e.start(), e.end(), e.tick()) + " returned, and the end has"
                            + " not come");
                }
            }
            // The last invalidation that changed this pte, if it came after the lookup.
            long stamp = as.stampOf(a);
            Heard stale = stamp > frame.seq() ? heard(as, who, stamp) : null;
            if (stale != null) {
                return violation(as, who, frame, op, Violation.Rule.STALE_TRANSLATION, "the translation was looked up"
                        + " at sequence " + frame.seq() + ", before " + stale + " which it was told about (a missing"
                        + " retry check, or a mapping kept past its invalidation)");
            }
        }
        int mapping = as.mapping(a, frame.pfn(), write);
        if (mapping == PrimaryMmu.MAPPED || excused(as, who, a, strict)) {
            return null;
        }
        return mapping != PrimaryMmu.NOT_MAPPED ? violation(as, who, frame, op, Violation.Rule.WRITE_PROTECTED,
                (mapping == PrimaryMmu.READ_ONLY ? "a write through a pte the primary write-protected"
                        : "an access through a pte the primary made PROT_NONE") + " (" + as.describePte(a) + ")")
                : violation(as, who, frame, op, Violation.Rule.UNMAPPED, "the primary no longer maps this frame here"
                        + " (pte: " + as.describePte(a) + ")" + whatItWasTold(as, who, a, frame.seq()));
    }

    /** What a registration heard of one invalidation: the callback, the range and the invalidation's tick. */
    private record Heard(String callback, long start, long end, long tick) {
        @Override
        public String toString() {
            return callback + " [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") of invalidation #"
                    + tick;
        }
    }

    /** One invalidation of an mm, in flight or finished, and by which callback a registration heard of it (or null). */
    private record Invalidation(long start, long end, long tick, MmuNotifierEvent event, boolean inFlight,
            String heardBy) {
        boolean covers(long address) {
            return address >= start && address < end;
        }
    }

    /**
     * Invalidation {@code tick} of {@code as} as {@code who} knows it, or null if it is older than
     * the history keeps. In flight first, then finished: a finished one enters the history before
     * it leaves the in-flight list, so it is never in neither.
     */
    private static Invalidation invalidation(PrimaryMmu as, Identity who, long tick) {
        InFlight e = as.inFlight(tick);
        if (e != null) {
            Told t = e.range().told();
            return new Invalidation(e.start(), e.end(), tick, e.range().event(), true, t == null ? null : t.heardBy(who));
        }
        InvalidationHistory.Finished f = as.history().byTick(tick);
        return f == null ? null : new Invalidation(f.start(), f.end(), tick, f.event(), false, f.heard().by(who));
    }

    /** What {@code who} heard of invalidation {@code tick}, or null: it heard nothing, or the invalidation is forgotten. */
    private static Heard heard(PrimaryMmu as, Identity who, long tick) {
        Invalidation i = invalidation(as, who, tick);
        return i == null || i.heardBy() == null ? null : new Heard(i.heardBy(), i.start(), i.end(), tick);
    }

    /**
     * For a driver's author: the first invalidation of {@code address} it heard about after its
     * lookup at {@code seq}, or that it heard of none (its notifier may not fill in the callbacks
     * its contract calls). Runs only for a violation; looks as far back as the history keeps.
     */
    private static String whatItWasTold(PrimaryMmu as, Identity who, long address, long seq) {
        long last = as.sequence();
        for (long tick = Math.max(seq + 1, last - InvalidationHistory.KEEP + 1); tick <= last; tick++) {
            Heard h = heard(as, who, tick);
            if (h != null && address >= h.start() && address < h.end()) {
                return "; it was told: its " + h + " returned before this access";
            }
        }
        return "; it heard of no invalidation of this address since its lookup (does the notifier implement the"
                + " callbacks the " + who.contract().label() + " contract calls?)";
    }

    /**
     * Whether an invalidation is in progress over {@code address} that {@code who} has not been told
     * about yet (strict), or any (lenient): the primary has changed the pte and is still telling
     * the secondary MMUs.
     */
    private static boolean excused(PrimaryMmu as, Identity who, long address, boolean strict) {
        if (!strict) {
            return !as.inFlightCovering(address).isEmpty();
        }
        for (InFlight e : as.inFlightCovering(address)) {
            Told t = e.range().told();
            if (t == null || t.heardBy(who) == null) {
                return true;
            }
        }
        return false;
    }

    private Violation violation(PrimaryMmu as, Identity who, MappedFrame frame, String op, Violation.Rule rule,
            String reason) {
        return new Violation(numbers.incrementAndGet(), who.owner().name(), who.owner().bundleId(), who.notifier(), who.contract().label(),
                as.id(), frame.address(), frame.pfn(), op, rule, reason, Thread.currentThread().getName(),
                System.currentTimeMillis(), DeviceFaults.callerStack(STACK_DEPTH), history(as, who, frame));
    }

    /**
     * The page's story for a report, oldest first: the device fault that made the translation,
     * every invalidation of the address since its lookup (at most {@value #HISTORY_LINES}) and
     * what {@code who} heard of each, and what became of the frame.
     */
    private List<String> history(PrimaryMmu as, Identity who, MappedFrame frame) {
        long a = frame.address();
        List<String> h = new ArrayList<>();
        DeviceFaults.Fault fault = as.deviceFaults().establishing(a, frame.seq());
        if (fault == null) {
            h.add("translation looked up at sequence " + frame.seq() + " (its device fault is no longer remembered)");
        } else {
            StringBuilder b = new StringBuilder("translation made by a device fault of [0x"
                    + Long.toHexString(fault.start()) + ", 0x" + Long.toHexString(fault.end()) + ") for "
                    + (fault.write() ? "writing" : "reading") + " at sequence " + frame.seq() + ", by thread \""
                    + fault.thread() + "\":\n");
            Violation.appendStack(b, fault.stack());
            h.add(b.toString().stripTrailing());
        }
        long last = as.sequence();
        int shown = 0;
        for (long tick = Math.max(frame.seq() + 1, last - InvalidationHistory.KEEP + 1); tick <= last; tick++) {
            Invalidation i = invalidation(as, who, tick);
            if (i != null && i.covers(a)) {
                if (++shown > HISTORY_LINES) {
                    h.add("… and more invalidations of it");
                    break;
                }
                h.add("invalidation #" + tick + " " + i.event() + " [0x" + Long.toHexString(i.start()) + ", 0x"
                        + Long.toHexString(i.end()) + ")" + (i.inFlight() ? " (in progress)" : "") + ": "
                        + (i.heardBy() != null ? "this registration heard of it by " + i.heardBy()
                                : "this registration was not told (yet)")
                        + (tick == as.stampOf(a) ? "; it changed the pte" : ""));
            }
        }
        if (shown == 0) {
            h.add("no invalidation of this address since the lookup");
        }
        long generation = memory.frame(frame.pfn()).generation();
        h.add(generation != frame.generation()
                ? "frame pfn " + frame.pfn() + " freed since (generation " + frame.generation() + " then, "
                        + generation + " now)"
                : "frame pfn " + frame.pfn() + " still allocated (generation " + generation + "); the pte now: "
                        + as.describePte(a));
        return h;
    }

    @Override
    public long violationCount() {
        return violations.count();
    }

    /** The most recent violations, oldest first. */
    public List<Violation> violations() {
        return violations.recent();
    }

    /** Forgets the violations kept, the first one included; the count goes on (scenarios measure by it). */
    public void forgetViolations() {
        first = null;
        violations.clear();
    }

    /** The first violation the oracle saw since it last forgot them (kept however many came after), or null. */
    public Violation first() {
        return first;
    }

    /**
     * Violation {@code number}'s whole report.
     *
     * @throws IllegalArgumentException if there is no such violation among the recent ones
     */
    public String report(long number) {
        Violation f = first;
        if (f != null && f.number() == number) {
            return f.report();
        }
        return violations.recent().stream().filter(v -> v.number() == number).findFirst().map(Violation::report)
                .orElseThrow(() -> new IllegalArgumentException("no violation #" + number + " among the "
                        + "recent ones (mmu:violations lists them)"));
    }
}
