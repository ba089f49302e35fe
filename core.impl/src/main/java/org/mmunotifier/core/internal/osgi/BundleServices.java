package org.mmunotifier.core.internal.osgi;

import java.util.List;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifiers;
import org.mmunotifier.api.MmuRmapNotifier;
import org.mmunotifier.api.Processes;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.Machine;
import org.osgi.framework.Bundle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * The core's services as one bundle sees them: one instance per using bundle. When a stopping
 * bundle's last use of it is released, the core takes back whatever that bundle left registered
 * (see {@link BundleOwners}).
 */
@Component(service = {MmuNotifiers.class, Processes.class}, scope = ServiceScope.BUNDLE)
public final class BundleServices implements MmuNotifiers, Processes {
    private final Machine machine;
    private final BundleOwners owners;
    private final Bundle user;

    @Activate
    public BundleServices(@Reference MachineService machine, @Reference BundleOwners owners, ComponentContext context) {
        this.machine = machine.machine();
        this.owners = owners;
        this.user = context.getUsingBundle();
    }

    @Deactivate
    void deactivate() {
        owners.released(user);
    }

    @Override
    public MmStruct mm(int pid) {
        return machine.mm(pid);
    }

    @Override
    public List<Integer> pids() {
        return machine.pids();
    }

    @Override
    public PageLayout pageLayout() {
        return machine.notifierCore().pageLayout();
    }

    @Override
    public boolean isCompiledIn() {
        return machine.notifierCore().isCompiledIn();
    }

    @Override
    public void registerRmap(MmuRmapNotifier notifier) {
        machine.notifierCore().registerRmap(notifier);
    }

    @Override
    public void unregisterRmap(MmuRmapNotifier notifier) {
        machine.notifierCore().unregisterRmap(notifier);
    }

    @Override
    public void synchronize() {
        machine.notifierCore().synchronize();
    }
}
