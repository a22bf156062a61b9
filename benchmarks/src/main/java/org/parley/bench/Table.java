package org.parley.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The side-by-side results: one row per figure, one column per server, and the reference's ratio to each other. */
final class Table {
    record Row(String scenario, String figure, String unit, Map<String, Double> values) {
    }

    private final List<String> servers;
    /** The column divided by each other one in the ratio columns ("Parley"; "Parley 2 nodes" in a cluster run). */
    private final String reference;
    private final Map<String, Row> rows = new LinkedHashMap<>();

    Table(List<String> servers) {
        this(servers, "Parley");
    }

    Table(List<String> servers, String reference) {
        this.servers = servers;
        this.reference = reference;
    }

    void put(String server, String scenario, String figure, String unit, double value) {
        rows.computeIfAbsent(scenario + "|" + figure, k -> new Row(scenario, figure, unit, new LinkedHashMap<>()))
                .values().put(server, value);
    }

    List<Row> rows() {
        return new ArrayList<>(rows.values());
    }

    /** Each figure's median over several tables of the same scenarios (interleaved rounds). */
    static Table median(List<Table> rounds, List<String> servers, String reference) {
        Table out = new Table(servers, reference);
        Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
        Map<String, Row> shape = new LinkedHashMap<>();
        for (Table t : rounds) {
            for (Row r : t.rows.values()) {
                String key = r.scenario() + "|" + r.figure();
                shape.putIfAbsent(key, r);
                r.values().forEach((server, v) -> values.computeIfAbsent(key, k -> new LinkedHashMap<>())
                        .computeIfAbsent(server, k -> new ArrayList<>()).add(v));
            }
        }
        shape.forEach((key, r) -> values.get(key).forEach((server, vs) -> {
            List<Double> sorted = vs.stream().sorted().toList();
            int n = sorted.size();
            double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            out.put(server, r.scenario(), r.figure(), r.unit(), m);
        }));
        return out;
    }

    /** Markdown table: scenario, figure, one column per server, then "Parley / other" ratios. */
    String markdown() {
        List<String> others = servers.stream().filter(s -> !s.equals(reference)).toList();
        boolean ratios = servers.contains(reference);
        StringBuilder b = new StringBuilder("| scenario | figure |");
        servers.forEach(s -> b.append(' ').append(s).append(" |"));
        if (ratios) {
            others.forEach(o -> b.append(' ').append(reference).append('/').append(o).append(" |"));
        }
        b.append("\n|---|---|");
        servers.forEach(s -> b.append("---:|"));
        if (ratios) {
            others.forEach(o -> b.append("---:|"));
        }
        b.append('\n');
        for (Row r : rows.values()) {
            b.append("| ").append(r.scenario()).append(" | ").append(r.figure())
                    .append(r.unit().isEmpty() ? "" : " (" + r.unit() + ")").append(" |");
            for (String s : servers) {
                b.append(' ').append(format(r.values().get(s))).append(" |");
            }
            if (ratios) {
                Double p = r.values().get(reference);
                for (String o : others) {
                    Double v = r.values().get(o);
                    b.append(' ').append(p == null || v == null || v == 0 || p.isNaN() || v.isNaN()
                            ? "" : String.format(Locale.ROOT, "%.2f", p / v)).append(" |");
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    static String format(Double v) {
        if (v == null) {
            return "";
        }
        if (v.isNaN()) {
            return "failed";
        }
        double a = Math.abs(v);
        if (a >= 100 || a == Math.rint(a)) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
