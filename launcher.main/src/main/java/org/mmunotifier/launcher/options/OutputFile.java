package org.mmunotifier.launcher.options;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** A file an option names for the launcher to write (a JFR recording), checked before anything runs. */
public final class OutputFile {
    private OutputFile() {
    }

    /**
     * @return {@code text} as an absolute path whose folder exists and can be written
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static Path check(String text) {
        Path file;
        try {
            file = Path.of(text.strip()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + text + "' is not a path: " + e.getReason());
        }
        Path dir = file.getParent();
        if (text.isBlank() || dir == null || Files.isDirectory(file)) {
            throw new IllegalArgumentException("'" + text + "' is not a file name: give the file to write the"
                    + " recording to");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("'" + text + "': there is no folder " + dir);
        }
        if (!Files.isWritable(dir) || Files.exists(file) && !Files.isWritable(file)) {
            throw new IllegalArgumentException("'" + text + "': " + file + " cannot be written");
        }
        return file;
    }
}
