package org.mmunotifier.core.internal.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.Addresses;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierRange;
import org.mmunotifier.api.page.PageLayout;
import org.mmunotifier.core.internal.mm.AddressSpace;
import org.mmunotifier.core.internal.mm.Machine;
import org.mmunotifier.core.internal.mm.Process;
import org.mmunotifier.core.internal.mm.Vma;

/**
 * A JVM without the jdk.jfr module (a jlinked runtime) runs the core as usual: the callbacks are
 * called, nothing throws NoClassDefFoundError, and a recording is refused in one sentence.
 */
class WithoutJfrTest {
    @Test
    void theCoreRunsWithoutJdkJfr() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        java.lang.Process p = new ProcessBuilder(java.toString(), "--limit-modules", "java.base,java.logging,java.management",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertEquals(List.of("starts 1 ends 1 releases 1",
                "record: jdk.jfr is not available (java.lang.NoClassDefFoundError: jdk/jfr/Event)"), out.lines().toList());
    }

    /** The child: an invalidation, a fault and an exit with a notifier, then a recording. */
    public static final class Main {
        public static void main(String[] args) throws IOException {
            try {
                Class.forName("jdk.jfr.Event");
                System.out.println("jdk.jfr is there");
                return;
            } catch (ClassNotFoundException expected) {
                // as it should be
            }
            long a = 0x20_0000L;
            int[] calls = new int[3];
            try (Machine machine = new Machine(16, PageLayout.BITS_64)) {
                Process proc = machine.spawn();
                AddressSpace mm = proc.mm();
                mm.mmap(a, Addresses.PAGE_SIZE, Vma.PROT_READ | Vma.PROT_WRITE, false);
                mm.register(new MmuNotifier() {
                    @Override
                    public boolean invalidateRangeStart(MmuNotifierRange range) {
                        calls[0]++;
                        return true;
                    }

                    @Override
                    public void invalidateRangeEnd(MmuNotifierRange range) {
                        calls[1]++;
                    }

                    @Override
                    public void release(org.mmunotifier.api.MmStruct mm) {
                        calls[2]++;
                    }
                });
                mm.faultRange(a, a + Addresses.PAGE_SIZE, true);
                mm.munmap(a, Addresses.PAGE_SIZE);
                proc.exit();
                System.out.println("starts " + calls[0] + " ends " + calls[1] + " releases " + calls[2]);
                try {
                    Trace.record("x", java.nio.file.Path.of("x.jfr"));
                    System.out.println("recording");
                } catch (IllegalStateException e) {
                    System.out.println("record: " + e.getMessage());
                }
            }
        }
    }
}
