package org.mmunotifier.launcher.connect;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.osgi.framework.connect.ConnectContent;

/**
 * A bundle jar read into memory once: its entries, in jar order. The framework parses the manifest and makes the
 * class loader itself.
 */
final class JarContent implements ConnectContent {
    private final Map<String, Entry> entries;

    private JarContent(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Reads every entry of the jar at {@code jar}.
     *
     * @throws IOException if it cannot be read or has no entries (not a zip)
     */
    static JarContent read(URL jar) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(jar.openStream())) {
            for (ZipEntry e; (e = in.getNextEntry()) != null;) {
                entries.put(e.getName(), new Entry(e.getName(), e.getTime(), in.readAllBytes()));
            }
        }
        if (entries.isEmpty()) {
            throw new IOException(jar + " is not a jar: no entries");
        }
        return new JarContent(entries);
    }

    @Override
    public Optional<Map<String, String>> getHeaders() {
        return Optional.empty();
    }

    @Override
    public Iterable<String> getEntries() {
        return entries.keySet();
    }

    /** The entry at {@code path}; a directory also without its trailing slash. */
    @Override
    public Optional<ConnectEntry> getEntry(String path) {
        Entry e = entries.get(path);
        return Optional.ofNullable(e != null || path.endsWith("/") ? e : entries.get(path + "/"));
    }

    @Override
    public Optional<ClassLoader> getClassLoader() {
        return Optional.empty();
    }

    @Override
    public void open() {
        // in memory: nothing to open
    }

    @Override
    public void close() {
        // in memory: nothing to close
    }

    /** One entry and its bytes. */
    private record Entry(String name, long time, byte[] bytes) implements ConnectEntry {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public long getContentLength() {
            return bytes.length;
        }

        @Override
        public long getLastModified() {
            return time;
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public byte[] getBytes() {
            return bytes.clone();
        }
    }
}
