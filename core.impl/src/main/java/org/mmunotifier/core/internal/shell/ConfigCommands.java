package org.mmunotifier.core.internal.shell;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.TreeMap;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code mmu:config}: the machine's and the drivers' configurations, read and changed from the shell.
 * A change is bound to any bundle ({@code "?"}): ConfigAdmin's own {@code getConfiguration(pid)}
 * from the shell would bind it to the shell's bundle, and the component it is for would never see
 * it. The component checks the values it gets: a bad one is one line on the console, and changes
 * nothing.
 */
@Component(service = ConfigCommands.class, property = {"osgi.command.scope=mmu", "osgi.command.function=config"})
public final class ConfigCommands {
    static final String OURS = "org.mmunotifier.";
    private final ConfigurationAdmin admin;

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin admin) {
        this.admin = admin;
    }

    @Descriptor("list the configurations of the machine and the drivers (those not listed run with their defaults)")
    public List<String> config() throws IOException, InvalidSyntaxException {
        Configuration[] all = admin.listConfigurations("(service.pid=" + OURS + "*)");
        if (all == null) {
            return List.of("no configurations: every component runs with its defaults ('mmu:config <pid> key=value'"
                    + " sets one, e.g. mmu:config org.mmunotifier.drivers.kvm vcpus=4)");
        }
        List<String> out = new ArrayList<>();
        for (Configuration c : all) {
            out.add(c.getPid() + " " + values(c.getProperties()));
        }
        Collections.sort(out);
        return out;
    }

    @Descriptor("show one configuration")
    public String config(@Descriptor("its PID, e.g. org.mmunotifier.drivers.kvm") String pid) throws IOException,
            InvalidSyntaxException {
        Configuration[] c = admin.listConfigurations("(service.pid=" + checkPid(pid) + ")");
        return pid + " " + (c == null ? "(no configuration: the defaults apply)" : values(c[0].getProperties()));
    }

    @Descriptor("set values of a configuration; the component checks them (a bad one is reported and changes nothing)")
    public String config(@Descriptor("its PID, e.g. org.mmunotifier.drivers.kvm") String pid,
            @Descriptor("key=value ..., e.g. vcpus=4 attachAddress=0x4000_0000") String... assignments)
            throws IOException, InvalidSyntaxException {
        checkPid(pid);
        Hashtable<String, Object> changes = new Hashtable<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + a + "' is not key=value; nothing changed");
            }
            String key = a.substring(0, eq).strip();
            if (key.startsWith("service.") || key.startsWith("felix.") || key.startsWith("component.")) {
                throw new IllegalArgumentException("'" + key + "' is not a setting of " + pid + "; nothing changed");
            }
            changes.put(key, a.substring(eq + 1).strip());
        }
        Configuration c = admin.getConfiguration(pid, "?");
        Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        changes.forEach(props::put);
        c.update(props);
        return config(pid);
    }

    private static String checkPid(String pid) {
        if (!pid.startsWith(OURS) || !pid.matches("[\\w.$-]+")) {
            throw new IllegalArgumentException("'" + pid + "' is not a PID of the machine or a driver (they begin with "
                    + OURS + ")");
        }
        return pid;
    }

    /** The settings of {@code props}, without ConfigAdmin's and FileInstall's own keys. */
    private static String values(Dictionary<String, Object> props) {
        TreeMap<String, Object> m = new TreeMap<>();
        if (props != null) {
            for (String k : Collections.list(props.keys())) {
                if (!k.startsWith("service.") && !k.startsWith("felix.")) {
                    m.put(k, props.get(k));
                }
            }
        }
        return m.isEmpty() ? "(no values: the defaults apply)" : m.toString();
    }
}
