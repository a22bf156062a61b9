package org.parley.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One of the runner's two lists under {@code src/test/resources}: {@code sint-exclusions.txt} (tests never
 * run because the suite or Smack itself is at fault) and {@code sint-known-failures.txt} (tests Parley fails
 * today because a server feature is missing).
 *
 * <p>One entry per line, three fields separated by {@code |}:
 * <pre>
 * Class.method | reason | specification and section
 * </pre>
 * {@code Class} is the simple (or fully qualified) name of the SINT test class; {@code Class.method@profile}
 * limits an entry to one connection profile (without it, the entry holds for every profile). Blank lines and
 * lines starting with {@code #} are ignored. Every entry must name a test that exists and give a reason and a
 * specification; a malformed, unknown or duplicate entry fails the build, so no test is excluded silently.
 */
final class ExpectationList {

    /** One list entry. {@code profile} is null when it applies to every profile. */
    record Entry(String className, String method, String profile, String reason, String spec, int line) {

        String test() {
            return className + "." + method;
        }

        String key() {
            return profile == null ? test() : test() + "@" + profile;
        }
    }

    private final String name;
    private final Map<String, Entry> entries;
    private final List<String> problems;

    private ExpectationList(String name, Map<String, Entry> entries, List<String> problems) {
        this.name = name;
        this.entries = entries;
        this.problems = problems;
    }

    /** Reads the list from the test class path; problems are collected, not thrown. */
    static ExpectationList load(String resource, SintCatalog catalog, Set<String> profiles) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        InputStream in = ExpectationList.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            problems.add(resource + ": missing (it may be empty, but it must exist)");
            return new ExpectationList(resource, entries, problems);
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String raw;
            int number = 0;
            while ((raw = reader.readLine()) != null) {
                number++;
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String where = resource + ":" + number + ": ";
                String[] fields = line.split("\\|", -1);
                if (fields.length != 3 || fields[0].isBlank() || fields[1].isBlank() || fields[2].isBlank()) {
                    problems.add(where + "expected 'Class.method | reason | spec-section', got: " + line);
                    continue;
                }
                String test = fields[0].strip();
                String profile = null;
                int at = test.indexOf('@');
                if (at >= 0) {
                    profile = test.substring(at + 1);
                    test = test.substring(0, at);
                    if (!profiles.contains(profile)) {
                        problems.add(where + "unknown connection profile '" + profile + "' (known: " + profiles + ")");
                        continue;
                    }
                }
                int dot = test.lastIndexOf('.');
                if (dot <= 0 || dot == test.length() - 1) {
                    problems.add(where + "'" + test + "' is not of the form Class.method");
                    continue;
                }
                String className = test.substring(0, dot);
                String method = test.substring(dot + 1);
                Optional<SintCatalog.TestClass> testClass = catalog.find(className);
                if (testClass.isEmpty()) {
                    problems.add(where + "no SINT test class '" + className + "'");
                    continue;
                }
                if (!testClass.get().methods().contains(method)) {
                    problems.add(where + "SINT test class " + testClass.get().name() + " has no test '" + method
                            + "' (tests: " + testClass.get().methods() + ")");
                    continue;
                }
                Entry entry = new Entry(testClass.get().name(), method, profile, fields[1].strip(), fields[2].strip(), number);
                Entry previous = entries.putIfAbsent(entry.key(), entry);
                if (previous != null) {
                    problems.add(where + entry.key() + " is already listed on line " + previous.line());
                }
            }
        } catch (IOException e) {
            problems.add(resource + ": cannot be read: " + e);
        }
        return new ExpectationList(resource, entries, problems);
    }

    String name() {
        return name;
    }

    List<String> problems() {
        return problems;
    }

    Collection<Entry> entries() {
        return entries.values();
    }

    /** The entry for this test over this profile: a profile-specific one, else one for every profile. */
    Optional<Entry> find(String profile, String className, String method) {
        Entry specific = entries.get(className + "." + method + "@" + profile);
        return Optional.ofNullable(specific != null ? specific : entries.get(className + "." + method));
    }

    Optional<Entry> find(TestOutcome outcome) {
        return find(outcome.profile(), outcome.className(), outcome.method());
    }
}
