package org.mmunotifier.core.internal.osgi;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mmunotifier.api.ProcessListener;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Workload;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The {@link ProcessListener} whiteboard: tells every registered listener about processes the
 * machine spawns and exits.
 *
 * <p>Unbinding a listener waits for the calls in flight to it. SCR unregisters a component's
 * service before calling its deactivate method, so once a driver's deactivate runs no spawn
 * notification can still be creating device state it would never tear down.
 */
@Component(service = ProcessEvents.class)
public final class ProcessEvents implements Workload.Listener {
    private static final System.Logger LOG = System.getLogger(ProcessEvents.class.getName());

    /** One listener and the calls in flight to it. */
    private static final class Slot {
        final ProcessListener listener;
        private int calls; // guarded by this
        private boolean gone; // guarded by this

        Slot(ProcessListener listener) {
            this.listener = listener;
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

        synchronized void close() {
            gone = true;
            boolean interrupted = false;
            while (calls > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final List<Slot> slots = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(ProcessListener listener) {
        slots.add(new Slot(listener));
    }

    void removeListener(ProcessListener listener) {
        for (Slot s : slots) {
            if (s.listener == listener) {
                slots.remove(s);
                s.close();
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
            if (!s.enter()) {
                continue;
            }
            try {
                if (spawned) {
                    s.listener.spawned(p.pid(), p.mm());
                } else {
                    s.listener.exiting(p.pid(), p.mm());
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "process listener " + s.listener.getClass().getName() + " failed on "
                        + (spawned ? "spawn" : "exit") + " of process " + p.pid() + ": " + e, e);
            } finally {
                s.exit();
            }
        }
    }
}
