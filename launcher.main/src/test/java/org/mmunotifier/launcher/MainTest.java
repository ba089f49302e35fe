package org.mmunotifier.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    @Test
    void badOptionsEndWithOneLineAndStatus2BeforeAnythingBoots() {
        Captured c = capture(() -> Main.check(List.of("--scenario", "demo", "--seconds", "ten"), dir));
        assertEquals(2, c.status);
        assertEquals("error: seconds must be a number, not 'ten'\n", c.err);
        assertTrue(Files.notExists(dir.resolve(InstanceLock.FILE)), "a refused run takes no lock");
    }

    @Test
    void helpPrintsTheOptionsAndStatus0() {
        Captured c = capture(() -> Main.check(List.of("--help"), dir));
        assertEquals(0, c.status);
        assertTrue(c.out.startsWith("java -jar mmunotifier.jar [--scenario demo|hotswap]"), c.out);
        assertEquals("", c.err);
    }

    @Test
    void aSecondLauncherInTheSameDirectoryIsRefusedNamingTheFirstOnesPid() throws Exception {
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), LockHolder.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            Captured c = capture(() -> Main.check(List.of(), dir));
            assertEquals(Main.EXIT_LOCKED, c.status);
            assertTrue(c.err.startsWith("error: another mmunotifier launcher (pid " + holder.pid() + " since "), c.err);
            assertTrue(c.err.contains("is running in " + dir), c.err);
            assertEquals(1, c.err.lines().count(), c.err);
        } finally {
            holder.getOutputStream().close();
            if (!holder.waitFor(10, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
        // The OS dropped the lock with the holder: the file left behind does not block a start.
        assertTrue(Files.exists(dir.resolve(InstanceLock.FILE)));
        Captured c = capture(() -> Main.check(List.of(), dir));
        assertEquals(-1, c.status, c.err);
        assertEquals("pid " + ProcessHandle.current().pid(),
                Files.readString(dir.resolve(InstanceLock.FILE)).split(" since ")[0]);
    }

    private record Captured(int status, String out, String err) {
    }

    private static Captured capture(java.util.function.IntSupplier run) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int status = run.getAsInt();
            return new Captured(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
