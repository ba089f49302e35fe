package org.mmunotifier.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmunotifier.api.runtime.Stall;

class JsonTest {
    record Point(int x, String label, List<Double> values) {
    }

    @Test
    void writesValuesMapsListsAndRecords() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", 3L);
        m.put("ok", true);
        m.put("none", null);
        m.put("point", new Point(1, "a", Arrays.asList(0.5, Double.NaN, null)));
        m.put("kind", Stall.Kind.GRACE_PERIOD);
        m.put("array", new Object[] {1, "b"});
        assertEquals("{\"n\":3,\"ok\":true,\"none\":null,\"point\":{\"x\":1,\"label\":\"a\",\"values\":[0.5,null,null]},"
                + "\"kind\":\"GRACE_PERIOD\",\"array\":[1,\"b\"]}", Json.write(m));
    }

    @Test
    void escapesWhatWouldBreakAStringOrAPage() {
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001\\u003c/script>\\u2028\"",
                Json.write("a\"b\\c\nd\te\u0001</script>\u2028"));
    }
}
