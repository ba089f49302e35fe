package org.mmunotifier.launcher;

import java.nio.file.Path;

/** A second JVM for {@link MainTest}: takes the lock of args[0], says so, holds it until stdin closes. */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        InstanceLock.acquire(Path.of(args[0]));
        System.out.println("locked");
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold
        }
    }
}
