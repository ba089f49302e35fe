package org.mmunotifier.api;

/** No free page frame, even after reclaim ({@code -ENOMEM}). */
public class OutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutOfMemoryException(String message) {
        super(message);
    }
}
