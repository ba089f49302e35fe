package org.mmunotifier.core.internal.notifier;

import java.util.concurrent.atomic.AtomicLong;
import org.mmunotifier.api.MmuNotifierContract;

/**
 * What every registration carries for the reports: a number (what a {@link ReaderSlot} records
 * while a thread runs one of its callbacks), whose code it calls, the notifier's name, and how
 * many faults it has had.
 */
public final class Identity {
    private static final int MAX_NAME = 200;

    final long id;
    final Owner owner;
    /** The notifier as its {@code toString()} named it at registration. */
    final String notifier;
    /** Which kernel's calls it gets. */
    final MmuNotifierContract contract;
    /** Released, unregistered, put or taken back: its device must not touch the mm any more. */
    private volatile boolean retired;
    private final AtomicLong faults = new AtomicLong();

    Identity(long id, Owner owner, Object notifier, MmuNotifierContract contract) {
        this.id = id;
        this.owner = owner;
        this.notifier = nameOf(notifier);
        this.contract = contract;
    }

    /** The registration is gone (released, unregistered, put or removed). */
    void retire() {
        retired = true;
    }

    public boolean isRetired() {
        return retired;
    }

    /** Its number, unique in the machine. */
    public long id() {
        return id;
    }

    public MmuNotifierContract contract() {
        return contract;
    }

    public Owner owner() {
        return owner;
    }

    public String notifier() {
        return notifier;
    }

    /** Counts a fault; returns how many this registration has had. */
    long fault() {
        return faults.incrementAndGet();
    }

    long faults() {
        return faults.get();
    }

    /**
     * The driver's own {@code toString()}, taken once on the registering thread (the driver's),
     * never later on a primary thread: a driver's {@code toString} may throw or block.
     */
    static String nameOf(Object notifier) {
        String identity = notifier.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(notifier));
        String s;
        try {
            s = String.valueOf(notifier);
        } catch (Throwable t) {
            return identity;
        }
        if (s.length() > MAX_NAME) {
            s = s.substring(0, MAX_NAME) + "…";
        }
        return s.equals(identity) || s.startsWith(notifier.getClass().getName() + "@") ? identity : s + " (" + identity + ")";
    }

    @Override
    public String toString() {
        return notifier;
    }
}
