package org.parley.server.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.parley.server.parser.StanzaParsing;

/**
 * The XEP-0004 data forms the admin commands exchange: a form to fill ({@code type='form'}) or a result
 * ({@code type='result'}), with single fields and, for tables, {@code <reported/>} columns and {@code <item/>}
 * rows (XEP-0004 §3.4). Vysper's own DataForm cannot write a reported section, hence this small builder.
 */
final class Form {

    static final String NS = "jabber:x:data";

    private final String type;
    private final String title;
    private final List<String> instructions = new ArrayList<>();
    private final List<XMLElement> fields = new ArrayList<>();
    private List<String[]> reported;
    private final List<List<String>> rows = new ArrayList<>();

    private Form(String type, String title, String formType) {
        this.type = type;
        this.title = title;
        fields.add(fieldElement("FORM_TYPE", "hidden", null, false, List.of(formType), Map.of()));
    }

    static Form form(String title, String formType) {
        return new Form("form", title, formType);
    }

    static Form result(String title, String formType) {
        return new Form("result", title, formType);
    }

    Form instructions(String text) {
        instructions.add(text);
        return this;
    }

    /** A field; {@code required} adds XEP-0004's {@code <required/>}; {@code options} maps value → label. */
    Form field(String var, String fieldType, String label, boolean required, List<String> values,
               Map<String, String> options) {
        fields.add(fieldElement(var, fieldType, label, required, values, options));
        return this;
    }

    Form text(String var, String label, String value) {
        return field(var, "text-single", label, false, value == null ? List.of() : List.of(value), Map.of());
    }

    Form required(String var, String fieldType, String label) {
        return field(var, fieldType, label, true, List.of(), Map.of());
    }

    Form fixed(String var, String label, Object value) {
        return field(var, "text-single", label, false, List.of(String.valueOf(value)), Map.of());
    }

    /** Columns of the table: {var, label} pairs. */
    Form columns(String... varsAndLabels) {
        reported = new ArrayList<>();
        for (int i = 0; i + 1 < varsAndLabels.length; i += 2) {
            reported.add(new String[] {varsAndLabels[i], varsAndLabels[i + 1]});
        }
        return this;
    }

    /** One row, a value per column in the order of {@link #columns}. */
    Form row(Object... values) {
        List<String> row = new ArrayList<>();
        for (Object v : values) {
            row.add(v == null ? "" : String.valueOf(v));
        }
        rows.add(row);
        return this;
    }

    int rowCount() {
        return rows.size();
    }

    XMLElement build() {
        List<XMLFragment> inner = new ArrayList<>();
        if (title != null) {
            inner.add(textElement("title", title));
        }
        for (String i : instructions) {
            inner.add(textElement("instructions", i));
        }
        inner.addAll(fields);
        if (reported != null) {
            List<XMLFragment> columns = new ArrayList<>();
            for (String[] c : reported) {
                columns.add(new XMLElementBuilder("field", NS).addAttribute("var", c[0]).addAttribute("label", c[1])
                        .build());
            }
            inner.add(new XMLElement(NS, "reported", null, List.of(), columns));
            for (List<String> row : rows) {
                List<XMLFragment> cells = new ArrayList<>();
                for (int i = 0; i < reported.size() && i < row.size(); i++) {
                    cells.add(fieldElement(reported.get(i)[0], null, null, false, List.of(row.get(i)), Map.of()));
                }
                inner.add(new XMLElement(NS, "item", null, List.of(), cells));
            }
        }
        XMLElementBuilder x = new XMLElementBuilder("x", NS).addAttribute("type", type);
        for (XMLFragment f : inner) {
            if (f instanceof XMLElement e) {
                x.addPreparedElement(e);
            }
        }
        return x.build();
    }

    private static XMLElement textElement(String name, String text) {
        return new XMLElementBuilder(name, NS).addText(text).build();
    }

    private static XMLElement fieldElement(String var, String type, String label, boolean required, List<String> values,
                                    Map<String, String> options) {
        XMLElementBuilder f = new XMLElementBuilder("field", NS).addAttribute("var", var);
        if (type != null) {
            f.addAttribute("type", type);
        }
        if (label != null) {
            f.addAttribute("label", label);
        }
        if (required) {
            f.startInnerElement("required", NS).endInnerElement();
        }
        for (String v : values) {
            f.startInnerElement("value", NS).addText(v).endInnerElement();
        }
        options.forEach((v, l) -> f.startInnerElement("option", NS).addAttribute("label", l)
                .startInnerElement("value", NS).addText(v).endInnerElement().endInnerElement());
        return f.build();
    }

    /** The values of a submitted form by var, in document order (empty when {@code x} is null). */
    static Map<String, List<String>> values(XMLElement x) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (x == null) {
            return result;
        }
        for (XMLElement field : x.getInnerElementsNamed("field", NS)) {
            String var = field.getAttributeValue("var");
            if (var == null) {
                continue;
            }
            List<String> values = new ArrayList<>();
            for (XMLElement value : field.getInnerElementsNamed("value", NS)) {
                values.add(StanzaParsing.text(value));
            }
            result.put(var, values);
        }
        return result;
    }
}
