package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.time.Duration;
import java.util.List;
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
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * Without core.impl nothing provides the CoherenceOracle: the drivers' bundles still start (they import only the
 * API), and their components wait, unsatisfied, for the oracle. Also checks that the component check of
 * {@link BundlesIT} names what is missing.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DriversWithoutCoreIT {

    private static final String ORACLE = "org.mmunotifier.api.CoherenceOracle";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return ItestSupport.frameworkWithout(List.of("core.impl"));
    }

    @Test
    public void coreImplIsNotInstalled() {
        assertFalse(ItestSupport.findBundle(context, ItestSupport.symbolicName("core.impl")).isPresent());
    }

    @Test
    public void driversStartButTheirComponentsWaitForTheCore() {
        ServiceComponentRuntime scr = ItestSupport.waitForService(context, ServiceComponentRuntime.class);
        for (String module : ItestSupport.DRIVERS) {
            Bundle driver = ItestSupport.moduleBundle(context, module);
            assertEquals(ItestSupport.describe(driver), Bundle.ACTIVE, driver.getState());
            // Every component of the driver is unsatisfied: the driver itself on the oracle, its attach
            // and command components on the driver (and the core's Processes).
            int components = scr.getComponentDescriptionDTOs(driver).size();
            ItestSupport.waitUntil(module + "'s components reported unsatisfied on " + ORACLE, Duration.ofSeconds(5),
                    () -> {
                        List<String> problems = ItestSupport.componentProblems(scr, driver);
                        return components > 0 && problems.size() == components
                                && problems.stream().allMatch(p -> p.contains("UNSATISFIED_REFERENCE"))
                                && problems.stream().anyMatch(p -> p.contains(ORACLE));
                    });
        }
        String all = ItestSupport.componentProblems(scr, ItestSupport.ourBundles(context)).stream()
                .collect(Collectors.joining("\n"));
        assertFalse("no problem reported", all.isEmpty());
    }
}
