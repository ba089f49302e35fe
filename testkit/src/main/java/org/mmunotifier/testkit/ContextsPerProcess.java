package org.mmunotifier.testkit;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.mmunotifier.api.MmDeadException;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.ProcessListener;

/**
 * A listener that gives every new process the device contexts {@code attach} creates and, when the
 * process exits, tears down those (and only those) with {@code detach}. A process that exited
 * before its contexts could be created gets none. Unlike a driver's {@code DeviceAttach}, it keeps
 * the contexts it made, so a test can make them differently (broken ones, say).
 *
 * @param <C> the driver's device context
 */
public final class ContextsPerProcess<C> implements ProcessListener {

    /** Creates the contexts of a new process. */
    @FunctionalInterface
    public interface Attach<C> {
        List<C> attach(int pid, MmStruct mm);
    }

    private final Attach<C> attach;
    private final Consumer<C> detach;
    private final Map<Integer, List<C>> contexts = new ConcurrentHashMap<>();

    public ContextsPerProcess(Attach<C> attach, Consumer<C> detach) {
        this.attach = Objects.requireNonNull(attach, "attach");
        this.detach = Objects.requireNonNull(detach, "detach");
    }

    @Override
    public void spawned(int pid, MmStruct mm) {
        try {
            contexts.put(pid, List.copyOf(attach.attach(pid, mm)));
        } catch (MmDeadException e) {
            // exited before we got to it
        }
    }

    @Override
    public void exiting(int pid, MmStruct mm) {
        List<C> gone = contexts.remove(pid);
        if (gone != null) {
            gone.forEach(detach);
        }
    }
}
