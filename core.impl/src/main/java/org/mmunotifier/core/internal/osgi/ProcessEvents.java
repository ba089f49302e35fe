package org.mmunotifier.core.internal.osgi;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.api.runtime.Stall;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;
import org.mmunotifier.core.internal.notifier.StallPolicy;
import org.mmunotifier.core.internal.notifier.StallWatchdog;
import org.mmunotifier.core.internal.util.BoundedWait;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The {@link ProcessListener} whiteboard: tells every registered listener about processes the
 * machine spawns and exits.
 *
 * <p>Unbinding a listener waits for the calls in flight to it. SCR unregisters a component's
 * service before calling its deactivate method, so once a driver's deactivate runs no spawn
 * notification can still be creating device state it would never tear down. A listener is a
 * driver's code: whatever it throws is logged against its bundle and the others are still told,
 * and a call that does not return is reported by the stall watchdog; unbinding waits for such a
 * call at most the give-up time.
 *
 * <p>A listener bound while processes already run (a driver started late, restarted or updated)
 * is told of each live one, on a thread of the core's, as if it had just been spawned: hot-swapped
 * drivers attach to the processes they find, not only to new ones. Each listener is told of a
 * process's spawn at most once and of its exit only after its spawn.
 */
@Component(service = ProcessEvents.class)
public final class ProcessEvents implements Workload.Listener {
    private static final System.Logger LOG = System.getLogger(ProcessEvents.class.getName());

    /** One listener and the calls in flight to it. */
    private static final class Slot {
        final ProcessListener listener;
        final long bundleId;
        final String bundle;
        /** The pids it has been told were spawned and not yet that they exit. */
        final Set<Integer> told = ConcurrentHashMap.newKeySet();
        private int calls; // guarded by this
        private boolean gone; // guarded by this

        Slot(ProcessListener listener) {
            this.listener = listener;
            Bundle b = FrameworkUtil.getBundle(listener.getClass());
            this.bundleId = b == null ? -1 : b.getBundleId();
            this.bundle = b == null ? "(no bundle)" : BundleOwners.name(b);
        }

        synchronized boolean enter() {
            if (gone) {
                return false;
            }
            calls++;
            return true;
        }

        synchronized void exit() {
            if (--calls == 0) {
                notifyAll();
            }
        }

        /** @return false if a call was still running after {@code giveUpNanos} */
        synchronized boolean close(long giveUpNanos) {
            gone = true;
            return BoundedWait.await(this, () -> calls == 0, giveUpNanos);
        }
    }

    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final Machine machine;
    private final StallWatchdog watchdog;
    private final StallPolicy policy;
    /** Tells late listeners of the processes already running (never on SCR's thread, which binds them). */
    private final ExecutorService replay = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mmunotifier-process-events-replay");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public ProcessEvents(@Reference MachineService machine) {
        this.machine = machine.machine();
        this.watchdog = this.machine.notifierCore().watchdog();
        this.policy = this.machine.notifierCore().stallPolicy();
    }

    @Deactivate
    void deactivate() {
        replay.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(ProcessListener listener) {
        Slot s = new Slot(listener);
        slots.add(s); // first: a process spawned from now on is told by its spawner
        try {
            replay.execute(() -> {
                for (Process p : machine.processes()) {
                    if (p.isAlive()) {
                        call(s, p, true);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // the core is stopping
        }
    }

    void removeListener(ProcessListener listener) {
        for (Slot s : slots) {
            if (s.listener == listener) {
                slots.remove(s);
                if (!s.close(policy.giveUpNanos())) {
                    LOG.log(Level.ERROR, "process listener " + listener.getClass().getName() + " of " + s.bundle
                            + " still has a call running after " + policy.giveUpMillis() + " ms; unbound without it"
                            + " (see mmu:stalls)");
                }
            }
        }
    }

    /** Listeners registered now. */
    public int listenerCount() {
        return slots.size();
    }

    @Override
    public void spawned(Process p) {
        tell(p, true);
    }

    @Override
    public void exiting(Process p) {
        tell(p, false);
    }

    private void tell(Process p, boolean spawned) {
        for (Slot s : slots) {
            call(s, p, spawned);
        }
    }

    /** Tells one listener, at most once per spawn, and of an exit only after the spawn. */
    private void call(Slot s, Process p, boolean spawned) {
        if (spawned ? !s.told.add(p.pid()) : !s.told.remove(p.pid())) {
            return;
        }
        if (!s.enter()) {
            return;
        }
        String what = (spawned ? "spawned" : "exiting") + " of process " + p.pid();
        try (StallWatchdog.Activity call = watchdog.track(Stall.Kind.LISTENER, s.bundleId, s.bundle,
                s.listener.getClass().getName(), what, p.mm().id())) {
            if (spawned) {
                s.listener.spawned(p.pid(), p.mm());
            } else {
                s.listener.exiting(p.pid(), p.mm());
            }
        } catch (Throwable e) {
            try {
                LOG.log(Level.WARNING, "process listener " + s.listener.getClass().getName() + " of " + s.bundle
                        + " failed on " + what + ": " + e, e);
            } catch (Throwable logFailed) {
                // a listener's Error is the listener's: the others are still told
            }
        } finally {
            s.exit();
        }
    }
}
