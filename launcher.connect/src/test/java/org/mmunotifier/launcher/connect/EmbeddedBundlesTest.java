package org.mmunotifier.launcher.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.connect.ConnectFrameworkFactory;
import org.osgi.framework.connect.ModuleConnector;
import org.osgi.framework.launch.Framework;

/**
 * On a real Felix in Connect mode: a bundle installed, as the bnd launcher does, with a path inside the class path
 * as location, and then updated with a plain {@code update()}, which reads the embedded jar again (it used to fail
 * with "no protocol").
 */
class EmbeddedBundlesTest {
    @TempDir
    Path dir;

    @Test
    void plainUpdateReadsTheEmbeddedJarAgain() throws Exception {
        Path jar = dir.resolve("cp/jar/sample.jar");
        writeBundle(jar, "1.0.0");
        try (URLClassLoader cp = new URLClassLoader(new URL[] {dir.resolve("cp").toUri().toURL()}, null)) {
            Framework fw = ServiceLoader.load(ConnectFrameworkFactory.class).findFirst().orElseThrow()
                    .newFramework(Map.of("org.osgi.framework.storage", dir.resolve("cache").toString(),
                            "org.osgi.framework.storage.clean", "onFirstInit"), new EmbeddedBundles(cp));
            fw.start();
            try {
                Bundle b = fw.getBundleContext().installBundle("jar/sample.jar");
                b.start();
                assertEquals("1.0.0", b.getVersion().toString());

                writeBundle(jar, "1.0.1");
                b.update();
                assertEquals("1.0.1", b.getVersion().toString());
                assertEquals(Bundle.ACTIVE, b.getState());
                assertEquals("jar/sample.jar", b.getLocation());
                assertTrue(b.getEntry("META-INF/") != null || b.getEntry("META-INF/MANIFEST.MF") != null);
            } finally {
                fw.stop();
                fw.waitForStop(10_000);
            }
        }
    }

    @Test
    void urlsAndMissingPathsAreLeftToTheFramework() throws Exception {
        writeBundle(dir.resolve("cp/jar/sample.jar"), "1.0.0");
        try (URLClassLoader cp = new URLClassLoader(new URL[] {dir.resolve("cp").toUri().toURL()}, null)) {
            ModuleConnector c = new EmbeddedBundles(cp);
            assertTrue(c.connect("jar/sample.jar").isPresent());
            assertTrue(c.connect("jar/missing.jar").isEmpty());
            assertTrue(c.connect(dir.resolve("cp/jar/sample.jar").toUri().toString()).isEmpty());
            assertTrue(c.connect("reference:file:/x.jar").isEmpty());
        }
    }

    @Test
    void notAJarFailsWhenItsContentIsRead() throws Exception {
        Path notJar = dir.resolve("cp/jar/hostname");
        Files.createDirectories(notJar.getParent());
        Files.writeString(notJar, "localhost\n");
        try (URLClassLoader cp = new URLClassLoader(new URL[] {dir.resolve("cp").toUri().toURL()}, null)) {
            IOException e = assertThrows(IOException.class,
                    () -> new EmbeddedBundles(cp).connect("jar/hostname").orElseThrow().getContent());
            assertTrue(e.getMessage().contains("not a jar"), e.getMessage());
        }
    }

    private static void writeBundle(Path jar, String version) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "sample");
        a.putValue("Bundle-Version", version);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.putNextEntry(new ZipEntry("sample/"));
            j.closeEntry();
            j.putNextEntry(new ZipEntry("sample/data.txt"));
            j.write(version.getBytes());
            j.closeEntry();
        }
    }
}
