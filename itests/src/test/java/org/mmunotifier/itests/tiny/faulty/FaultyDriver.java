package org.mmunotifier.itests.tiny.faulty;

import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.NoSuchProcessException;
import org.mmunotifier.api.NotRegisteredException;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.api.Processes;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/**
 * The activator of a driver that misbehaves on purpose. Like a real driver it registers a
 * {@link ProcessListener} and gives every process (those running when it starts, and each one
 * spawned later) one {@link FaultyNotifier}, unregistered when the process exits and when the
 * bundle stops. How the notifiers misbehave is the bundle's {@value #MODE_HEADER} header:
 * <ul>
 * <li>{@value #THROW}: {@code invalidateRangeStart} throws a RuntimeException, every time;</li>
 * <li>{@value #OVERFLOW}: {@code agePage} recurses until the stack overflows;</li>
 * <li>{@value #SLEEP}: {@code invalidateRangeStart} sleeps 30 s (interruptibly);</li>
 * <li>{@value #STUCK}: {@code invalidateRangeStart} waits for ever, ignoring interrupts;</li>
 * <li>{@value #SELF_UNREGISTER}: {@code release} unregisters the notifier itself, and the
 * listener leaves exits to {@code release}.</li>
 * </ul>
 * The blocking modes block only for the process whose pid is in the system property
 * {@value #VICTIM}, on its first {@code UNMAP}, when that property is set; otherwise on every
 * call. The bundle registers a {@link Runnable} (service property {@value #RELEASE} = its mode)
 * that lets every blocked callback return, so that a test can clean up; it keeps working after
 * the bundle stopped.
 *
 * <p>Only {@code org.mmunotifier.api} and {@code org.osgi.framework} are imported, and the classes
 * of this package have no nested or anonymous classes: the bundle is built from their class files.
 */
public final class FaultyDriver implements BundleActivator, ProcessListener, Runnable {
    public static final String MODE_HEADER = "Faulty-Mode";
    public static final String THROW = "throw";
    public static final String OVERFLOW = "overflow";
    public static final String SLEEP = "sleep";
    public static final String STUCK = "stuck";
    public static final String SELF_UNREGISTER = "self-unregister";
    /** System property: the pid whose first UNMAP blocks (blocking modes); unset, every call blocks. */
    public static final String VICTIM = "itests.faulty.victim";
    /** Service property of the release {@link Runnable}: the driver's mode. */
    public static final String RELEASE = "itests.faulty.release";
    static final long SLEEP_MILLIS = 30_000;

    private final Map<Long, FaultyNotifier> notifiers = new ConcurrentHashMap<>();
    private final Set<Thread> blocked = ConcurrentHashMap.newKeySet();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile String mode = "";
    private volatile boolean stopping;
    private ServiceRegistration<ProcessListener> listener;

    @Override
    public void start(BundleContext context) {
        mode = String.valueOf(context.getBundle().getHeaders().get(MODE_HEADER));
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(RELEASE, mode);
        context.registerService(Runnable.class, this, props);
        listener = context.registerService(ProcessListener.class, this, null);
        // The processes that exist already: a driver dropped into a running machine serves them too.
        ServiceReference<Processes> ref = context.getServiceReference(Processes.class);
        Processes processes = context.getService(ref);
        for (int pid : processes.pids()) {
            try {
                attach(pid, processes.mm(pid));
            } catch (NoSuchProcessException | MmDeadException gone) {
                // exited meanwhile
            }
        }
    }

    @Override
    public void stop(BundleContext context) {
        stopping = true;
        listener.unregister(); // waits for spawned/exiting calls in flight to us
        for (FaultyNotifier n : notifiers.values()) {
            try {
                n.mm.unregister(n);
            } catch (NotRegisteredException alreadyGone) {
                // its process exited and released it (self-unregister mode), or it is exiting now
            }
        }
        notifiers.clear();
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        if (!stopping) {
            try {
                attach(pid, mm);
            } catch (MmDeadException gone) {
                // exited before we got to it
            }
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        if (SELF_UNREGISTER.equals(mode)) {
            return; // release does it
        }
        FaultyNotifier n = notifiers.remove(mm.id());
        if (n != null) {
            try {
                mm.unregister(n);
            } catch (NotRegisteredException alreadyGone) {
                // stop got there first
            }
        }
    }

    private void attach(int pid, MmStruct mm) {
        FaultyNotifier n = new FaultyNotifier(this, pid, mm);
        if (notifiers.putIfAbsent(mm.id(), n) == null) {
            try {
                mm.register(n);
            } catch (RuntimeException e) {
                notifiers.remove(mm.id(), n);
                throw e;
            }
        }
    }

    String mode() {
        return mode;
    }

    /** A notifier unregistered itself (from release). */
    void forget(FaultyNotifier n) {
        notifiers.remove(n.mm.id(), n);
    }

    /** Whether a blocking callback should block now (not once released). */
    boolean blocking() {
        return released.getCount() > 0;
    }

    /** {@value #SLEEP} mode: 30 s, or until released; an interrupt that is not the release is passed on. */
    void sleep() {
        synchronized (blocked) {
            if (!blocking()) {
                return;
            }
            blocked.add(Thread.currentThread());
        }
        try {
            Thread.sleep(SLEEP_MILLIS);
        } catch (InterruptedException e) {
            if (blocking()) {
                Thread.currentThread().interrupt(); // not ours: pass it on
            }
        } finally {
            synchronized (blocked) {
                blocked.remove(Thread.currentThread());
                if (!blocking()) {
                    Thread.interrupted(); // the release's interrupt is ours, not the caller's
                }
            }
        }
    }

    /** {@value #STUCK} mode: until released, whoever interrupts. */
    void stuck() {
        while (true) {
            try {
                released.await();
                return;
            } catch (InterruptedException ignored) {
                // deaf to interrupts, as a driver spinning on hardware would be
            }
        }
    }

    /** Lets every blocked callback return, now and from now on. */
    @Override
    public void run() {
        synchronized (blocked) {
            released.countDown();
            for (Thread t : blocked) {
                t.interrupt();
            }
        }
    }
}
