package org.mmunotifier.core.internal.mm;

import java.util.concurrent.atomic.AtomicBoolean;
import org.mmunotifier.api.MmDeadException;

/** A task with its address space. {@link #exit()} drops the task's reference on the mm. */
public final class Process {
    private final int pid;
    private final AddressSpace mm;
    private final AtomicBoolean exited = new AtomicBoolean();

    Process(int pid, AddressSpace mm) {
        this.pid = pid;
        this.mm = mm;
    }

    public int pid() {
        return pid;
    }

    public AddressSpace mm() {
        return mm;
    }

    public boolean isAlive() {
        return !exited.get();
    }

    /**
     * {@code do_exit}: the task lets go of its mm; the last user runs {@code exit_mmap}.
     *
     * @throws MmDeadException if the process has exited already
     */
    public void exit() {
        if (!exited.compareAndSet(false, true)) {
            throw new MmDeadException("process " + pid + " has exited already");
        }
        mm.mmput();
    }

    @Override
    public String toString() {
        return "process " + pid + " (" + mm + ")";
    }
}
