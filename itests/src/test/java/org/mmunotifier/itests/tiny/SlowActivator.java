package org.mmunotifier.itests.tiny;

import java.util.Hashtable;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.Processes;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * The one class of a driver whose {@code release} and {@code invalidateRangeStart} are slow: each
 * counts down {@link #ENTERED} and then waits for {@link #PROCEED} (both latches the test put in
 * the system properties). Its stop unregisters as a driver should, and records whether a callback
 * was still running when unregister returned ({@link #OVERLAP}) and every callback that starts
 * after stop ({@link #LATE}).
 */
public final class SlowActivator implements BundleActivator, MmuNotifier {
    public static final String PID = "itests.slow.pid";
    public static final String ENTERED = "itests.slow.entered";
    public static final String PROCEED = "itests.slow.proceed";
    public static final String OVERLAP = "itests.slow.overlap";
    public static final String LATE = "itests.slow.late";
    public static final String MARKER = "itests.slow";

    private volatile MmStruct mm;
    private volatile boolean stopped;
    private final AtomicInteger running = new AtomicInteger();

    @Override
    public void start(BundleContext context) {
        Processes processes = context.getService(context.getServiceReference(Processes.class));
        mm = processes.mm(Integer.getInteger(PID));
        mm.register(this);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MARKER, "started");
        context.registerService(Runnable.class, () -> { }, props);
    }

    @Override
    public void stop(BundleContext context) {
        mm.unregister(this); // waits for the callback in flight
        if (running.get() != 0) {
            counter(OVERLAP).incrementAndGet();
        }
        stopped = true;
    }

    private static AtomicInteger counter(String name) {
        return (AtomicInteger) System.getProperties().get(name);
    }

    private void slow() {
        if (stopped) {
            counter(LATE).incrementAndGet();
        }
        running.incrementAndGet();
        try {
            Properties p = System.getProperties();
            ((CountDownLatch) p.get(ENTERED)).countDown();
            ((CountDownLatch) p.get(PROCEED)).await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.decrementAndGet();
        }
    }

    @Override
    public void release(MmStruct m) {
        slow();
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        slow();
        return true;
    }
}
