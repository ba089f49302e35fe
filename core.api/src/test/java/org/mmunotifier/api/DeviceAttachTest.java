package org.mmunotifier.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceAttachTest {
    /** Contexts are strings "pid@address"; detach of one named "gone" fails as if torn down already. */
    private static final class Attach extends DeviceAttach<String> {
        final List<String> contexts = new ArrayList<>();
        final List<String> detached = new ArrayList<>();
        RuntimeException onAttach;

        Attach(AttachRegion region) {
            super(region);
        }

        @Override
        protected void attach(int pid, MmStruct mm, AttachRegion region) {
            if (onAttach != null) {
                throw onAttach;
            }
            contexts.add(pid + "@0x" + Long.toHexString(region.address()));
        }

        @Override
        protected List<String> contextsOf(MmStruct mm) {
            return List.copyOf(contexts);
        }

        @Override
        protected void detach(String c) {
            if (c.equals("gone")) {
                throw new IllegalArgumentException("no such context");
            }
            contexts.remove(c);
            detached.add(c);
        }
    }

    @Test
    void attachesToNewProcessesAndDetachesEverythingOnExit() {
        Attach a = new Attach(new AttachRegion(true, 0x4000_0000L, 32));
        a.spawned(7, null);
        a.contexts.add("gone"); // torn down by someone else meanwhile: tolerated
        a.contexts.add("operator's");
        a.exiting(7, null);
        assertEquals(List.of("7@0x40000000", "operator's"), a.detached);
    }

    @Test
    void disabledAttachesNothingButStillCleansUpOnExit() {
        Attach a = new Attach(new AttachRegion(false, 0, 1));
        a.spawned(7, null);
        assertEquals(List.of(), a.contexts);
        a.contexts.add("operator's");
        a.exiting(7, null);
        assertEquals(List.of("operator's"), a.detached);
    }

    @Test
    void aProcessThatExitedFirstIsSkippedOtherFailuresAreNot() {
        Attach a = new Attach(new AttachRegion(true, 0, 1));
        a.onAttach = new MmDeadException("exited");
        a.spawned(7, null);
        a.onAttach = new IllegalStateException("driver is deactivated");
        assertThrows(IllegalStateException.class, () -> a.spawned(8, null));
    }

    @Test
    void badRegionsAreRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AttachRegion(true, 0, 0));
        assertEquals("attachPages=0 is out of range: 1..65536", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AttachRegion(true, 0x4000_0001L, 32));
        assertTrue(e.getMessage().startsWith("attachAddress=0x40000001 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AttachRegion(true, 0, AttachRegion.MAX_PAGES + 1));
        assertEquals("attachPages=65537 is out of range: 1..65536", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AttachRegion(true, -4096, 32));
        assertTrue(e.getMessage().startsWith("attachAddress=0xfffffffffffff000 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AttachRegion(true, Addresses.TASK_SIZE - 4096, 2));
        assertEquals("attachAddress=0x7ffffffff000 is out of range: a page-aligned address in 0x0..0x7fffffffe000"
                + " (for attachPages=2)", e.getMessage());
        assertEquals(0x4002_0000L, new AttachRegion(true, 0x4000_0000L, 32).end());
    }
}
