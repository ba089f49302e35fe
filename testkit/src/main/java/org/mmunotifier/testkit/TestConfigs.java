package org.mmunotifier.testkit;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.util.Map;

/** Configurations as SCR hands them to a component: the defaults, with some values set. */
public final class TestConfigs {
    private TestConfigs() {
    }

    /**
     * @param type a component property type (an annotation whose elements have defaults)
     * @param values the elements set, by name; the others answer their default
     * @throws UnsupportedOperationException from an element that is neither set nor has a default
     */
    public static <A extends Annotation> A of(Class<A> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (values.containsKey(m.getName())) {
                return values.get(m.getName());
            }
            if (m.getDefaultValue() == null) {
                throw new UnsupportedOperationException(m.getName());
            }
            return m.getDefaultValue();
        }));
    }
}
