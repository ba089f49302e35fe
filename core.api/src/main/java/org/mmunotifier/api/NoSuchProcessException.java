package org.mmunotifier.api;

/** No process has that pid (it never existed, or it has exited). */
public class NoSuchProcessException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public NoSuchProcessException(int pid) {
        super("no process " + pid);
    }
}
