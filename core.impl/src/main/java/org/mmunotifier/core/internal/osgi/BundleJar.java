package org.mmunotifier.core.internal.osgi;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;

/**
 * A bundle jar read into memory and checked before anything is stopped: a zip whose every entry reads, with a
 * manifest naming a {@code Bundle-SymbolicName}. The update then installs these bytes, so the file cannot change
 * between the check and the update.
 *
 * @param source what it was read from, for messages
 * @param bytes the whole jar
 * @param symbolicName its {@code Bundle-SymbolicName}, without parameters
 */
record BundleJar(String source, byte[] bytes, String symbolicName) {
    /** Larger than any bundle of ours by far; keeps a wrong file from filling the heap. */
    static final long MAX_BYTES = 64L << 20;

    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

    /**
     * Reads a jar the operator named: a filesystem path or a {@code file:} URL. Nothing else is opened.
     *
     * @throws IllegalArgumentException naming {@code jar} and what is wrong with it
     */
    static BundleJar read(String jar) {
        Path file = localFile(jar);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot read " + jar + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cannot read " + jar + ": not a regular file");
        }
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw tooLarge(jar);
            }
            return of(jar, Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read " + jar + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + jar + ": " + e.getMessage());
        }
    }

    /**
     * Reads the jar a bundle was installed from: its location as a URL, or a path inside the launcher's jar
     * (where the bnd launcher installs its embedded bundles from).
     *
     * @throws IllegalArgumentException if it cannot be read or is not a bundle jar
     */
    static BundleJar ofLocation(Bundle bundle) {
        String loc = bundle.getLocation();
        byte[] bytes;
        try {
            URL embedded = ClassLoader.getSystemResource(loc);
            URL url = embedded != null ? embedded
                    : URI.create(loc.startsWith("reference:") ? loc.substring("reference:".length()) : loc).toURL();
            try (InputStream in = url.openStream()) {
                bytes = in.readNBytes((int) MAX_BYTES + 1);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read " + loc + ", where " + BundleOwners.name(bundle)
                    + " was installed from: " + e.getMessage());
        }
        return of(loc, bytes);
    }

    /**
     * The bundle's current revision as a jar, rebuilt from its own entries (not its fragments'): what a failed
     * update is rolled back to once the new revision has replaced it.
     *
     * @throws IllegalStateException if an entry cannot be read
     */
    static BundleJar ofRevision(Bundle bundle) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            Set<String> done = new HashSet<>();
            copyEntry(bundle, JarFile.MANIFEST_NAME, zip, done); // first, as jar readers expect
            copyTree(bundle, "/", zip, done);
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy the running revision of " + BundleOwners.name(bundle)
                    + " (to roll back to): " + e.getMessage(), e);
        }
        return of("the running revision of " + BundleOwners.name(bundle), out.toByteArray());
    }

    private static void copyTree(Bundle bundle, String dir, ZipOutputStream zip, Set<String> done) throws IOException {
        Enumeration<String> paths = bundle.getEntryPaths(dir);
        while (paths != null && paths.hasMoreElements()) {
            String path = paths.nextElement();
            copyEntry(bundle, path, zip, done);
            if (path.endsWith("/")) {
                copyTree(bundle, path, zip, done);
            }
        }
    }

    private static void copyEntry(Bundle bundle, String path, ZipOutputStream zip, Set<String> done)
            throws IOException {
        URL entry = bundle.getEntry(path);
        if (entry == null || !done.add(path)) {
            return;
        }
        zip.putNextEntry(new ZipEntry(path));
        if (!path.endsWith("/")) {
            try (InputStream in = entry.openStream()) {
                in.transferTo(zip);
            }
        }
        zip.closeEntry();
    }

    /** Checks {@code bytes} read from {@code source}: a zip, every entry readable, a manifest with a symbolic name. */
    static BundleJar of(String source, byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(source);
        }
        if (!startsWith(bytes, ZIP_MAGIC)) {
            throw new IllegalArgumentException(source + " is not a bundle jar: not a zip file");
        }
        Manifest manifest = null;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null;) {
                byte[] content = zip.readAllBytes(); // checks the entry's CRC
                if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                    manifest = new Manifest(new ByteArrayInputStream(content));
                }
            }
        } catch (ZipException e) {
            throw new IllegalArgumentException(source + " is not a bundle jar: broken zip (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " is not a bundle jar: " + e.getMessage());
        }
        if (manifest == null) {
            throw new IllegalArgumentException(source + " is not a bundle jar: no " + JarFile.MANIFEST_NAME);
        }
        String bsn = manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null || bsn.isBlank()) {
            throw new IllegalArgumentException(source + " is not a bundle: its manifest has no "
                    + Constants.BUNDLE_SYMBOLICNAME);
        }
        return new BundleJar(source, bytes, bsn.split(";", 2)[0].strip());
    }

    /**
     * Refuses a jar that is not {@code bundle}'s: an update must not turn one bundle into another.
     *
     * @throws IllegalArgumentException naming both symbolic names
     */
    void requireSymbolicNameOf(Bundle bundle) {
        if (!symbolicName.equals(bundle.getSymbolicName())) {
            throw new IllegalArgumentException(source + " is " + symbolicName + ", not " + bundle.getSymbolicName()
                    + ": a bundle is only updated from a jar of its own symbolic name");
        }
    }

    /** The jar's bytes as a new stream. */
    InputStream stream() {
        return new ByteArrayInputStream(bytes);
    }

    /**
     * A filesystem path or a {@code file:} URL as a path.
     *
     * @throws IllegalArgumentException for any other URL ({@code http:}, {@code jar:} …)
     */
    static Path localFile(String jar) {
        String scheme = scheme(jar);
        try {
            if (scheme == null) {
                return Path.of(jar);
            }
            if (scheme.equalsIgnoreCase("file")) {
                return Path.of(URI.create(jar));
            }
        } catch (IllegalArgumentException | FileSystemNotFoundException e) { // InvalidPathException is one
            throw new IllegalArgumentException("cannot read " + jar + ": not a file path or file: URL ("
                    + e.getMessage() + ")");
        }
        throw new IllegalArgumentException("refusing " + jar + ": only a local file (a path or a file: URL) can be"
                + " swapped in, not " + scheme + ":");
    }

    /** The URL scheme {@code s} starts with, or null for a path (a one-letter "scheme" is a Windows drive). */
    private static String scheme(String s) {
        int colon = s.indexOf(':');
        if (colon < 2 || !Character.isLetter(s.charAt(0))) {
            return null;
        }
        for (int i = 1; i < colon; i++) {
            char c = s.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '+' && c != '-' && c != '.') {
                return null;
            }
        }
        return s.substring(0, colon);
    }

    private static IllegalArgumentException tooLarge(String source) {
        return new IllegalArgumentException(source + " is not a bundle jar: larger than " + (MAX_BYTES >> 20) + " MiB");
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
