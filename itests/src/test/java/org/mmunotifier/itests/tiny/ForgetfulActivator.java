package org.mmunotifier.itests.tiny;

import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.Processes;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The one class of a driver that forgets to unregister: started, it registers itself as an MMU
 * notifier and an interval notifier on the process named by {@link #PID}; stopped, it does
 * nothing about either. Every callback that arrives after its stop counts in the
 * {@link AtomicInteger} the test put at {@link #LATE} (system properties are shared by the test
 * probe and this bundle, which have separate copies of this class).
 */
public final class ForgetfulActivator implements BundleActivator, MmuNotifier {
    public static final String PID = "itests.forgetful.pid";
    public static final String LATE = "itests.forgetful.late";
    public static final String MARKER = "itests.forgetful";
    /** Set to "true": let go of the core's Processes service right after using it. */
    public static final String UNGET = "itests.forgetful.unget";
    public static final long REGION = 0x4000_0000L;

    private volatile boolean stopped;

    @Override
    public void start(BundleContext context) {
        ServiceReference<Processes> ref = context.getServiceReference(Processes.class);
        MmStruct mm = context.getService(ref).mm(Integer.getInteger(PID));
        if (Boolean.getBoolean(UNGET)) {
            context.ungetService(ref); // the core then learns of the stop only from the STOPPED event
        }
        mm.register(this);
        mm.insertInterval(REGION, REGION + 32 * 4096, (sub, range, seq) -> {
            late();
            sub.setSeq(seq);
            return true;
        });
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MARKER, "started");
        context.registerService(Runnable.class, () -> { }, props);
    }

    @Override
    public void stop(BundleContext context) {
        stopped = true; // and forgets the registrations
    }

    private void late() {
        if (stopped) {
            ((AtomicInteger) System.getProperties().get(LATE)).incrementAndGet();
        }
    }

    @Override
    public void release(MmStruct mm) {
        late();
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        late();
        return true;
    }

    @Override
    public void invalidateRangeEnd(MmuNotifierRange range) {
        late();
    }

    @Override
    public void invalidatePage(MmStruct mm, long address) {
        late();
    }
}
