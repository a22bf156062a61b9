package org.parley.conformance;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.igniterealtime.smack.inttest.AbstractSmackIntTest;
import org.igniterealtime.smack.inttest.AbstractSmackIntegrationTest;
import org.igniterealtime.smack.inttest.AbstractSmackLowLevelIntegrationTest;
import org.igniterealtime.smack.inttest.annotations.SmackIntegrationTest;
import org.igniterealtime.smack.inttest.annotations.SpecificationReference;
import org.reflections.Reflections;
import org.reflections.scanners.SubTypesScanner;

/**
 * Every test the Smack Integration Test Framework would run, found with the same scan SINT does itself
 * (org.reflections over the same packages, abstract classes and SINT's own unit-test fixtures left out).
 * Tests are named {@code SimpleClassName.method}; the scan checks that simple names are unique.
 */
final class SintCatalog {

    /** The packages SINT 4.5 scans when no test package is configured. */
    static final String[] TEST_PACKAGES = {
        "org.jivesoftware.smackx", "org.jivesoftware.smack", "org.igniterealtime.smackx", "org.igniterealtime.smack",
    };

    private static final String SINT_UNIT_TEST_PACKAGE = "org.igniterealtime.smack.inttest.unittest";

    /** One SINT test class and its {@code @SmackIntegrationTest} methods (sorted by name). */
    record TestClass(Class<? extends AbstractSmackIntTest> type, List<String> methods, String specification,
                     Map<String, String> sections) {

        String name() {
            return type.getSimpleName();
        }

        boolean lowLevel() {
            return AbstractSmackLowLevelIntegrationTest.class.isAssignableFrom(type);
        }

        /** "XEP-0045 §7.2.5", "RFC6121 §3.1.2", "XEP-0199", or "-" when SINT names no specification. */
        String specificationOf(String method) {
            String section = sections.getOrDefault(method, "");
            if (specification.isEmpty()) {
                return section.isEmpty() ? "-" : "§" + section;
            }
            return section.isEmpty() ? specification : specification + " §" + section;
        }
    }

    private final List<TestClass> classes;
    private final Map<String, TestClass> byName = new HashMap<>();

    private SintCatalog(List<TestClass> classes) {
        this.classes = List.copyOf(classes);
        for (TestClass c : classes) {
            byName.put(c.name(), c);
            byName.put(c.type().getName(), c);
        }
    }

    static SintCatalog scan() {
        Reflections reflections = new Reflections(concat(TEST_PACKAGES, new SubTypesScanner()));
        Set<Class<? extends AbstractSmackIntTest>> found = new TreeSet<>(Comparator.comparing(Class::getName));
        found.addAll(reflections.getSubTypesOf(AbstractSmackIntegrationTest.class));
        found.addAll(reflections.getSubTypesOf(AbstractSmackLowLevelIntegrationTest.class));

        List<TestClass> classes = new ArrayList<>();
        Map<String, Class<?>> simpleNames = new HashMap<>();
        for (Class<? extends AbstractSmackIntTest> type : found) {
            if (Modifier.isAbstract(type.getModifiers()) || type.getName().startsWith(SINT_UNIT_TEST_PACKAGE)) {
                continue;
            }
            Set<String> methods = new TreeSet<>();
            Map<String, String> sections = new HashMap<>();
            for (Method method : type.getMethods()) {
                SmackIntegrationTest annotation = method.getAnnotation(SmackIntegrationTest.class);
                if (annotation != null) {
                    methods.add(method.getName());
                    sections.put(method.getName(), annotation.section().trim());
                }
            }
            if (methods.isEmpty()) {
                continue;
            }
            Class<?> clash = simpleNames.put(type.getSimpleName(), type);
            if (clash != null) {
                throw new IllegalStateException("Two SINT test classes share the simple name " + type.getSimpleName()
                        + " (" + clash.getName() + ", " + type.getName() + "); the runner's lists need unique names");
            }
            SpecificationReference spec = type.getAnnotation(SpecificationReference.class);
            String specification = spec == null ? "" : spec.document().trim();
            classes.add(new TestClass(type, List.copyOf(methods), specification, Map.copyOf(sections)));
        }
        classes.sort(Comparator.comparing(TestClass::name));
        return new SintCatalog(classes);
    }

    List<TestClass> classes() {
        return classes;
    }

    int testCount() {
        return classes.stream().mapToInt(c -> c.methods().size()).sum();
    }

    /** The class with this simple or fully qualified name. */
    Optional<TestClass> find(String className) {
        return Optional.ofNullable(byName.get(className));
    }

    /** Whether {@code Class.method} (simple or qualified class name) is a test of the suite. */
    boolean contains(String className, String method) {
        return find(className).map(c -> c.methods().contains(method)).orElse(false);
    }

    /** Test classes by simple name, in order (for reports). */
    Map<String, TestClass> byName() {
        Map<String, TestClass> result = new LinkedHashMap<>();
        classes.forEach(c -> result.put(c.name(), c));
        return Collections.unmodifiableMap(result);
    }

    private static Object[] concat(String[] packages, Object scanner) {
        Object[] result = new Object[packages.length + 1];
        System.arraycopy(packages, 0, result, 0, packages.length);
        result[packages.length] = scanner;
        return result;
    }
}
