package org.mmunotifier.core.internal.osgi;

import java.io.IOException;
import org.mmunotifier.core.internal.jfr.Trace;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The operator's JFR recording ({@code mmu:jfr}): one at a time, written when it is stopped, when
 * the core stops, or when the JVM exits. Immediate, so it outlives each shell command (the
 * commands are a delayed component, let go after every call).
 */
@Component(service = OperatorRecording.class, immediate = true)
public final class OperatorRecording {
    private Trace.Recorder recording; // guarded by this

    public synchronized String status() {
        return recording == null ? "no recording (mmu:jfr start FILE starts one)"
                : "recording to " + recording.file() + " (mmu:jfr stop writes it)";
    }

    /**
     * @throws IllegalArgumentException if {@code to} cannot be written, or this JVM cannot record
     * @throws IllegalStateException if a recording is running
     */
    public synchronized String start(String to) {
        if (recording != null) {
            throw new IllegalStateException("already recording to " + recording.file() + ": mmu:jfr stop first");
        }
        recording = Trace.record("mmu:jfr", Trace.recordingFile(to));
        return status();
    }

    /** @throws IllegalStateException if no recording runs, or it could not be written */
    public synchronized String stop() {
        if (recording == null) {
            throw new IllegalStateException("no recording to stop (mmu:jfr start FILE starts one)");
        }
        Trace.Recorder r = recording;
        recording = null;
        try {
            r.stop();
        } catch (IOException e) {
            throw new IllegalStateException("the recording could not be written to " + r.file() + ": " + e.getMessage(),
                    e);
        }
        return Trace.written(r.file());
    }

    @Deactivate
    synchronized void deactivate() {
        if (recording != null) {
            System.out.println("[mmu] " + stop());
        }
    }
}
