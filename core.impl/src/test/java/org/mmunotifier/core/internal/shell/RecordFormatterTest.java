package org.mmunotifier.core.internal.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.apache.felix.service.command.Converter;
import org.junit.jupiter.api.Test;
import org.mmunotifier.core.internal.shell.ShellRecords.Outcome;

class RecordFormatterTest {
    private final RecordFormatter f = new RecordFormatter();

    @Test
    void aListOfRecordsIsATableWithOneColumnPerComponent() {
        CharSequence t = f.format(List.of(new Outcome("pages freed", 12), new Outcome("x", 3)), Converter.INSPECT, null);
        assertEquals("what         count\npages freed  12\nx            3", t.toString());
    }

    @Test
    void oneRecordIsNameValueLinesOrOneLine() {
        Outcome o = new Outcome("pages freed", 12);
        assertEquals("what   pages freed\ncount  12", f.format(o, Converter.INSPECT, null).toString());
        assertEquals("what=pages freed count=12", f.format(o, Converter.LINE, null).toString());
    }

    @Test
    void everythingElseIsLeftToGogo() {
        assertNull(f.format("text", Converter.INSPECT, null));
        assertNull(f.format(List.of(), Converter.INSPECT, null));
        assertNull(f.format(List.of(new Outcome("a", 1), "b"), Converter.INSPECT, null));
        // one table, one header: records of two kinds are not ours to print as one
        assertNull(f.format(List.of(new Outcome("a", 1), new ShellRecords.VmaInfo("0x0", "0x1000", "rw-", "private", 1, 0)),
                Converter.INSPECT, null));
        assertNull(f.format(java.util.Map.entry("k", "v"), Converter.INSPECT, null));
    }

    @Test
    void protectionTextIsCheckedBeforeUse() {
        assertEquals(3, Prot.parse("rw"));
        assertEquals(5, Prot.parse("r-x"));
        assertEquals(0, Prot.parse("none"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Prot.parse("rwz"));
        assertEquals("malformed protection 'rwz': use none or letters of rwx", e.getMessage());
    }
}
