package org.mmunotifier.core.internal.notifier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** The package's field handles, for a class's static initialiser. */
final class VarHandles {
    private VarHandles() {
    }

    /** The handle of field {@code name} of {@code lookup}'s class (pass {@code MethodHandles.lookup()}). */
    static VarHandle field(MethodHandles.Lookup lookup, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(lookup.lookupClass(), name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
