package org.mmunotifier.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * A device's engines: a fixed number of threads, owned by the driver, that run the work of all its
 * contexts in turn, the way a GPU's or a NIC's engines serve every queue and a host's CPUs run every
 * VM's vCPUs. How many threads run depends on the device's setting, not on how many processes use it.
 *
 * <p>A {@link Context} is one stream of work (a vCPU, a memory region's DMA queue, a GRU context's
 * instructions): a step that an engine runs over and over with the context's own random source.
 * At most one engine runs a context's step at a time. {@link Context#detach()} returns once no
 * engine runs a step of it and none will again, so a driver can tear the context's mappings down
 * and unregister right after it; a step stuck past a bounded wait (waiting for an invalidation that
 * another driver's stuck callback never ends) is interrupted, and if it still does not return its
 * engine is left behind and replaced: detaching never hangs, and the other contexts go on.
 *
 * <p>Engines with nothing to run park until a context is attached. There is no pacing: a device
 * runs as fast as its engines can go, and an engine only offers its CPU between two steps once it
 * has run for {@link #RESCHED_INTERVAL} (a yield, which returns at once if no other thread wants the
 * CPU), so that the scheduler seldom has to preempt it inside a device section.
 */
public final class DeviceEngines {
    /** How long {@link #stop()} and {@link Context#detach()} wait for a step, and again after interrupting it. */
    public static final Duration STOP_WAIT = DeviceThreads.STOP_WAIT;
    /** Upper bound of an idle engine's park: a missed wake-up costs at most this much. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * How long an engine runs steps before it offers its CPU at a step boundary. A vCPU leaves
     * guest mode at least every host tick and {@code vcpu_run} reschedules there, outside guest
     * mode and every lock; kernel threads call {@code cond_resched()} between work items. Without
     * it, the scheduler preempts an engine wherever its slice runs out, half the time inside a
     * device section (guest mode, a held {@code mmu_lock}, DMA in flight), and every invalidation
     * of that context then waits for the preempted engine to get a CPU back, while holding
     * {@code mmap_lock}. EndToEnd with the three drivers on 2 cores: the primary went from 13-17 %
     * of its throughput alone to 32-58 %, the devices from 55-65 % of theirs alone to 32-45 % (two
     * full runs of bench/run.sh).
     */
    public static final Duration RESCHED_INTERVAL = Duration.ofMillis(3);
    private static final long RESCHED_NANOS = RESCHED_INTERVAL.toNanos();
    private static final System.Logger LOG = System.getLogger(DeviceEngines.class.getName());
    private static final VarHandle RUNNER;

    static {
        try {
            RUNNER = MethodHandles.lookup().findVarHandle(Context.class, "runner", Engine.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final Object lock = new Object();
    /** The contexts attached, in attach order; replaced (never changed in place) under {@link #lock}. */
    private volatile Context[] contexts = new Context[0];
    private final List<Engine> engines = new ArrayList<>(); // guarded by lock
    private boolean stopped = true; // guarded by lock
    private int serial; // guarded by lock: engine thread numbers

    /** @param name prefix of the engine threads' names (an engine is {@code name + n}) */
    public DeviceEngines(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Starts {@code count} engines (none: the contexts wait until a later start). The contexts
     * attached before are run from now on.
     *
     * @throws IllegalArgumentException if {@code count} is negative
     * @throws IllegalStateException if the engines run already ({@link #stop()} them first)
     */
    public void start(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("engine count must not be negative: " + count);
        }
        synchronized (lock) {
            if (!engines.isEmpty()) {
                throw new IllegalStateException(name + ": " + engines.size() + " engines run already");
            }
            stopped = false; // serial goes on: an engine left behind by stop() keeps a name of its own
            for (int i = 0; i < count; i++) {
                startEngine();
            }
        }
    }

    private void startEngine() { // lock held
        Engine e = new Engine(serial);
        Thread t = new Thread(e, name + serial++);
        t.setDaemon(true);
        e.thread = t;
        engines.add(e);
        t.start();
    }

    /** {@link #stop(Duration)} with {@link #STOP_WAIT}. */
    public List<String> stop() {
        return stop(STOP_WAIT);
    }

    /**
     * Stops every engine and waits for its step in flight, as {@link DeviceThreads#stop(Duration)}
     * does (bounded, a stuck one interrupted, then left behind and named). The contexts stay
     * attached; a later {@link #start(int)} runs them again.
     *
     * @return the names of the engines that did not stop (empty when all did)
     */
    public List<String> stop(Duration wait) {
        List<Thread> threads = new ArrayList<>();
        synchronized (lock) {
            stopped = true;
            for (Engine e : engines) {
                e.retired = true; // per engine: one left behind must not resume after a later start
                threads.add(e.thread);
                LockSupport.unpark(e.thread);
            }
            engines.clear();
        }
        return DeviceThreads.join(threads, wait);
    }

    /** Engines running now. */
    public int engineCount() {
        synchronized (lock) {
            return engines.size();
        }
    }

    /** Contexts attached now. */
    public int contextCount() {
        return contexts.length;
    }

    /**
     * Attaches a stream of work: the engines run {@code step} with {@code new Random(seed)} until
     * it returns false or the context is {@link Context#detach() detached}. A step that throws is
     * reported (a warning naming the context, with the exception) and its context detached.
     *
     * @param name the context's name, for reports
     * @param step one unit of device work; return false to end the context
     */
    public Context attach(String name, long seed, Predicate<Random> step) {
        Context c = new Context(Objects.requireNonNull(name, "name"), new Random(seed), Objects.requireNonNull(step, "step"));
        synchronized (lock) {
            Context[] now = contexts;
            Context[] next = Arrays.copyOf(now, now.length + 1);
            next[now.length] = c;
            contexts = next;
            for (Engine e : engines) {
                LockSupport.unpark(e.thread); // an idle engine has work now
            }
        }
        return c;
    }

    private void remove(Context c) {
        synchronized (lock) {
            Context[] now = contexts;
            int i = Arrays.asList(now).indexOf(c);
            if (i < 0) {
                return;
            }
            Context[] next = new Context[now.length - 1];
            System.arraycopy(now, 0, next, 0, i);
            System.arraycopy(now, i + 1, next, i, now.length - i - 1);
            contexts = next;
        }
    }

    /** {@code e} will never give its context back: a fresh engine takes its place (unless stopped). */
    private void replace(Engine e) {
        synchronized (lock) {
            e.retired = true;
            if (engines.remove(e) && !stopped) {
                startEngine();
            }
        }
    }

    @Override
    public String toString() {
        return name + ": " + engineCount() + " engines, " + contextCount() + " contexts";
    }

    /** One stream of device work, run by the engines in turn; see {@link DeviceEngines}. */
    public final class Context {
        private final String name;
        private final Random random;
        private final Predicate<Random> step;
        /** The engine running a step of this context, or null; claimed by compare-and-set. */
        @SuppressWarnings("unused") // through RUNNER
        private volatile Engine runner;
        private volatile boolean detached;
        /** Set (under this context's monitor) while {@link #detach} interrupts the step's engine. */
        private volatile boolean interrupting;
        /** The thread in {@link #detach}, woken when the step in flight returns. */
        private volatile Thread waiter;

        private Context(String name, Random random, Predicate<Random> step) {
            this.name = name;
            this.random = random;
            this.step = step;
        }

        public String name() {
            return name;
        }

        /** Whether it was detached, or ended itself (its step returned false or threw). */
        public boolean isDetached() {
            return detached;
        }

        /** {@link #detach(Duration)} with {@link #STOP_WAIT}. */
        public boolean detach() {
            return detach(STOP_WAIT);
        }

        /**
         * Takes this context off the engines and waits, uninterruptibly (the caller's interrupt
         * status is kept), until no engine runs its step. A step still running after {@code wait}
         * is interrupted and waited for once more; if it runs on after that, its engine is left
         * behind (a warning names it, with its stack) and replaced, and this returns false.
         * Detaching again, or after the context ended itself, returns at once.
         *
         * @return true if no step of this context runs any more
         */
        public boolean detach(Duration wait) {
            // Dekker with Engine.claim: this store, then the runner load; the engine's CAS of
            // runner, then its load of detached. One of the two sees the other, so no step begins
            // after the load below found none running, and none that began is missed.
            detached = true;
            remove(this);
            Engine e = (Engine) RUNNER.getVolatile(this);
            if (e == null || e.thread == Thread.currentThread()) {
                return true; // detached from inside its own step: it ends when that step returns
            }
            waiter = Thread.currentThread();
            boolean interrupted = false;
            try {
                long waitNanos = wait.toNanos();
                for (int round = 0; round < 2; round++) {
                    long deadline = System.nanoTime() + waitNanos;
                    while (RUNNER.getVolatile(this) == e) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        LockSupport.parkNanos(this, left);
                        interrupted |= Thread.interrupted();
                    }
                    if (RUNNER.getVolatile(this) != e) {
                        return true;
                    }
                    if (round == 0) {
                        interruptStep(e);
                    }
                }
                replace(e);
                LOG.log(System.Logger.Level.WARNING, "device engine " + e.thread.getName() + " did not finish a step of "
                        + name + " within " + 2 * wait.toMillis() + " ms, even interrupted; left behind (a new engine"
                        + " runs the other contexts) at:" + DeviceThreads.stackOf(e.thread));
                return false;
            } finally {
                waiter = null;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /**
         * Interrupts {@code e} if it still runs this context's step. Dekker with {@link Engine#release}:
         * this store of {@link #interrupting}, then the runner load; the engine's runner store, then
         * its load of {@link #interrupting}. Either this finds the runner gone and interrupts no one,
         * or the engine sees the flag, waits here for the monitor and clears the interrupt before it
         * takes another step: it never reaches another context's step.
         */
        private void interruptStep(Engine e) {
            synchronized (this) {
                interrupting = true;
                try {
                    if (RUNNER.getVolatile(this) == e) {
                        e.thread.interrupt();
                    }
                } finally {
                    interrupting = false;
                }
            }
        }

        @Override
        public String toString() {
            return name + (detached ? " (detached)" : "");
        }
    }

    /** One engine: runs the contexts' steps round-robin, skipping those another engine runs. */
    private final class Engine implements Runnable {
        private int cursor;
        private Thread thread;
        /** Stopped, or left behind in a stuck step: it takes no further step. */
        private volatile boolean retired;

        Engine(int index) {
            this.cursor = index; // engines start at different contexts
        }

        @Override
        public void run() {
            while (!retired) {
                Context[] cs = contexts;
                boolean ran = false;
                for (int k = 0; k < cs.length && !retired; k++) {
                    Context c = cs[Math.floorMod(cursor++, cs.length)];
                    if (claim(c)) {
                        ran = true;
                        runStep(c);
                        reschedulePoint();
                        break; // the next step is the next context's: read the contexts again
                    }
                }
                if (!ran && !retired) {
                    // Nothing to run (no context, or every one busy on another engine): park until
                    // attach or stop wakes this engine, at most a moment.
                    LockSupport.parkNanos(DeviceEngines.this, IDLE_PARK_NANOS);
                    ranSince = System.nanoTime();
                }
            }
        }

        private int steps;
        private long ranSince = System.nanoTime();

        /** Between two steps, nothing of a context held: see {@link #RESCHED_INTERVAL}. */
        private void reschedulePoint() {
            if ((++steps & 63) == 0 && System.nanoTime() - ranSince > RESCHED_NANOS) {
                Thread.yield(); // returns at once when no other thread waits for this CPU
                ranSince = System.nanoTime();
            }
        }

        private boolean claim(Context c) {
            if (c.detached || !RUNNER.compareAndSet(c, null, this)) {
                return false;
            }
            if (c.detached) { // see Context.detach
                release(c);
                return false;
            }
            return true;
        }

        private void runStep(Context c) {
            boolean more;
            try {
                more = c.step.test(c.random);
            } catch (RuntimeException | LinkageError | AssertionError ex) {
                LOG.log(System.Logger.Level.WARNING, "device context " + c.name + " on engine " + thread.getName()
                        + " failed and is detached: " + ex, ex);
                more = false;
            } finally {
                Thread.interrupted(); // an interrupt meant for this step must not reach another context's
            }
            if (!more) {
                c.detached = true;
                remove(c);
            }
            release(c);
        }

        private void release(Context c) {
            RUNNER.setVolatile(c, null);
            if (c.interrupting) {
                synchronized (c) {
                    // detach is interrupting this engine for c's step: let it finish, then clear it
                }
            }
            Thread.interrupted(); // an interrupt meant for c (its step, or a claim given back) stays with c
            Thread w = c.waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }
}
