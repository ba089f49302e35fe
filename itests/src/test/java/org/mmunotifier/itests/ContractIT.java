package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.mmunotifier.api.runtime.MachineControl;
import org.mmunotifier.api.runtime.NotifierRegistry;
import org.mmunotifier.api.runtime.Registration;
import org.mmunotifier.itests.tiny.ContractActivator;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceReference;

/**
 * A third-party driver bundle chooses the kernel contract it is written against with
 * {@code Require-Capability: org.mmunotifier.contract}: its registrations get that contract
 * (shown by the registry and {@code mmu:notifiers}), the primary calls exactly that kernel's
 * callbacks, an unknown contract leaves the bundle unresolved with the capability named, and a
 * violation by its device is charged to the bundle.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ContractIT {
    private static final String NAMESPACE = "org.mmunotifier.contract";

    @Inject
    private BundleContext context;

    @Inject
    private MachineControl machine;

    @Inject
    private NotifierRegistry registry;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    private Bundle install(String bsn, String contract) throws Exception {
        Map<String, String> headers = contract == null ? Map.of()
                : Map.of("Require-Capability", NAMESPACE + ";filter:=\"(" + NAMESPACE + "=" + contract + ")\"");
        try (InputStream jar = ItestSupport.tinyBundle(bsn, headers, ContractActivator.class, List.of(),
                ItestSupport.API_IMPORT)) {
            return context.installBundle("tinybundles:" + bsn, jar);
        }
    }

    @Test
    public void eachBundleHearsTheCallbacksOfTheKernelItRequires() throws Exception {
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        System.getProperties().put(ContractActivator.CALLS, calls);
        int pid = machine.spawn();
        System.setProperty(ContractActivator.PID, Integer.toString(pid));
        Map<String, Bundle> bundles = new TreeMap<>();
        try (GogoShell shell = GogoShell.open(context); LogCapture log = LogCapture.of("", false)) {
            bundles.put("seed", install("itests.contract.seed", "seed"));
            bundles.put("2.6.27", install("itests.contract.old", "2.6.27"));
            bundles.put("6.x", install("itests.contract.plain", null)); // no requirement: today's kernel
            for (Bundle b : bundles.values()) {
                b.start();
            }
            Map<String, String> contractOf = new TreeMap<>();
            for (Registration r : registry.registrations()) {
                bundles.forEach((c, b) -> {
                    if (b.getBundleId() == r.bundleId()) {
                        contractOf.put(b.getSymbolicName(), r.contract());
                    }
                });
            }
            assertEquals(Map.of("itests.contract.seed", "seed", "itests.contract.old", "2.6.27",
                    "itests.contract.plain", "6.x"), contractOf);

            shell.execute("mmu:migrate " + pid + " 0x40001000"); // a page operation (compaction)
            shell.execute("mmu:unmap " + pid + " 0x40000000 0x1000"); // a range operation
            Map<String, Integer> seen = new TreeMap<>();
            calls.forEach((k, v) -> seen.put(k, v.get()));
            assertEquals(new TreeMap<>(Map.of(
                    "itests.contract.seed invalidate_page", 1,
                    "itests.contract.seed invalidate_range", 1,
                    "itests.contract.old invalidate_page", 1,
                    "itests.contract.old invalidate_range_start", 1,
                    "itests.contract.plain invalidate_range_start", 2,
                    "itests.contract.plain arch_invalidate_secondary_tlbs", 2)), seen);

            // Each reads through the translation it kept of the page just unmapped: three violations,
            // each charged to its bundle, however the device calls itself.
            for (Bundle b : bundles.values()) {
                ServiceReference<Runnable> ref = ItestSupport.waitForServiceReference(context, Runnable.class,
                        "(" + ContractActivator.MARKER + "=" + b.getSymbolicName() + ")", java.time.Duration.ofSeconds(5));
                context.getService(ref).run();
                String mine = String.valueOf(shell.execute("mmu:violations " + b.getBundleId()));
                assertTrue(mine, mine.contains(b.getSymbolicName() + " 1.0.0 [" + b.getBundleId() + "]"));
                assertTrue(mine, mine.contains("USE_AFTER_FREE"));
                // Its whole report: the access made from the bundle's own class, the unmap it was told of.
                String number = mine.substring(mine.indexOf('#') + 1, mine.indexOf(' ', mine.indexOf('#')));
                String report = String.valueOf(shell.execute("mmu:violation " + number));
                assertTrue(report, report.startsWith("violation #" + number + ": USE_AFTER_FREE by "
                        + b.getSymbolicName()));
                assertTrue(report, report.contains("at " + ContractActivator.class.getName()));
                assertTrue(report, report.contains(" UNMAP [0x"));
                // The same through MachineControl, as the web page reads them.
                assertTrue(machine.recentViolations().toString(), machine.recentViolations().stream().anyMatch(
                        l -> l.startsWith("#" + number + " " + b.getSymbolicName() + " 1.0.0 [")));
                assertEquals(report, machine.violationReport(Long.parseLong(number)));
            }
            List<String> warnings = log.warnings();
            String plain = warnings.stream().filter(w -> w.contains("itests.contract.plain")).collect(Collectors.joining("\n"));
            assertTrue("a 6.x notifier filling in callbacks 6.x never calls is warned about: " + warnings,
                    plain.contains("implements invalidate_page and invalidate_range, which the 6.x contract never calls"));
        } finally {
            for (Bundle b : bundles.values()) {
                b.uninstall();
            }
            machine.kill(pid);
        }
    }

    @Test
    public void aContractNobodyProvidesLeavesTheBundleUnresolvedAndSaysWhich() throws Exception {
        Bundle b = install("itests.contract.future", "7.x");
        try {
            b.start();
            fail("a bundle requiring contract 7.x started");
        } catch (BundleException e) {
            assertNotNull(e.getMessage());
            assertTrue(e.getMessage(), e.getMessage().contains(NAMESPACE) && e.getMessage().contains("7.x"));
        } finally {
            b.uninstall();
        }
        assertEquals(0, registry.registrations().stream().filter(r -> r.bundle().contains("itests.contract.future"))
                .count());
    }
}
