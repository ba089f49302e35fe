package org.mmunotifier.api;

/** The mm has begun to exit; nothing can be registered on it. */
public class MmDeadException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public MmDeadException(String message) {
        super(message);
    }
}
