package org.mmunotifier.core.internal.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The log file: appended to, one entry per line and its stack trace below it, flushed per entry
 * (a crash loses nothing written). Past {@link #maxBytes} it is moved to {@code <name>.1} (the
 * previous {@code .1} goes) and a new one begins, so a driver faulting for a week cannot fill the
 * disk.
 */
final class LogFile implements AutoCloseable {
    private final Path path;
    private final long maxBytes;
    private PrintWriter out;
    private long written;

    LogFile(Path path, long maxBytes) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        open();
    }

    Path path() {
        return path;
    }

    private void open() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        OutputStream s = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        written = Files.size(path);
        out = new PrintWriter(new java.io.OutputStreamWriter(s, StandardCharsets.UTF_8));
    }

    /** Writes {@code text} (one entry, possibly several lines) and flushes it. */
    synchronized void write(String text) {
        if (out == null) {
            return;
        }
        out.print(text);
        out.flush();
        written += text.length(); // characters, near enough to bytes for a size bound
        if (written > maxBytes) {
            roll();
        }
    }

    private void roll() {
        out.close();
        out = null;
        try {
            Files.move(path, path.resolveSibling(path.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            open();
        } catch (IOException e) {
            System.err.println("[mmu] cannot roll the log file " + path + ": " + e + "; logging to it stops");
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            out.close();
            out = null;
        }
    }
}
