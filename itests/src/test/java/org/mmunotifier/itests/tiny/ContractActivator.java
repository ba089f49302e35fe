package org.mmunotifier.itests.tiny;

import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.CoherenceOracle;
import org.mmunotifier.api.DeviceAccess;
import org.mmunotifier.api.MappedFrame;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.Processes;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * The one class of a third-party driver that declares no contract in code: its bundle's
 * {@code Require-Capability} decides which kernel's callbacks it hears. Started, it registers on
 * the process named by {@link #PID}, faults two pages of {@link #REGION} in through the oracle's
 * device for its registration, and counts every invalidation callback by "bsn callback" in the map
 * the test put at {@link #CALLS}. It keeps its translation of the first page whatever it is told
 * (on purpose): the {@link Runnable} it registers (property {@link #MARKER} = its symbolic name)
 * reads through it.
 */
public final class ContractActivator implements BundleActivator, MmuNotifier {
    public static final String PID = "itests.contract.pid";
    public static final String CALLS = "itests.contract.calls";
    public static final String MARKER = "itests.contract";
    public static final long REGION = 0x4000_0000L;

    private String bsn;
    private MmStruct mm;

    @Override
    public void start(BundleContext context) {
        bsn = context.getBundle().getSymbolicName();
        mm = context.getService(context.getServiceReference(Processes.class)).mm(Integer.getInteger(PID));
        mm.register(this);
        DeviceAccess device = context.getService(context.getServiceReference(CoherenceOracle.class)).device(this, mm);
        MappedFrame kept = mm.faultRange(REGION, REGION + 2 * Addresses.PAGE_SIZE, false)[0];
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MARKER, bsn);
        context.registerService(Runnable.class, () -> device.read(kept), props);
    }

    @Override
    public void stop(BundleContext context) {
        mm.unregister(this);
    }

    @SuppressWarnings("unchecked")
    private void count(String callback) {
        ((Map<String, AtomicInteger>) System.getProperties().get(CALLS))
                .computeIfAbsent(bsn + " " + callback, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        count("invalidate_range_start");
        return true;
    }

    @Override
    public void archInvalidateSecondaryTlbs(MmStruct m, long start, long end) {
        count("arch_invalidate_secondary_tlbs");
    }

    @Override
    public void invalidateRange(MmStruct m, long start, long end, boolean atomic) {
        count("invalidate_range");
    }

    @Override
    public void invalidatePage(MmStruct m, long address) {
        count("invalidate_page");
    }
}
