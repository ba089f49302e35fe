package org.mmunotifier.core.internal.notifier;

import java.util.ArrayList;
import java.util.List;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;

/**
 * Which invalidation callbacks a notifier class fills in: the ones it does not are the kernel's
 * NULL {@code mmu_notifier_ops} members. Calling the default is harmless, but it tells the device
 * nothing, so the strict oracle must not count it as told: an SVA-style notifier without
 * {@code invalidate_range_start} would otherwise be held to a window it never heard of.
 */
record Implemented(boolean start, boolean tlb, boolean range, boolean page) {
    private static final ClassValue<Implemented> BY_CLASS = new ClassValue<>() {
        @Override
        protected Implemented computeValue(Class<?> c) {
            return new Implemented(overrides(c, "invalidateRangeStart", MmuNotifierRange.class),
                    overrides(c, "archInvalidateSecondaryTlbs", MmStruct.class, long.class, long.class),
                    overrides(c, "invalidateRange", MmStruct.class, long.class, long.class, boolean.class),
                    overrides(c, "invalidatePage", MmStruct.class, long.class));
        }
    };

    static Implemented by(MmuNotifier n) {
        return BY_CLASS.get(n.getClass());
    }

    /**
     * The callbacks this class fills in that {@code contract} never calls ({@code invalidate_page}
     * under 6.x, {@code invalidate_range_start} under the seed …): a driver written for another
     * kernel than the one it declares.
     */
    List<String> unheard(MmuNotifierContract contract) {
        List<String> out = new ArrayList<>();
        switch (contract) {
            case V6 -> {
                add(out, page, "invalidate_page");
                add(out, range, "invalidate_range");
            }
            case V2_6_27 -> {
                add(out, tlb, "arch_invalidate_secondary_tlbs");
                add(out, range, "invalidate_range");
            }
            case SEED -> {
                add(out, start, "invalidate_range_start");
                add(out, tlb, "arch_invalidate_secondary_tlbs");
            }
        }
        return out;
    }

    private static void add(List<String> out, boolean implemented, String name) {
        if (implemented) {
            out.add(name);
        }
    }

    private static boolean overrides(Class<?> c, String name, Class<?>... params) {
        try {
            return c.getMethod(name, params).getDeclaringClass() != MmuNotifier.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("MmuNotifier." + name + " is gone", e);
        }
    }
}
