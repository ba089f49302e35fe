package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.itests.tiny.SmokeActivator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/** FileInstall watches this framework's own folder: a jar dropped there is installed and started, removed, uninstalled. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FileInstallIT {

    private static final String BSN = "itests.tiny.dropped";
    private static final String ACTIVATED = "(" + SmokeActivator.MARKER + "=activated)";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Test
    public void watchedFolderIsFreshAndUnderTarget() throws Exception {
        Path folder = ItestSupport.watchedFolder(context);
        assertTrue(folder + " exists", Files.isDirectory(folder));
        assertTrue(folder + " is under " + ItestSupport.workDir(), folder.startsWith(ItestSupport.workDir()));
        try (var files = Files.list(folder)) {
            assertEquals("nothing in " + folder + " at start", 0, files.count());
        }
        assertEquals(Bundle.ACTIVE, ItestSupport.bundleBySymbolicName(context, "org.apache.felix.fileinstall").getState());
    }

    @Test
    public void droppedJarIsInstalledStartedAndRemovedJarUninstalled() throws Exception {
        Path folder = ItestSupport.watchedFolder(context);
        // Written next to the folder, then moved in: FileInstall never sees half a jar.
        Path staged = Files.createTempFile(folder.getParent(), BSN, ".jar");
        try (InputStream jar = ItestSupport.activatorBundle(BSN, SmokeActivator.class)) {
            Files.copy(jar, staged, StandardCopyOption.REPLACE_EXISTING);
        }
        Path dropped = Files.move(staged, folder.resolve(BSN + ".jar"), StandardCopyOption.ATOMIC_MOVE);

        // FileInstall installs and starts it on its own thread: the service shows up while the bundle is STARTING.
        ItestSupport.waitForServiceReference(context, Runnable.class, ACTIVATED, Duration.ofSeconds(5));
        Bundle b = ItestSupport.bundleBySymbolicName(context, BSN);
        ItestSupport.waitUntil(BSN + " ACTIVE", Duration.ofSeconds(5), () -> b.getState() == Bundle.ACTIVE);
        // FileInstall's location is File.toURI() ("file:/..."), not Path.toUri() ("file:///...").
        assertEquals(dropped.toFile().toURI().toString(), b.getLocation());

        Files.delete(dropped);
        ItestSupport.waitUntil(BSN + " uninstalled after its jar was removed", Duration.ofSeconds(5),
                () -> b.getState() == Bundle.UNINSTALLED);
        assertTrue(context.getServiceReferences(Runnable.class, ACTIVATED).isEmpty());
    }
}
