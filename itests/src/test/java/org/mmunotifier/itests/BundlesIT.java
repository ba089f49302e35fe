package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.mmunotifier.itests.ItestSupport.moduleBundle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/** The reactor's bundles on Felix: all start, export what they should, and their DS components come up. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundlesIT {

    /** How long DS gets to settle before the component check reports what is still not satisfied. */
    private static final Duration DS_SETTLE = Duration.ofSeconds(3);

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Test
    public void everyModuleIsInstalled() {
        for (String module : ItestSupport.MODULES) {
            Bundle b = moduleBundle(context, module);
            assertEquals("location of " + module, ItestSupport.bundleLocation(module), b.getLocation());
        }
    }

    @Test
    public void everyBundleIsActive() {
        List<String> notActive = Arrays.stream(context.getBundles())
                .filter(b -> b.getState() != Bundle.ACTIVE)
                .map(ItestSupport::describe)
                .collect(Collectors.toList());
        assertTrue("bundles not ACTIVE: " + notActive, notActive.isEmpty());
    }

    @Test
    public void coreApiExportsExactlyTheApiPackagesAtTheirVersions() {
        Bundle api = moduleBundle(context, "core.api");
        assertNotNull("core.api has an Export-Package header", api.getHeaders().get(Constants.EXPORT_PACKAGE));
        Map<String, String> exported = new TreeMap<>();
        for (BundleCapability cap : api.adapt(BundleRevision.class).getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
            String pkg = (String) cap.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
            String version = String.valueOf(cap.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE));
            String previous = exported.put(pkg, version);
            assertNull("core.api exports " + pkg + " twice (" + previous + ", " + version + ")", previous);
        }
        // org.mmunotifier.api.runtime (the runtime's management API) came with the core's DS components.
        // 2.0.0: per-contract callbacks (a 6.x notifier no longer hears invalidate_page) and the oracle's
        // device handles replaced the 1.0 string API (issue 11). 2.1.0: DeviceCountersProvider (issue 12). 2.2.0: ConfigValues (issue 13).
        // 2.3.0: DeviceEngines (issue 14).
        // runtime 2.1.0: Drivers (swapping a driver) and MachineControl.violationReport, for the web page (issue 13).
        Map<String, String> expected = new TreeMap<>(Map.of(
                "org.mmunotifier.api", "2.3.0",
                "org.mmunotifier.api.page", "1.0.0",
                "org.mmunotifier.api.runtime", "2.1.0"));
        assertEquals("core.api Export-Package (package=version); header: "
                + api.getHeaders().get(Constants.EXPORT_PACKAGE), expected, exported);
    }

    @Test
    public void coreImplAndDriversExportNothing() {
        List<String> exporting = new ArrayList<>();
        for (String module : List.of("core.impl", "drivers.kvm", "drivers.rdma", "drivers.gru")) {
            String header = moduleBundle(context, module).getHeaders().get(Constants.EXPORT_PACKAGE);
            if (header != null) {
                exporting.add(module + ": Export-Package: " + header);
            }
        }
        assertTrue("bundles that must export nothing do: " + exporting, exporting.isEmpty());
    }

    @Test
    public void everyDriverDeclaresComponents() {
        ServiceComponentRuntime scr = ItestSupport.waitForService(context, ServiceComponentRuntime.class);
        for (String module : ItestSupport.DRIVERS) {
            Bundle b = moduleBundle(context, module);
            assertFalse(module + " has no DS component (Service-Component: "
                    + b.getHeaders().get("Service-Component") + ")",
                    scr.getComponentDescriptionDTOs(b).isEmpty());
        }
    }

    /**
     * The component problems, but for the operator log's two components, which wait for a LogService
     * (the launcher has Felix Log; this framework has none) and for nothing else.
     */
    private static List<String> problemsButTheOperatorLog(ServiceComponentRuntime scr, Bundle[] ours) {
        return ItestSupport.componentProblems(scr, ours).stream().filter(p -> !(p.startsWith(
                "org.mmunotifier.core.internal.log.") && p.contains("UNSATISFIED_REFERENCE") && p.replaceAll(
                "\\$\\d+ \\((org\\.osgi\\.service\\.log\\.[\\w.]+|org\\.mmunotifier\\.core\\.internal\\.log\\.OperatorLog), 1\\.\\.1\\)",
                "").matches("[^(]*"))).toList();
    }

    /**
     * Every DS component of our bundles is ACTIVE or SATISFIED: nothing left waiting for a reference or a
     * configuration, nothing that failed to activate, nothing disabled.
     */
    @Test
    public void everyComponentOfOurBundlesIsSatisfied() {
        ServiceComponentRuntime scr = ItestSupport.waitForService(context, ServiceComponentRuntime.class);
        Bundle[] ours = ItestSupport.ourBundles(context);
        assertTrue("none of our bundles is installed: " + ItestSupport.describeBundles(context), ours.length > 0);
        assertFalse("SCR sees no component in our bundles",
                scr.getComponentDescriptionDTOs(ours).isEmpty());

        // DS may still be activating when the test starts: give it a moment, then report what is still wrong.
        List<String> problems = problemsButTheOperatorLog(scr, ours);
        long deadline = System.nanoTime() + DS_SETTLE.toNanos();
        while (!problems.isEmpty() && System.nanoTime() - deadline < 0) {
            ItestSupport.sleep(50);
            problems = problemsButTheOperatorLog(scr, ours);
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " DS component(s) of our bundles not ACTIVE or SATISFIED:\n  "
                    + String.join("\n  ", problems));
        }
    }
}
