package org.parley.gateway.page;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.parley.gateway.browser.Browser;

/**
 * The axe-core accessibility checker (Deque, MPL-2.0; axe.min.js 4.14.1 from the npm registry, unmodified, in
 * test resources {@code axe/} with its licence), run inside the page under test. WebDriver's script injection
 * is not subject to the page's Content-Security-Policy, so the page needs no test hook.
 */
final class Axe {

    private static final String SOURCE = load();

    private Axe() {
    }

    private static String load() {
        try (InputStream in = Axe.class.getResourceAsStream("/axe/axe.min.js")) {
            if (in == null) {
                throw new IllegalStateException("axe/axe.min.js missing from test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The serious and critical violations on the page as it is now, one line each (empty when none). */
    static List<String> seriousViolations(Browser browser) {
        if (!Boolean.TRUE.equals(browser.script("return typeof window.axe === 'object';"))) {
            browser.script(SOURCE + "\nreturn true;");
        }
        List<Map<String, Object>> violations = browser.asyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v => ({"
                        + " id: v.id, impact: v.impact, help: v.help,"
                        + " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') })))"
                        + ", e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: '' }]));");
        return violations.stream()
                .filter(v -> "serious".equals(v.get("impact")) || "critical".equals(v.get("impact")))
                .map(v -> v.get("impact") + " " + v.get("id") + ": " + v.get("help") + " at " + v.get("nodes"))
                .collect(Collectors.toList());
    }
}
