package org.mmunotifier.core.internal.notifier;

import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.jfr.Trace;
import org.mmunotifier.core.internal.util.RecentLog;

/**
 * The stall watchdog (the kernel's RCU stall warnings and hung-task detector in one): notices a
 * driver callback that does not return, a grace period or other core wait that waits too long,
 * a listener call or a bundle stop that hangs, and reports each once, when it crosses
 * {@link StallPolicy#stallNanos()}, naming the bundle, the notifier, the mm, the operation and its
 * range, the stuck thread's stack, and what is waiting on it. It follows an ongoing stall until it
 * ends.
 *
 * <p>It costs the dispatch path nothing: it samples what the {@link ReaderSlot}s already record
 * (the section generation and the registration being called) from one shared daemon thread.
 */
public final class StallWatchdog implements Srcu.Abandonment {
    private static final System.Logger LOG = System.getLogger(StallWatchdog.class.getName());
    private static final int KEEP = 256;
    private static final int STACK_DEPTH = 40;

    /**
     * What the watchdog saw on a slot: the section generation and the registration being called,
     * and since when. Published as one object so a grace period reads it consistently.
     */
    record Seen(long gen, long calling, long sinceNanos, long sinceClock) {
    }

    /**
     * Who is held responsible for a wait, and what the wait is.
     *
     * @param bundleId the bundle, or -1 when no bundle is to blame (the core's own wait)
     * @param bundle the bundle as {@code bsn version [id]}, or a description
     * @param notifier the notifier or listener, or empty
     * @param operation what it is doing
     * @param mmId the mm, or -1
     */
    record Culprit(Stall.Kind kind, long bundleId, String bundle, String notifier, String operation, long mmId) {
        /** The core's own wait: nobody to blame yet. */
        static Culprit core(Stall.Kind kind, String what, long mmId) {
            return new Culprit(kind, -1, "the core", "", what, mmId);
        }

        static Culprit gracePeriod(GracePeriod gp, String what) {
            return new Culprit(Stall.Kind.GRACE_PERIOD, -1, gp.what(), "", what, -1);
        }
    }

    /** A wait the core tracks by hand (not a read-side section): a listener call, a bundle stop, … */
    public final class Activity implements AutoCloseable {
        final Culprit culprit;
        final Thread thread = Thread.currentThread();
        final long startNanos;
        volatile Report report;

        Activity(Culprit culprit, long startNanos) {
            this.culprit = culprit;
            this.startNanos = startNanos;
        }

        /** The wait is over. */
        @Override
        public void close() {
            activities.remove(this);
            Report r = report;
            if (r != null) {
                r.end();
            }
        }
    }

    /** One stall, as reported and then followed. */
    final class Report {
        final long id = ids.incrementAndGet();
        final Culprit culprit;
        final String thread;
        final long startNanos;
        final List<String> waiting;
        final List<String> stack;
        private volatile long endNanos;
        private volatile String outcome = "";
        /** Grace periods that gave up on the same stuck section after this report's, and the last one. */
        private final AtomicLong againCount = new AtomicLong();
        private volatile String againLast;

        Report(Culprit culprit, Thread thread, long startNanos, List<String> waiting) {
            this.culprit = culprit;
            this.thread = thread.getName();
            this.startNanos = startNanos;
            this.waiting = waiting;
            this.stack = stackOf(thread);
        }

        void end() {
            if (endNanos == 0) {
                endNanos = System.nanoTime();
                ongoing.remove(this);
                log(Level.INFO, "stall #" + id + " ended after " + millis() + " ms: " + headline());
                Trace.stall("ended", toStall());
            }
        }

        void outcome(String what) {
            outcome = outcome.isEmpty() ? what : outcome + "; " + what;
        }

        /** Another grace period gave up on the section this give-up was about: counted, not reported again. */
        void gaveUpAgain(String what) {
            long n = againCount.incrementAndGet();
            againLast = what;
            log(Level.DEBUG, "stall #" + id + ": grace period for " + what + " gave up on the same section too (" + n
                    + " since)");
        }

        long millis() {
            long end = endNanos;
            return TimeUnit.NANOSECONDS.toMillis((end == 0 ? System.nanoTime() : end) - startNanos);
        }

        /**
         * "stall #3 callback: com.example.x 1.0.0 [38] notifier N invalidate_range_start … on mm 2 on
         * thread T"; for a wait of the core's own, "stall #4 wait: exit of mm 2 waits for …", and for
         * a grace period, "stall #5 grace period for unregister of …: waiting for thread T (in …)".
         */
        String headline() {
            Culprit c = culprit;
            String kind = c.kind.name().toLowerCase().replace('_', ' ');
            String who = c.bundleId >= 0 ? ": " + c.bundle + (c.notifier.isEmpty() ? "" : " notifier " + c.notifier) + " "
                    : c.kind == Stall.Kind.GRACE_PERIOD ? " for " + c.bundle + ": " : ": ";
            return "stall #" + id + " " + kind + who + c.operation + (c.mmId < 0 ? "" : " on mm " + c.mmId)
                    + " on thread " + thread;
        }

        Stall toStall() {
            Culprit c = culprit;
            long again = againCount.get();
            String said = again == 0 ? outcome : outcome + "; and " + again + " later grace periods on the same section"
                    + " (the last for " + againLast + ")";
            return new Stall(id, c.kind, c.bundleId, c.bundle, c.notifier, c.operation, c.mmId, thread, millis(),
                    endNanos == 0, waiting, stack, said);
        }

        String render() {
            StringBuilder b = new StringBuilder(headline()).append(", stuck for ").append(millis()).append(" ms");
            for (String w : waiting) {
                b.append("\n    waiting on it: ").append(w);
            }
            for (String f : stack) {
                b.append("\n    at ").append(f);
            }
            return b.toString();
        }
    }

    // One thread for every machine in the JVM (tests make many machines).
    private static final List<WeakReference<StallWatchdog>> ALL = new CopyOnWriteArrayList<>();
    private static Thread ticker; // guarded by ALL

    private final Srcu srcu;
    private final StallPolicy policy;
    private final LongFunction<Lease> registrations;
    private final AtomicLong ids = new AtomicLong();
    private final RecentLog<Report> reports = new RecentLog<>(KEEP);
    private final Set<Report> ongoing = ConcurrentHashMap.newKeySet();
    private final Set<Activity> activities = ConcurrentHashMap.newKeySet();
    private final Map<Object, Report> reported = new IdentityHashMap<>(); // ticker thread only
    /**
     * The give-up reported for each stuck section (its thread, section and callback), so that the
     * grace periods that give up on it later are counted on that report, not reported again: once
     * a section is stuck past the bound, every exit's grace period gives up on it at once, and a
     * report each (hundreds a second with the workload running) pushed every other stall out of
     * the kept history and filled the operator's log. Bounded: the oldest are forgotten.
     */
    private final Map<String, Report> gaveUpOn = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Report> eldest) {
            return size() > KEEP;
        }
    });
    /**
     * The watchdog's own clock (ticker thread only): advances with real time, but by at most a few
     * tick intervals per tick, so a pause of the whole JVM (a long GC) or of the watchdog thread
     * is not mistaken for a stuck callback.
     */
    private long clock;
    private long lastTick = System.nanoTime();
    private volatile boolean closed;

    /**
     * System property: {@code off} keeps the sampling thread from starting (a model checker that
     * schedules every thread of the checked code must not meet one that never ends). Give-ups and
     * tracked waits still work; only the sampling of slots and waits stops.
     */
    public static final String PROPERTY = "mmunotifier.watchdog";
    private static final boolean SAMPLING = !"off".equalsIgnoreCase(System.getProperty(PROPERTY, "on").trim());

    StallWatchdog(Srcu srcu, LongFunction<Lease> registrations) {
        this.srcu = srcu;
        this.policy = srcu.policy();
        this.registrations = registrations;
        srcu.onAbandon(this);
        if (SAMPLING) {
            start(this);
        }
    }

    /** Starts tracking a wait that is not a read-side section; close the result when it is over. */
    public Activity track(Stall.Kind kind, long bundleId, String bundle, String notifier, String operation, long mmId) {
        return track(kind, bundleId, bundle, notifier, operation, mmId, System.nanoTime());
    }

    /** As {@link #track(Stall.Kind, long, String, String, String, long)}, for a wait that began at {@code startNanos}. */
    public Activity track(Stall.Kind kind, long bundleId, String bundle, String notifier, String operation, long mmId,
            long startNanos) {
        return track(new Culprit(kind, bundleId, bundle, notifier, operation, mmId), startNanos);
    }

    /** A wait of the core's own (no bundle to blame yet) that began at {@code startNanos}. */
    public Activity track(Stall.Kind kind, String what, long mmId, long startNanos) {
        return track(Culprit.core(kind, what, mmId), startNanos);
    }

    private Activity track(Culprit culprit, long startNanos) {
        Activity a = new Activity(culprit, startNanos);
        activities.add(a);
        return a;
    }

    /** Stalls reported so far. */
    public long count() {
        return reports.count();
    }

    /** Recent stalls, oldest first. */
    public List<Stall> recent() {
        return reports.recent().stream().map(Report::toStall).toList();
    }

    /** Stalls still going on, as text, for a shutdown message. */
    public List<String> ongoing() {
        return ongoing.stream().map(Report::render).toList();
    }

    /** Every ongoing stall of every machine in this JVM, for the launcher's shutdown message. */
    public static List<String> ongoingEverywhere() {
        List<String> out = new ArrayList<>();
        for (WeakReference<StallWatchdog> w : ALL) {
            StallWatchdog d = w.get();
            if (d != null) {
                out.addAll(d.ongoing());
            }
        }
        return out;
    }

    /** Stalls reported by every machine in this JVM so far. */
    public static long countEverywhere() {
        long n = 0;
        for (WeakReference<StallWatchdog> w : ALL) {
            StallWatchdog d = w.get();
            if (d != null) {
                n += d.count();
            }
        }
        return n;
    }

    void close() {
        closed = true;
    }

    // ------------------------------------------------------------------ sampling

    private static void start(StallWatchdog d) {
        synchronized (ALL) {
            ALL.add(new WeakReference<>(d));
            if (ticker == null) {
                ticker = new Thread(StallWatchdog::tickForever, "mmu-stall-watchdog");
                ticker.setDaemon(true);
                ticker.start();
            }
        }
    }

    private static void tickForever() {
        while (true) {
            long sleep = 250;
            for (WeakReference<StallWatchdog> w : ALL) {
                StallWatchdog d = w.get();
                if (d == null || d.closed) {
                    ALL.remove(w);
                    continue;
                }
                try {
                    d.tick();
                } catch (Throwable t) {
                    LOG.log(Level.ERROR, "stall watchdog failed; it goes on", t);
                }
                sleep = Math.min(sleep, Math.max(10, TimeUnit.NANOSECONDS.toMillis(d.policy.stallNanos()) / 4));
            }
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One look at everything that can stall. Runs on the ticker thread only. */
    void tick() {
        long real = System.nanoTime();
        long stall = policy.stallNanos();
        clock += Math.min(real - lastTick, Math.max(stall / 2, TimeUnit.MILLISECONDS.toNanos(40)));
        lastTick = real;
        long now = clock;
        Set<Object> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (ReaderSlot s : srcu.slots()) {
            Object key = sampleSlot(s, real, now, stall);
            if (key != null) {
                live.add(key);
            }
        }
        for (GracePeriod gp : srcu.gracePeriods()) {
            live.add(gp);
            if (real - gp.startNanos >= stall && !reported.containsKey(gp) && seenLongEnough(gp, now, stall)) {
                ReaderSlot on = gp.waitingOn;
                String waitedOn = on == null ? "sections of other threads" : "thread " + on.owner.getName()
                        + describeSlot(on);
                report(gp, new Report(Culprit.gracePeriod(gp, "waiting for " + waitedOn), gp.waiter, gp.startNanos,
                        List.of()));
            }
        }
        for (Activity a : activities) {
            live.add(a);
            if (real - a.startNanos >= stall && a.report == null && seenLongEnough(a, now, stall)) {
                Report r = new Report(a.culprit, a.thread, a.startNanos, waitersOf(a.thread, null));
                a.report = r;
                report(a, r);
            }
        }
        firstSeen.keySet().retainAll(live);
        // Whatever was reported and is gone now has ended.
        reported.entrySet().removeIf(e -> {
            if (live.contains(e.getKey())) {
                return false;
            }
            e.getValue().end();
            return true;
        });
    }

    /** Waits first seen on this clock, for {@link #seenLongEnough}. */
    private final Map<Object, Long> firstSeen = new IdentityHashMap<>(); // ticker thread only

    /** Whether {@code wait} has also lasted a stall's length on the watchdog's own clock. */
    private boolean seenLongEnough(Object wait, long now, long stall) {
        return now - firstSeen.computeIfAbsent(wait, w -> now) >= stall;
    }

    /**
     * @return the key of the stall this slot may be in, or null if it is idle or blocked in the
     *         core (a grace period of its own: that is reported as such, with what it waits on)
     */
    private Object sampleSlot(ReaderSlot s, long real, long now, long stall) {
        long st = s.state;
        if (ReaderSlot.nesting(st) == 0) {
            s.seen = null;
            return null;
        }
        long gen = ReaderSlot.generation(st);
        long calling = s.calling;
        Seen seen = s.seen;
        if (seen == null || seen.gen != gen || seen.calling != calling) {
            s.seen = new Seen(gen, calling, real, now);
            return null;
        }
        if (s.waitingInCore) {
            return seen; // keep an earlier report open, but do not blame the waiter
        }
        if (now - seen.sinceClock >= stall && !reported.containsKey(seen)) {
            report(seen, slotReport(s, seen));
        }
        return seen;
    }

    private Report slotReport(ReaderSlot s, Seen seen) {
        String operation = CallKind.describe(s.kind, s.arg0, s.arg1);
        List<String> waiting = waitersOf(s.owner, s);
        Culprit c;
        Lease l = seen.calling == 0 ? null : registrations.apply(ReaderSlot.registration(seen.calling));
        if (seen.calling == 0) {
            c = Culprit.core(Stall.Kind.CALLBACK, "read-side section outside any callback (last dispatch: " + operation
                    + ")", -1);
        } else if (l == null) {
            c = new Culprit(Stall.Kind.CALLBACK, -1, "a removed registration",
                    "#" + ReaderSlot.registration(seen.calling), operation, -1);
        } else {
            Identity who = l.identity();
            c = new Culprit(Stall.Kind.CALLBACK, who.owner.bundleId(), who.owner.name(), who.notifier, operation,
                    l.mmId());
        }
        return new Report(c, s.owner, seen.sinceNanos, waiting);
    }

    /** What a slot is doing, for a grace-period report: "(in KVM's invalidate_range_start …)". */
    private String describeSlot(ReaderSlot s) {
        long c = s.calling;
        if (c == 0) {
            return " (in the core)";
        }
        Lease l = registrations.apply(ReaderSlot.registration(c));
        String who = l == null ? "a removed registration" : l.identity().owner.name() + " notifier " + l.identity().notifier;
        return " (in " + who + " " + CallKind.describe(s.kind, s.arg0, s.arg1) + ")";
    }

    /** Grace periods waiting on {@code slot}, and threads blocked on a lock {@code t} holds. */
    private List<String> waitersOf(Thread t, ReaderSlot slot) {
        List<String> out = new ArrayList<>();
        if (slot != null) {
            for (GracePeriod gp : srcu.gracePeriods()) {
                if (gp.waitingOn == slot) {
                    out.add("grace period for " + gp.what() + " on thread " + gp.waiter.getName());
                }
            }
        }
        try {
            for (ThreadInfo i : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
                if (i != null && i.getLockOwnerId() == t.getId() && i.getThreadId() != t.getId()) {
                    out.add("thread " + i.getThreadName() + " blocked on " + i.getLockName());
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // no management: report what we have
        }
        return out;
    }

    private static List<String> stackOf(Thread t) {
        StackTraceElement[] st = t.getStackTrace();
        List<String> out = new ArrayList<>();
        for (StackTraceElement e : Arrays.copyOf(st, Math.min(st.length, STACK_DEPTH))) {
            out.add(e.toString());
        }
        if (st.length > STACK_DEPTH) {
            out.add("... " + (st.length - STACK_DEPTH) + " more");
        }
        return out;
    }

    private void report(Object key, Report r) {
        reported.put(key, r);
        ongoing.add(r);
        reports.add(r);
        log(Level.WARNING, r.render());
        Trace.stall("reported", r.toStall());
    }

    private static void log(Level level, String message) {
        try {
            LOG.log(level, message);
        } catch (Throwable t) {
            // a stall is recorded whether or not it could be logged
        }
    }

    // ------------------------------------------------------------------ give-ups

    /** A grace period stopped waiting on a section stuck for the give-up bound. */
    @Override
    public void gaveUp(GracePeriod gp, ReaderSlot slot, long calling, long waitedNanos) {
        String section = slot.owner.getName() + "@" + System.identityHashCode(slot) + "#"
                + ReaderSlot.generation(slot.state) + "#" + calling;
        Report first = gaveUpOn.get(section);
        if (first != null) {
            first.gaveUpAgain(gp.what());
            return;
        }
        String what = "grace period for " + gp.what() + " on thread " + gp.waiter.getName() + " gave up after "
                + TimeUnit.NANOSECONDS.toMillis(waitedNanos) + " ms waiting for thread " + slot.owner.getName()
                + describeSlot(slot) + "; the core will not call that registration again once it is removed";
        log(Level.ERROR, what);
        Report r = new Report(Culprit.gracePeriod(gp, "gave up waiting for thread " + slot.owner.getName()
                + describeSlot(slot)), gp.waiter, gp.startNanos, List.of());
        r.outcome("gave up after " + TimeUnit.NANOSECONDS.toMillis(waitedNanos) + " ms");
        gaveUpOn.put(section, r);
        reports.add(r);
        r.end();
        for (Report o : ongoing) {
            if (o.thread.equals(slot.owner.getName()) && o.culprit.kind() == Stall.Kind.CALLBACK) {
                o.outcome("a grace period gave up waiting for it (" + gp.what() + ")");
            }
        }
    }

    /**
     * The earliest time the watchdog has seen {@code s} in section {@code gen} calling
     * {@code calling}, or {@code fallback} if it has not (or has seen it later).
     */
    static long stuckSince(ReaderSlot s, long gen, long calling, long fallback) {
        Seen seen = s.seen;
        return seen != null && seen.gen == gen && seen.calling == calling ? Math.min(fallback, seen.sinceNanos) : fallback;
    }
}
