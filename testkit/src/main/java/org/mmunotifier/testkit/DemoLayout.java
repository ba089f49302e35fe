package org.mmunotifier.testkit;

import org.mmunotifier.api.Addresses;
import org.mmunotifier.core.internal.mm.Workload;

/**
 * The memory of every demo and workload process ({@link TestMachine#spawnDemo()}): regions of
 * {@link #REGION_PAGES} pages at {@link #region(int) region(n)}; even regions are private,
 * odd ones shared with forked children. The workload maps, unmaps, remaps, protects and
 * reclaims pages in these regions only, so a driver sees its invalidations only if it mirrors
 * them, and the oracle checks only the accesses the driver reports through its device.
 */
public final class DemoLayout {
    /** How many regions each process has. */
    public static final int REGIONS = Workload.REGIONS;
    /** Pages per region. */
    public static final int REGION_PAGES = Workload.REGION_PAGES;
    /** Bytes per region. */
    public static final long REGION_BYTES = REGION_PAGES * Addresses.PAGE_SIZE;

    private DemoLayout() {
    }

    /** Where region {@code n} starts ({@code 0x4000_0000 + n * 0x1000_0000}). */
    public static long region(int n) {
        if (n < 0 || n >= REGIONS) {
            throw new IllegalArgumentException("region " + n + ": there are " + REGIONS + " (0.." + (REGIONS - 1) + ")");
        }
        return Workload.region(n);
    }

    /** Whether region {@code n} is shared with forked children. */
    public static boolean isShared(int n) {
        return n % 2 == 1;
    }
}
