package org.mmunotifier.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
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
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** TinyBundles works inside the framework: build a bundle in the test, install, start, stop, uninstall. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TinyBundleIT {

    private static final String BSN = "itests.tiny.smoke";
    private static final String ACTIVATED = "(" + SmokeActivator.MARKER + "=activated)";

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return ItestSupport.framework();
    }

    @Test
    public void buildInstallStartUninstall() throws Exception {
        Bundle b;
        try (InputStream jar = ItestSupport.activatorBundle(BSN, SmokeActivator.class)) {
            b = context.installBundle("tinybundles:" + BSN, jar);
        }
        assertEquals(BSN, b.getSymbolicName());
        assertEquals(SmokeActivator.class.getName(), b.getHeaders().get(Constants.BUNDLE_ACTIVATOR));
        assertTrue("the built bundle holds the activator class",
                b.getEntry(SmokeActivator.class.getName().replace('.', '/') + ".class") != null);

        b.start();
        assertEquals(ItestSupport.describe(b), Bundle.ACTIVE, b.getState());
        ServiceReference<Runnable> ref =
                ItestSupport.waitForServiceReference(context, Runnable.class, ACTIVATED, Duration.ofSeconds(5));
        assertEquals("registered by the built bundle", b.getBundleId(), ref.getBundle().getBundleId());
        assertEquals("activator class loaded from the built bundle", b.getBundleId(),
                ((Long) ref.getProperty(SmokeActivator.LOADED_FROM)).longValue());

        b.stop();
        assertTrue("the activator's service is gone once stopped",
                context.getServiceReferences(Runnable.class, ACTIVATED).isEmpty());

        b.uninstall();
        assertEquals(Bundle.UNINSTALLED, b.getState());
        assertFalse("uninstalled bundle still listed", ItestSupport.findBundle(context, BSN).isPresent());
    }
}
