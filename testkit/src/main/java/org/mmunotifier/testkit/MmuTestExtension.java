package org.mmunotifier.testkit;

import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Resolves {@link TestMachine} parameters: one machine per test method (shared by its
 * {@code @BeforeEach}), made to the nearest {@link MmuTest}'s settings, closed when the test ends.
 */
public final class MmuTestExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MmuTestExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestMachine.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("a TestMachine is made per test: ask for it in a test method or"
                    + " @BeforeEach, not in " + parameter.getDeclaringExecutable());
        }
        return context.getStore(NS).getOrComputeIfAbsent(Holder.class, k -> new Holder(settings(context)), Holder.class)
                .machine;
    }

    private static MmuTest settings(ExtensionContext context) {
        return find(context.getTestMethod()).or(() -> find(context.getTestClass()))
                .orElseThrow(() -> new ParameterResolutionException("no @MmuTest on " + context.getDisplayName()));
    }

    private static Optional<MmuTest> find(Optional<? extends AnnotatedElement> element) {
        return element.flatMap(e -> AnnotationSupport.findAnnotation(e, MmuTest.class));
    }

    /** Closed by JUnit when the test's store goes. */
    private static final class Holder implements ExtensionContext.Store.CloseableResource {
        final TestMachine machine;

        Holder(MmuTest settings) {
            this.machine = TestMachine.create(TestMachine.settings().frames(settings.frames())
                    .layoutBits(settings.layoutBits()).contract(settings.contract()).strict(settings.strict())
                    .driver(settings.driver()));
        }

        @Override
        public void close() {
            machine.close();
        }
    }
}
