package org.parley.server.muc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;

/** Just enough of XEP-0004 data forms for room configuration and room information. */
final class DataForm {

    private final StanzaBuilder builder;

    private DataForm(StanzaBuilder builder) {
        this.builder = builder;
    }

    /** Starts {@code <x xmlns='jabber:x:data' type='…'>} with its hidden FORM_TYPE inside {@code builder}. */
    static DataForm start(StanzaBuilder builder, String type, String formType, String title) {
        builder.startInnerElement("x", MucXml.DATA).addAttribute("type", type);
        if (title != null) {
            builder.startInnerElement("title", MucXml.DATA).addText(title).endInnerElement();
        }
        DataForm form = new DataForm(builder);
        form.field("FORM_TYPE", "hidden", null, List.of(formType));
        return form;
    }

    DataForm field(String var, String type, String label, List<String> values) {
        builder.startInnerElement("field", MucXml.DATA).addAttribute("var", var);
        if (type != null) {
            builder.addAttribute("type", type);
        }
        if (label != null) {
            builder.addAttribute("label", label);
        }
        for (String v : values) {
            builder.startInnerElement("value", MucXml.DATA).addText(v).endInnerElement();
        }
        builder.endInnerElement();
        return this;
    }

    DataForm text(String var, String label, String value) {
        return field(var, "text-single", label, List.of(value));
    }

    DataForm bool(String var, String label, boolean value) {
        return field(var, "boolean", label, List.of(value ? "1" : "0"));
    }

    /** A list-single field; {@code options} maps value to label. */
    DataForm choice(String var, String label, String value, Map<String, String> options) {
        builder.startInnerElement("field", MucXml.DATA).addAttribute("var", var).addAttribute("type", "list-single")
                .addAttribute("label", label);
        builder.startInnerElement("value", MucXml.DATA).addText(value).endInnerElement();
        options.forEach((v, l) -> builder.startInnerElement("option", MucXml.DATA).addAttribute("label", l)
                .startInnerElement("value", MucXml.DATA).addText(v).endInnerElement().endInnerElement());
        builder.endInnerElement();
        return this;
    }

    void end() {
        builder.endInnerElement();
    }

    /** The values of every field of a submitted form, by var, in document order. */
    static Map<String, List<String>> values(XMLElement x) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        for (XMLElement field : x.getInnerElementsNamed("field", MucXml.DATA)) {
            String var = field.getAttributeValue("var");
            if (var == null) {
                continue;
            }
            List<String> values = new ArrayList<>();
            for (XMLElement value : field.getInnerElementsNamed("value", MucXml.DATA)) {
                values.add(MucXml.text(value));
            }
            result.put(var, values);
        }
        return result;
    }
}
