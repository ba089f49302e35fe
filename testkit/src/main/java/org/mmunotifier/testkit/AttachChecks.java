package org.mmunotifier.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;

/** What every driver's attach listener must do around its driver's deactivation. */
public final class AttachChecks {
    private AttachChecks() {
    }

    /**
     * Deactivates a driver under its attach listener: the registrations of a process spawned before
     * must be gone; the spawn of a new process is refused with an {@link IllegalStateException}
     * saying {@code refusal} and leaves no context and no registration; the exit of the first
     * process then finds nothing to do and does not complain.
     *
     * @param contexts all the driver's contexts
     */
    public static void assertSpawnRefusedOnceDeactivated(TestMachine machine, ProcessListener attach,
            Supplier<? extends Collection<?>> contexts, Runnable deactivate, String refusal) {
        TestProcess before = machine.spawnDemo();
        attach.spawned(before.pid(), before.mm());
        deactivate.run();
        assertEquals(0, machine.registrationsOn(before.mm()), "deactivate left a context registered");
        TestProcess p = machine.spawnDemo();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> attach.spawned(p.pid(), p.mm()));
        assertEquals(refusal, e.getMessage());
        assertEquals(List.of(), List.copyOf(contexts.get()));
        assertEquals(0, machine.registrationsOn(p.mm()));
        attach.exiting(before.pid(), before.mm()); // nothing left: no complaint
    }

    /** The contexts in {@code all} whose mm is {@code mm} (the same object). */
    public static <C> List<C> on(MmStruct mm, Collection<C> all, Function<C, MmStruct> mmOf) {
        return all.stream().filter(c -> mmOf.apply(c) == mm).toList();
    }
}
