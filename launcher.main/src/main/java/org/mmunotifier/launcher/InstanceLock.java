package org.mmunotifier.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One launcher per working directory: an OS file lock on {@code .mmunotifier.lock}, held until the
 * JVM ends (the OS drops it then, also after a kill -9, so a stale file never blocks a start). The
 * file says who holds it, for the message the next launcher prints.
 */
public final class InstanceLock {
    static final String FILE = ".mmunotifier.lock";
    /** Held for the JVM's life: a lock is released when its channel is closed or collected. */
    private static final java.util.Map<Path, FileChannel> HELD = new java.util.HashMap<>();

    /** Another launcher holds the lock. */
    public static final class HeldException extends Exception {
        HeldException(String message) {
            super(message, null, false, false);
        }
    }

    private InstanceLock() {
    }

    /**
     * Takes the lock of {@code directory} for this JVM (again: a no-op).
     *
     * @throws HeldException naming the other launcher's pid when it holds the lock
     * @throws IOException when the file cannot be created or locked at all
     */
    public static synchronized void acquire(Path directory) throws HeldException, IOException {
        if (HELD.containsKey(directory)) {
            return;
        }
        Path file = directory.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this JVM holds it through another channel
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String owner = owner(channel);
            channel.close();
            throw new HeldException("another mmunotifier launcher" + owner + " is running in " + directory
                    + " (it holds " + FILE + "; this one would wipe its framework storage and share its deploy/);"
                    + " stop it, or start this one in another directory");
        }
        byte[] me = ("pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(me), 0);
        channel.force(false);
        HELD.put(directory, channel);
    }

    /** " (pid 1234 since …)" from the file, or "" when it says nothing readable. */
    private static String owner(FileChannel channel) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(256);
            channel.read(buf, 0);
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
            return text.startsWith("pid ") ? " (" + text + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }
}
