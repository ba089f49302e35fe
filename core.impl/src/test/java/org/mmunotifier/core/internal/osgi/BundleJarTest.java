package org.mmunotifier.core.internal.osgi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleException;

/** What {@code mmu:swap} accepts as a jar, checked before anything is stopped; every refusal names the file. */
class BundleJarTest {
    @TempDir
    Path dir;

    @Test
    void aBundleJarByPathOrFileUrlIsReadWithItsSymbolicName() throws IOException {
        Path jar = write("kvm.jar", bundle("org.mmunotifier.drivers.kvm;singleton:=true"));
        BundleJar byPath = BundleJar.read(jar.toString());
        assertEquals("org.mmunotifier.drivers.kvm", byPath.symbolicName());
        assertArrayEquals(Files.readAllBytes(jar), byPath.bytes());
        assertEquals("org.mmunotifier.drivers.kvm", BundleJar.read(jar.toUri().toString()).symbolicName());
    }

    @Test
    void urlsOtherThanFileAreRefusedWithoutOpeningThem() {
        for (String url : new String[] {"http://127.0.0.1:9/x.jar", "https://example.org/x.jar",
                "jar:file:/x.jar!/y.jar", "reference:file:/x.jar"}) {
            String m = refused(url);
            assertTrue(m.contains(url) && m.contains("only a local file"), m);
        }
    }

    @Test
    void aFileThatIsNotAZipIsRefusedNamingIt() throws IOException {
        Path text = write("hostname", "localhost\n".getBytes());
        String m = refused(text.toString());
        assertTrue(m.contains(text.toString()) && m.contains("not a zip file"), m);
    }

    @Test
    void aZipWithoutManifestOrSymbolicNameIsRefused() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("a.txt"));
            z.write('a');
        }
        assertTrue(refused(write("plain.zip", zip.toByteArray()).toString()).contains("no META-INF/MANIFEST.MF"));
        assertTrue(refused(write("nobsn.jar", bundle(null)).toString()).contains("no Bundle-SymbolicName"));
    }

    @Test
    void aTruncatedJarIsRefused() throws IOException {
        byte[] whole = bundle("org.mmunotifier.drivers.kvm");
        Path cut = write("cut.jar", Arrays.copyOf(whole, whole.length / 2));
        assertTrue(refused(cut.toString()).contains(cut + " is not a bundle jar"));
    }

    @Test
    void missingFilesAndFoldersAreRefused() {
        assertTrue(refused(dir.resolve("nope.jar").toString()).contains("no such file"));
        assertTrue(refused(dir.toString()).contains("not a regular file"));
        assertTrue(refused("/dev/zero").contains("/dev/zero"));
    }

    @Test
    void failuresAreReportedOnOneLineWithTheirCauses() {
        Exception e = new BundleException("Activator start error in bundle x [11].",
                new IllegalStateException("boom\n  at line 2"));
        assertEquals("Activator start error in bundle x [11].: boom at line 2", DriverSwapper.oneLine(e));
    }

    private String refused(String jar) {
        return assertThrows(IllegalArgumentException.class, () -> BundleJar.read(jar)).getMessage();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** A jar whose manifest has {@code bsn} as Bundle-SymbolicName (none if null) and one class-like entry. */
    private static byte[] bundle(String bsn) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            j.putNextEntry(new ZipEntry("x/Data.class"));
            j.write(new byte[4096]);
        }
        return out.toByteArray();
    }
}
