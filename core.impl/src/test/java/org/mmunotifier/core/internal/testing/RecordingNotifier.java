package org.mmunotifier.core.internal.testing;

import java.util.ArrayList;
import java.util.List;
import org.mmunotifier.api.MmStruct;
import org.mmunotifier.api.MmuNotifier;
import org.mmunotifier.api.MmuNotifierContract;
import org.mmunotifier.api.MmuNotifierRange;

/** Records every call it receives, in order, as short strings. */
public class RecordingNotifier implements MmuNotifier {
    private final List<String> calls = new ArrayList<>();
    public volatile boolean refuseNonBlocking;
    public volatile boolean young;
    /** The contract it declares; null: its owner's, else 6.x. */
    public volatile MmuNotifierContract contract;

    public RecordingNotifier() {
    }

    public RecordingNotifier(MmuNotifierContract contract) {
        this.contract = contract;
    }

    @Override
    public MmuNotifierContract contract() {
        return contract;
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    public synchronized void clear() {
        calls.clear();
    }

    public synchronized void record(String call) {
        calls.add(call);
    }

    public static String range(MmuNotifierRange r) {
        return r.event() + " 0x" + Long.toHexString(r.start()) + "-0x" + Long.toHexString(r.end());
    }

    @Override
    public void release(MmStruct mm) {
        record("release");
    }

    @Override
    public boolean agePage(MmStruct mm, long address) {
        record("age 0x" + Long.toHexString(address));
        return young;
    }

    @Override
    public void invalidatePage(MmStruct mm, long address) {
        record("page 0x" + Long.toHexString(address));
    }

    @Override
    public void invalidateRange(MmStruct mm, long start, long end, boolean atomic) {
        record("range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + (atomic ? " atomic" : ""));
    }

    @Override
    public boolean invalidateRangeStart(MmuNotifierRange range) {
        if (refuseNonBlocking && !range.isBlockable()) {
            record("refuse " + range(range));
            return false;
        }
        record("start " + range(range));
        return true;
    }

    @Override
    public void invalidateRangeEnd(MmuNotifierRange range) {
        record("end " + range(range));
    }

    @Override
    public void archInvalidateSecondaryTlbs(MmStruct mm, long start, long end) {
        record("tlb 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
    }

    @Override
    public boolean clearYoung(MmStruct mm, long start, long end) {
        record("clear_young 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end));
        return young;
    }

    @Override
    public boolean testYoung(MmStruct mm, long address) {
        record("test_young 0x" + Long.toHexString(address));
        return young;
    }
}
