package org.mmunotifier.api;

/** A notifier is registered where it is registered already. */
public class AlreadyRegisteredException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public AlreadyRegisteredException(String message) {
        super(message);
    }
}
