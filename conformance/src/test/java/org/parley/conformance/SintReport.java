package org.parley.conformance;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.parley.conformance.TestOutcome.Status;

/**
 * Judges a run's outcomes against the two lists and renders the reports: the console table, the Markdown
 * report ({@code target/sint-report.md}) and one line per test ({@code target/sint-results.txt}).
 */
final class SintReport {

    /** How an outcome stands against the lists. */
    enum Verdict {
        /** Passed, not listed. */
        OK,
        /** Failed and listed in sint-known-failures.txt. */
        KNOWN_FAILURE,
        /** Failed and not listed: breaks the build. */
        UNEXPECTED_FAILURE,
        /** Passed although listed as a known failure: breaks the build until the entry is removed. */
        NOW_PASSING,
        /** Failed in its class's run but passed alone: reported, does not break the build. */
        FLAKY,
        /** SINT found the test not possible here (a feature the test needs is not advertised). */
        SKIPPED,
        /** Never run, listed in sint-exclusions.txt. */
        EXCLUDED
    }

    record Judged(TestOutcome outcome, Verdict verdict, Optional<ExpectationList.Entry> entry) {
    }

    private record Counts(int passed, int flaky, int failed, int known, int skipped, int excluded) {
        static final Counts ZERO = new Counts(0, 0, 0, 0, 0, 0);

        int total() {
            return passed + flaky + failed + skipped + excluded;
        }

        Counts plus(Counts o) {
            return new Counts(passed + o.passed, flaky + o.flaky, failed + o.failed, known + o.known,
                    skipped + o.skipped, excluded + o.excluded);
        }
    }

    private final List<Judged> judged = new ArrayList<>();
    private final SintCatalog catalog;
    private final Duration duration;
    private final String header;

    SintReport(List<TestOutcome> outcomes, SintCatalog catalog, ExpectationList exclusions,
               ExpectationList knownFailures, Duration duration, String header) {
        this.catalog = catalog;
        this.duration = duration;
        this.header = header;
        for (TestOutcome o : outcomes) {
            Optional<ExpectationList.Entry> known = knownFailures.find(o);
            Verdict verdict = switch (o.status()) {
                case PASSED -> known.isPresent() ? Verdict.NOW_PASSING : Verdict.OK;
                case FAILED -> known.isPresent() ? Verdict.KNOWN_FAILURE : Verdict.UNEXPECTED_FAILURE;
                // A known failure that failed in its class run and passed alone has not been fixed: only a
                // clean pass ratchets the list down, so an intermittent test cannot break the build.
                case FLAKY -> known.isPresent() ? Verdict.KNOWN_FAILURE : Verdict.FLAKY;
                case SKIPPED -> Verdict.SKIPPED;
                case EXCLUDED -> Verdict.EXCLUDED;
            };
            Optional<ExpectationList.Entry> entry = o.status() == Status.EXCLUDED ? exclusions.find(o) : known;
            judged.add(new Judged(o, verdict, entry));
        }
    }

    List<Judged> with(Verdict verdict) {
        return judged.stream().filter(j -> j.verdict() == verdict).toList();
    }

    /** Why the build must fail; empty when the run conforms to the lists. */
    List<String> violations() {
        List<String> violations = new ArrayList<>();
        for (Judged j : with(Verdict.UNEXPECTED_FAILURE)) {
            violations.add(j.outcome().key() + " FAILED and is in neither list: " + j.outcome().reason());
        }
        for (Judged j : with(Verdict.NOW_PASSING)) {
            violations.add(j.outcome().key() + " PASSES now: remove it from sint-known-failures.txt (line "
                    + j.entry().map(ExpectationList.Entry::line).orElse(0) + ")");
        }
        return violations;
    }

    private Counts count(List<Judged> list) {
        int passed = 0, flaky = 0, failed = 0, known = 0, skipped = 0, excluded = 0;
        for (Judged j : list) {
            switch (j.outcome().status()) {
                case PASSED -> passed++;
                case FLAKY -> flaky++;
                case FAILED -> {
                    failed++;
                    if (j.verdict() == Verdict.KNOWN_FAILURE) {
                        known++;
                    }
                }
                case SKIPPED -> skipped++;
                case EXCLUDED -> excluded++;
            }
        }
        return new Counts(passed, flaky, failed, known, skipped, excluded);
    }

    /** Outcomes per profile, then per test class (in catalog order). */
    private Map<String, Map<String, List<Judged>>> byProfileAndClass() {
        Map<String, Map<String, List<Judged>>> result = new LinkedHashMap<>();
        for (Judged j : judged) {
            result.computeIfAbsent(j.outcome().profile(), p -> new LinkedHashMap<>())
                    .computeIfAbsent(j.outcome().className(), c -> new ArrayList<>()).add(j);
        }
        return result;
    }

    private Counts totals() {
        return count(judged);
    }

    String totalsLine() {
        Counts t = totals();
        return String.format("%d tests: %d passed, %d flaky (passed alone), %d failed (%d known, %d unexpected), "
                        + "%d skipped, %d excluded; %d known failure(s) now pass; %s",
                t.total(), t.passed(), t.flaky(), t.failed(), t.known(), t.failed() - t.known(), t.skipped(),
                t.excluded(), with(Verdict.NOW_PASSING).size(), formatDuration(duration));
    }

    /** The plain-text table printed at the end of the build. */
    String console() {
        StringBuilder sb = new StringBuilder();
        sb.append("\n==== Smack Integration Test Framework against Parley ====\n").append(header).append('\n');
        for (Map.Entry<String, Map<String, List<Judged>>> profile : byProfileAndClass().entrySet()) {
            sb.append("\nConnection profile ").append(profile.getKey()).append('\n');
            String row = "%-58s %6s %5s %6s %6s %7s %8s%n";
            sb.append(String.format(row, "test class", "passed", "flaky", "failed", "known", "skipped", "excluded"));
            Counts sum = Counts.ZERO;
            for (Map.Entry<String, List<Judged>> cls : profile.getValue().entrySet()) {
                Counts c = count(cls.getValue());
                sum = sum.plus(c);
                sb.append(String.format(row, cls.getKey(), c.passed(), c.flaky(), c.failed(), c.known(), c.skipped(),
                        c.excluded()));
            }
            sb.append(String.format(row, "TOTAL (" + sum.total() + " tests)", sum.passed(), sum.flaky(), sum.failed(),
                    sum.known(), sum.skipped(), sum.excluded()));
        }
        sb.append('\n').append(totalsLine()).append('\n');
        appendPlain(sb, "UNEXPECTED FAILURES (fix Parley, or list them)", with(Verdict.UNEXPECTED_FAILURE), true);
        appendPlain(sb, "KNOWN FAILURES NOW PASSING (remove them from sint-known-failures.txt)", with(Verdict.NOW_PASSING), false);
        appendPlain(sb, "FLAKY (failed in the class run, passed alone; not a build failure)", with(Verdict.FLAKY), true);
        sb.append("Reports: target/sint-report.md, target/sint-results.txt; logs: target/sint.log, target/parley-server.log\n");
        return sb.toString();
    }

    private static void appendPlain(StringBuilder sb, String title, List<Judged> list, boolean reasons) {
        if (list.isEmpty()) {
            return;
        }
        sb.append('\n').append(title).append(":\n");
        for (Judged j : list) {
            sb.append("  - ").append(j.outcome().key()).append(" [").append(j.outcome().spec()).append(']');
            if (reasons) {
                sb.append("\n      ").append(j.outcome().reason());
            }
            sb.append('\n');
        }
    }

    /** {@code target/sint-results.txt}: "Class.method RESULT reason", one line per test. */
    String results() {
        StringBuilder sb = new StringBuilder();
        for (Judged j : judged) {
            TestOutcome o = j.outcome();
            sb.append(o.key()).append(' ').append(o.status());
            String reason = switch (j.verdict()) {
                case KNOWN_FAILURE -> "known failure (" + j.entry().map(ExpectationList.Entry::reason).orElse("") + "): " + o.reason();
                case NOW_PASSING -> "listed as a known failure, now passes";
                case EXCLUDED -> "excluded: " + j.entry().map(e -> e.reason() + " [" + e.spec() + "]").orElse("");
                default -> o.reason();
            };
            if (!reason.isEmpty()) {
                sb.append(' ').append(reason);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** {@code target/sint-report.md}. */
    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Smack Integration Test Framework against Parley\n\n");
        sb.append(header.replace("\n", "  \n")).append("  \n");
        sb.append("Run ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append("\n\n");
        sb.append("**").append(totalsLine()).append("**\n\n");
        sb.append("Passed; flaky (failed in the run of its class, passed when re-run alone); failed (of which known "
                + "failures listed in `sint-known-failures.txt`); skipped (SINT: not possible on this server); excluded "
                + "(never run, listed in `sint-exclusions.txt`).\n");
        for (Map.Entry<String, Map<String, List<Judged>>> profile : byProfileAndClass().entrySet()) {
            sb.append("\n## Connection profile `").append(profile.getKey()).append("`\n\n");
            sb.append("| Test class | Specification | Passed | Flaky | Failed | Known | Skipped | Excluded |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
            Counts sum = Counts.ZERO;
            for (Map.Entry<String, List<Judged>> cls : profile.getValue().entrySet()) {
                Counts c = count(cls.getValue());
                sum = sum.plus(c);
                String spec = catalog.find(cls.getKey()).map(SintCatalog.TestClass::specification)
                        .filter(s -> !s.isEmpty()).orElse("-");
                sb.append(String.format("| %s | %s | %d | %d | %d | %d | %d | %d |%n", cls.getKey(), spec, c.passed(),
                        c.flaky(), c.failed(), c.known(), c.skipped(), c.excluded()));
            }
            sb.append(String.format("| **Total (%d tests)** | | **%d** | **%d** | **%d** | **%d** | **%d** | **%d** |%n",
                    sum.total(), sum.passed(), sum.flaky(), sum.failed(), sum.known(), sum.skipped(), sum.excluded()));
        }
        appendMarkdown(sb, "Unexpected failures", "Failed and in neither list: the build fails.",
                with(Verdict.UNEXPECTED_FAILURE), j -> j.outcome().reason());
        appendMarkdown(sb, "Known failures now passing", "Remove these entries from `sint-known-failures.txt`.",
                with(Verdict.NOW_PASSING), j -> "listed: " + j.entry().map(ExpectationList.Entry::reason).orElse(""));

        appendMarkdown(sb, "Flaky", "Failed in the run of their class, passed when re-run alone (not a build failure).",
                with(Verdict.FLAKY), j -> j.outcome().reason());

        List<Judged> known = with(Verdict.KNOWN_FAILURE);
        if (!known.isEmpty()) {
            sb.append("\n## Known failures, by missing feature or defect\n\n");
            Map<String, List<Judged>> byFeature = new TreeMap<>();
            for (Judged j : known) {
                byFeature.computeIfAbsent(j.entry().map(ExpectationList.Entry::reason).orElse("?"), f -> new ArrayList<>()).add(j);
            }
            for (Map.Entry<String, List<Judged>> feature : byFeature.entrySet()) {
                sb.append("### ").append(feature.getKey()).append("\n\n");
                for (Judged j : feature.getValue()) {
                    sb.append("- `").append(j.outcome().key()).append("` (")
                            .append(j.entry().map(ExpectationList.Entry::spec).orElse(j.outcome().spec())).append("): ")
                            .append(escape(j.outcome().reason())).append('\n');
                }
                sb.append('\n');
            }
        }
        appendMarkdown(sb, "Skipped (not possible)", "SINT decided these cannot run against this server, "
                + "usually because a feature they need is not advertised.", with(Verdict.SKIPPED), j -> j.outcome().reason());
        appendMarkdown(sb, "Excluded", "Never run: defects of the suite or of Smack, see `sint-exclusions.txt`.",
                with(Verdict.EXCLUDED), j -> j.entry().map(e -> e.reason() + " [" + e.spec() + "]").orElse(""));
        return sb.toString();
    }

    private static void appendMarkdown(StringBuilder sb, String title, String intro, List<Judged> list,
                                       java.util.function.Function<Judged, String> detail) {
        if (list.isEmpty()) {
            return;
        }
        sb.append("\n## ").append(title).append(" (").append(list.size()).append(")\n\n").append(intro).append("\n\n");
        for (Judged j : list) {
            sb.append("- `").append(j.outcome().key()).append("` (").append(j.outcome().spec()).append("): ")
                    .append(escape(detail.apply(j))).append('\n');
        }
    }

    /**
     * Every current failure in the known-failures format, SINT's message as a first-draft reason: a starting
     * point for {@code sint-known-failures.txt} after each reason was checked and rewritten as the missing feature.
     */
    String knownFailureCandidates() {
        StringBuilder sb = new StringBuilder("# Failures of this run in sint-known-failures.txt format (reason = SINT's message;\n"
                + "# replace it with the missing Parley feature after checking it). Not read by the build.\n");
        for (Judged j : judged) {
            if (j.outcome().status() == Status.FAILED) {
                String reason = j.entry().map(ExpectationList.Entry::reason).orElse(j.outcome().reason().replace('|', '/'));
                String spec = j.entry().map(ExpectationList.Entry::spec).orElse(j.outcome().spec());
                sb.append(j.outcome().key()).append(" | ").append(reason).append(" | ").append(spec).append('\n');
            }
        }
        return sb.toString();
    }

    private static String escape(String text) {
        return text.replace("|", "\\|").replace("<", "&lt;");
    }

    static String formatDuration(Duration d) {
        return String.format("%d min %02d s", d.toMinutes(), d.toSecondsPart());
    }
}
