package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.mmunotifier.itests.GogoShell.get;
import static org.mmunotifier.itests.GogoShell.getLong;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.runtime.Drivers;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.itests.tiny.ForgetfulActivator;
import org.mmunotifier.itests.tiny.SmokeActivator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * {@code mmu:swap} through a Gogo session: what it refuses (a file that is not a jar, a jar of another bundle, a
 * URL, a bundle that is not a driver), each with one line and before anything is stopped; what it does (an update
 * from the right jar, a forced swap of a non-driver); the {@link Drivers} service the web page swaps through; and
 * the rollback of an update that fails after the stop.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SwapIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String KVM = ItestSupport.symbolicName("drivers.kvm");

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    @Inject
    private Drivers drivers;

    private GogoShell shell;
    private Path work;
    /** STOPPING events per bundle id since the test began: a refusal must not stop anything. */
    private final Map<Long, AtomicInteger> stops = new ConcurrentHashMap<>();
    private final SynchronousBundleListener stopCounter = e -> {
        if (e.getType() == BundleEvent.STOPPING) {
            stops.computeIfAbsent(e.getBundle().getBundleId(), id -> new AtomicInteger()).incrementAndGet();
        }
    };

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Before
    public void open() throws IOException {
        GogoShell.waitForScope(context, "mmu");
        shell = GogoShell.open(context);
        work = Files.createTempDirectory(Files.createDirectories(ItestSupport.workDir()), "swap-");
        context.addBundleListener(stopCounter);
    }

    @After
    public void close() {
        context.removeBundleListener(stopCounter);
        if (shell != null) {
            shell.close();
        }
    }

    // ---- refused before anything stops ---------------------------------------------------------------------

    @Test
    public void aFileThatIsNotAJarIsRefused() throws Exception {
        Path hostname = Files.writeString(work.resolve("hostname"), "localhost\n");
        String m = refusedLeavingKvmRunning("mmu:swap kvm " + hostname);
        assertTrue(m, m.contains(hostname.toString()) && m.contains("not a zip file"));
    }

    @Test
    public void aJarOfAnotherBundleIsRefusedNamingBoth() throws Exception {
        String m = refusedLeavingKvmRunning("mmu:swap kvm " + ItestSupport.bundleJar("drivers.rdma"));
        assertTrue(m, m.contains(ItestSupport.symbolicName("drivers.rdma")) && m.contains(KVM));
    }

    @Test
    public void aUrlIsRefusedWithoutBeingOpened() throws Exception {
        String m = refusedLeavingKvmRunning("mmu:swap kvm http://127.0.0.1:9/x.jar");
        assertTrue(m, m.contains("http://127.0.0.1:9/x.jar") && m.contains("only a local file"));
    }

    @Test
    public void aBundleThatIsNotADriverIsRefusedUnlessForced() throws Exception {
        Bundle configAdmin = ItestSupport.bundleBySymbolicName(context, "org.apache.felix.configadmin");
        String m = refusedLeavingKvmRunning("mmu:swap " + configAdmin.getBundleId());
        assertTrue(m, m.contains("org.apache.felix.configadmin") && m.contains("not a driver")
                && m.contains("--force"));
        assertUntouched(configAdmin, configAdmin.getLastModified());
    }

    @Test
    public void theSystemBundleAndTheCoreAreRefusedEvenForced() throws Exception {
        assertTrue(refusedLeavingKvmRunning("mmu:swap --force 0").contains("system bundle"));
        Bundle core = ItestSupport.moduleBundle(context, "core.impl");
        String m = refusedLeavingKvmRunning("mmu:swap -f " + core.getBundleId());
        assertTrue(m, m.contains("is the core"));
        assertUntouched(core, core.getLastModified());
    }

    // ---- swaps ---------------------------------------------------------------------------------------------

    @Test
    public void anUpdateFromTheDriversOwnJarSwapsIt() throws Exception {
        Bundle kvm = ItestSupport.moduleBundle(context, "drivers.kvm");
        long id = kvm.getBundleId();
        for (String jar : List.of(ItestSupport.bundleJar("drivers.kvm").toString(),
                ItestSupport.bundleJar("drivers.kvm").toUri().toString())) {
            Object swap = shell.execute("mmu:swap kvm " + jar);
            assertEquals("update", get(swap, "how"));
            assertEquals("registrations the core took back", 0L, getLong(swap, "leftBehind"));
            assertEquals(Bundle.ACTIVE, kvm.getState());
            assertEquals(id, ItestSupport.moduleBundle(context, "drivers.kvm").getBundleId());
            awaitAttached(kvm);
        }
    }

    @Test
    public void aForcedSwapRestartsOrUpdatesABundleThatIsNotADriver() throws Exception {
        Path jar = work.resolve("smoke.jar");
        try (InputStream in = ItestSupport.activatorBundle("itests.swap.smoke", SmokeActivator.class)) {
            Files.copy(in, jar);
        }
        Bundle b = context.installBundle(jar.toUri().toString());
        b.start();
        String m = refusedLeavingKvmRunning("mmu:swap " + b.getBundleId());
        assertTrue(m, m.contains("itests.swap.smoke") && m.contains("not a driver"));

        assertEquals("restart", get(shell.execute("mmu:swap --force " + b.getBundleId()), "how"));
        assertEquals(Bundle.ACTIVE, b.getState());
        assertEquals("update", get(shell.execute("mmu:swap -f " + b.getBundleId() + " " + jar), "how"));
        assertEquals(Bundle.ACTIVE, b.getState());
        assertEquals(2, stops.get(b.getBundleId()).get());
        b.uninstall();
    }

    /** Holding notifier registrations makes a bundle a driver, without the capability. */
    @Test
    public void aBundleHoldingRegistrationsIsSwappedWithoutForce() throws Exception {
        int pid = machine.spawn();
        System.setProperty(ForgetfulActivator.PID, Integer.toString(pid));
        System.setProperty(ForgetfulActivator.UNGET, "false");
        System.getProperties().put(ForgetfulActivator.LATE, new AtomicInteger());
        Bundle b;
        try (InputStream in = ItestSupport.activatorBundle("itests.swap.forgetful", ForgetfulActivator.class,
                ItestSupport.API_IMPORT)) {
            b = context.installBundle("tiny:itests.swap.forgetful", in);
        }
        b.start();
        Object swap = shell.execute("mmu:swap " + b.getBundleId());
        assertEquals("it forgot both of its registrations", 2L, getLong(swap, "leftBehind"));
        assertEquals(Bundle.ACTIVE, b.getState());
        b.uninstall();
        machine.kill(pid);
        assertEquals(0L, registry.callsIntoStoppedBundles());
    }

    /**
     * The {@link Drivers} service (the web page's swap button): a driver updated from the jar it was installed from;
     * anything else refused in one line before anything stops, with no word of the shell's --force.
     */
    @Test
    public void theDriversServiceUpdatesADriverFromItsOwnJarAndRefusesTheRest() throws Exception {
        Bundle kvm = ItestSupport.moduleBundle(context, "drivers.kvm");
        long modified = kvm.getLastModified();
        Drivers.Swap swap = drivers.update(Long.toString(kvm.getBundleId()));
        assertEquals("update", swap.how());
        assertEquals(0, swap.leftBehind());
        assertTrue(swap.bundle(), swap.bundle().startsWith(KVM + " ") && swap.bundle().endsWith(" [" + kvm.getBundleId()
                + "]"));
        assertEquals(Bundle.ACTIVE, kvm.getState());
        assertNotEquals("updated", modified, kvm.getLastModified());
        assertEquals(kvm, ItestSupport.moduleBundle(context, "drivers.kvm"));
        awaitAttached(kvm);

        Bundle configAdmin = ItestSupport.bundleBySymbolicName(context, "org.apache.felix.configadmin");
        Map<Long, Integer> before = stopCounts();
        String notADriver = refusedByDrivers(Long.toString(configAdmin.getBundleId()));
        assertTrue(notADriver, notADriver.contains("org.apache.felix.configadmin") && notADriver.contains("not a driver")
                && !notADriver.contains("--force"));
        assertTrue(refusedByDrivers("nosuch").contains("no bundle 'nosuch'"));
        assertTrue(refusedByDrivers("0").contains("system bundle"));
        assertTrue(refusedByDrivers(" ").contains("no driver named"));
        assertEquals("a refusal stopped a bundle", before, stopCounts());
    }

    /** The message of the IllegalArgumentException {@code Drivers.update(driver)} throws. */
    private String refusedByDrivers(String driver) {
        try {
            Drivers.Swap s = drivers.update(driver);
            throw new AssertionError("'" + driver + "' was swapped: " + s);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    // ---- rollback ------------------------------------------------------------------------------------------

    /** The new revision is installed but cannot resolve: the previous one is reinstalled and started. */
    @Test
    public void anUpdateThatCannotStartIsRolledBack() throws Exception {
        String m = rolledBack("unresolvable.jar", "itests.swap.no.such.pkg");
        assertTrue(m, m.contains("itests.swap.no.such.pkg"));
    }

    /** The framework refuses the new revision itself: the old one is still installed and is started. */
    @Test
    public void anUpdateTheFrameworkRefusesIsRolledBack() throws Exception {
        rolledBack("duplicate-import.jar", "org.osgi.framework,org.osgi.framework");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /**
     * Swaps KVM for a lookalike importing {@code imports}, which must fail after the stop and be rolled back: KVM
     * runs its own revision again. Returns the message.
     */
    private String rolledBack(String jarName, String imports) throws IOException {
        Path jar = kvmLookalike(jarName, imports);
        Bundle kvm = ItestSupport.moduleBundle(context, "drivers.kvm");
        String m = failed("mmu:swap kvm " + jar);
        assertTrue(m, m.contains("swap of " + KVM) && m.contains("the previous revision was started again"));
        assertRunningAsBuilt(kvm);
        return m;
    }

    /**
     * Runs {@code command}, which must be refused with a one-line message before anything stops: KVM stays
     * ACTIVE, same bundle, same revision, never stopped. Returns the message.
     */
    private String refusedLeavingKvmRunning(String command) {
        Bundle kvm = ItestSupport.moduleBundle(context, "drivers.kvm");
        long modified = kvm.getLastModified();
        Map<Long, Integer> before = stopCounts();
        String m = failed(command);
        assertEquals(command + " stopped a bundle", before, stopCounts());
        assertUntouched(kvm, modified);
        return m;
    }

    /** The one-line message of what {@code command} throws: a refusal or a failure, never a framework exception. */
    private String failed(String command) {
        Exception e = shell.refusal(command);
        assertTrue(command + " threw " + e + ", not a refusal",
                e instanceof IllegalArgumentException || e instanceof IllegalStateException);
        return e.getMessage();
    }

    private void assertUntouched(Bundle b, long lastModified) {
        assertEquals(ItestSupport.describe(b), Bundle.ACTIVE, b.getState());
        assertEquals(b + " was updated", lastModified, b.getLastModified());
        assertEquals(b + " is not the same bundle", b, ItestSupport.bundleBySymbolicName(context, b.getSymbolicName()));
    }

    private Map<Long, Integer> stopCounts() {
        Map<Long, Integer> m = new ConcurrentHashMap<>();
        stops.forEach((id, n) -> m.put(id, n.get()));
        return m;
    }

    /** KVM is ACTIVE with the revision the build made (not the lookalike) and attaches to new processes. */
    private void assertRunningAsBuilt(Bundle kvm) {
        assertEquals(ItestSupport.describe(kvm), Bundle.ACTIVE, kvm.getState());
        assertEquals(kvm, ItestSupport.moduleBundle(context, "drivers.kvm"));
        assertFalse("the lookalike's revision runs", String.valueOf(kvm.getHeaders().get("Import-Package"))
                .contains("itests.swap"));
        assertNotNull("no component descriptions: " + ItestSupport.describe(kvm),
                kvm.findEntries("OSGI-INF", "*.xml", false));
        awaitAttached(kvm);
    }

    /** KVM attaches to a process spawned now: it holds a registration on its mm. */
    private void awaitAttached(Bundle kvm) {
        int pid = machine.spawn();
        try {
            Processes processes = context.getService(context.getServiceReference(Processes.class));
            long mm = processes.mm(pid).id();
            ItestSupport.waitUntil("KVM holds a registration on mm " + mm, WAIT, () -> registry.registrations().stream()
                    .anyMatch(r -> r.bundleId() == kvm.getBundleId() && r.mmId() == mm));
        } finally {
            machine.kill(pid);
        }
    }

    /** A jar with KVM's symbolic name and nothing else of KVM's, importing {@code imports}. */
    private Path kvmLookalike(String name, String imports) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", KVM);
        a.putValue("Bundle-Version", "0.0.1");
        a.putValue("Import-Package", imports);
        Path jar = work.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            // the manifest only
        }
        return jar;
    }
}
