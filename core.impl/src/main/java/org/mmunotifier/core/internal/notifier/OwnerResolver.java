package org.mmunotifier.core.internal.notifier;

/** Says whose code an object a driver hands the core (a notifier, its ops) is. */
@FunctionalInterface
public interface OwnerResolver {
    OwnerResolver NONE = code -> Owner.NONE;

    /**
     * @throws IllegalStateException if that code's owner may not register any more (its bundle
     *         has stopped)
     */
    Owner ownerOf(Object code);
}
