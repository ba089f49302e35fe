package org.mmunotifier.launcher.connect;

import java.io.File;
import java.net.URL;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.connect.ConnectModule;
import org.osgi.framework.connect.ModuleConnector;

/**
 * Gives the framework the bundles the bnd launcher embeds in the executable jar.
 *
 * <p>The launcher installs them with a path inside its jar as location ({@code jar/drivers.kvm-….jar}), which is
 * not a URL: a plain {@code Bundle.update()} (Gogo's {@code update <id>}) made Felix open that location and fail
 * with "no protocol". On the {@code -runpath}, this connector is found by the launcher, which then starts the
 * framework in OSGi Connect mode: the framework asks {@link #connect} for the content of every location it installs
 * or updates from, and gets the embedded jar, read afresh each time. Locations that are URLs ({@code file:},
 * {@code reference:}, what FileInstall installs) are left to the framework.
 */
public final class EmbeddedBundles implements ModuleConnector {
    private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private final ClassLoader loader;

    /** The connector the launcher loads (ServiceLoader): embedded jars are resources of its class path. */
    public EmbeddedBundles() {
        this(EmbeddedBundles.class.getClassLoader());
    }

    /** A connector finding embedded jars as resources of {@code loader}. */
    EmbeddedBundles(ClassLoader loader) {
        this.loader = loader;
    }

    @Override
    public void initialize(File storage, Map<String, String> configuration) {
        // nothing kept: every install and update reads the jar again
    }

    @Override
    public Optional<ConnectModule> connect(String location) {
        if (URL_SCHEME.matcher(location).find()) {
            return Optional.empty();
        }
        URL jar = loader.getResource(location);
        return jar == null ? Optional.empty() : Optional.of(() -> JarContent.read(jar));
    }

    @Override
    public Optional<BundleActivator> newBundleActivator() {
        return Optional.empty();
    }
}
