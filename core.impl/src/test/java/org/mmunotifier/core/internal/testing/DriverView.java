package org.mmunotifier.core.internal.testing;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.core.internal.mm.Mm;

/**
 * What a driver's tests look at: the driver's device contexts (VMs, memory regions, GRU
 * contexts, …), the mm each one is on, and what the driver holds on an mm in the notifier core
 * (notifiers or interval subscriptions, whichever it uses).
 *
 * @param contexts the driver's contexts now, on every mm
 * @param mmOf the mm a context is on
 * @param registrations the driver's registrations on an mm now
 * @param <C> the driver's device context
 */
public record DriverView<C>(Supplier<List<C>> contexts, Function<C, MmStruct> mmOf, ToIntFunction<Mm> registrations) {

    /** The driver's contexts and its registrations on one mm. */
    public record State(List<?> contexts, int registrations) {
    }

    /** The state of a driver that holds nothing on an mm and has no context anywhere. */
    public static final State NOTHING = new State(List.of(), 0);

    /** The driver's contexts on {@code mm} (the same object, not just the same id). */
    public List<C> contextsOn(MmStruct mm) {
        return contexts.get().stream().filter(c -> mmOf.apply(c) == mm).toList();
    }

    /** The driver's registrations on {@code mm}. */
    public int registrationsOn(Mm mm) {
        return registrations.applyAsInt(mm);
    }

    /** The driver's contexts everywhere and its registrations on {@code mm}, to compare before and after. */
    public State state(Mm mm) {
        return new State(contexts.get(), registrationsOn(mm));
    }
}
