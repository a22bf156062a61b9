package org.parley.server.pubsub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;

/**
 * A node's configuration (XEP-0060 §16.4.3, {@code pubsub#node_config}): the options Parley implements,
 * by name without the {@code pubsub#} prefix, with canonical values (booleans as {@code true}/{@code false}).
 * Immutable; {@link #with} validates a submitted form or publish-options against it.
 */
final class NodeConfig {

    static final String ACCESS_MODEL = "access_model";
    static final String PUBLISH_MODEL = "publish_model";
    static final String PERSIST_ITEMS = "persist_items";
    static final String DELIVER_PAYLOADS = "deliver_payloads";
    static final String DELIVER_NOTIFICATIONS = "deliver_notifications";
    static final String MAX_ITEMS = "max_items";
    static final String NOTIFY_RETRACT = "notify_retract";
    static final String NOTIFY_DELETE = "notify_delete";
    static final String SEND_LAST = "send_last_published_item";
    static final String TITLE = "title";
    static final String TYPE = "type";
    static final String NODE_TYPE = "node_type";

    static final Set<String> ACCESS_MODELS = Set.of("open", "presence", "whitelist");
    /** Access models of XEP-0060 §4.5 that Parley does not implement. */
    static final Set<String> UNSUPPORTED_ACCESS_MODELS = Set.of("authorize", "roster");
    static final Set<String> PUBLISH_MODELS = Set.of("publishers", "subscribers", "open");
    static final Set<String> SEND_LAST_VALUES = Set.of("never", "on_sub", "on_sub_and_presence");
    private static final Set<String> BOOLEANS = Set.of(PERSIST_ITEMS, DELIVER_PAYLOADS, DELIVER_NOTIFICATIONS,
            NOTIFY_RETRACT, NOTIFY_DELETE);

    private final Map<String, String> values;
    private final int itemLimit;

    private NodeConfig(Map<String, String> values, int itemLimit) {
        this.values = Map.copyOf(values);
        this.itemLimit = itemLimit;
    }

    /** The defaults: PEP nodes are {@code presence} with one item (XEP-0163 §4.3), service nodes {@code open}. */
    static NodeConfig defaults(boolean pep, int defaultMaxItems, int itemLimit) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put(TITLE, "");
        v.put(ACCESS_MODEL, pep ? "presence" : "open");
        v.put(PUBLISH_MODEL, "publishers");
        v.put(PERSIST_ITEMS, "true");
        v.put(DELIVER_PAYLOADS, "true");
        v.put(DELIVER_NOTIFICATIONS, "true");
        v.put(MAX_ITEMS, Integer.toString(Math.min(defaultMaxItems, itemLimit)));
        v.put(NOTIFY_RETRACT, "true");
        v.put(NOTIFY_DELETE, "true");
        v.put(SEND_LAST, pep ? "on_sub_and_presence" : "never");
        v.put(TYPE, "");
        return new NodeConfig(v, itemLimit);
    }

    /** Restores stored settings over the defaults (options added later keep their default). */
    NodeConfig restore(Map<String, String> stored) {
        Map<String, String> v = new LinkedHashMap<>(values);
        stored.forEach((k, val) -> {
            if (v.containsKey(k)) {
                v.put(k, val);
            }
        });
        return new NodeConfig(v, itemLimit);
    }

    Map<String, String> values() {
        return values;
    }

    String accessModel() {
        return values.get(ACCESS_MODEL);
    }

    String publishModel() {
        return values.get(PUBLISH_MODEL);
    }

    boolean persistItems() {
        return Boolean.parseBoolean(values.get(PERSIST_ITEMS));
    }

    boolean deliverPayloads() {
        return Boolean.parseBoolean(values.get(DELIVER_PAYLOADS));
    }

    boolean deliverNotifications() {
        return Boolean.parseBoolean(values.get(DELIVER_NOTIFICATIONS));
    }

    boolean notifyRetract() {
        return Boolean.parseBoolean(values.get(NOTIFY_RETRACT));
    }

    boolean notifyDelete() {
        return Boolean.parseBoolean(values.get(NOTIFY_DELETE));
    }

    boolean sendLastOnPresence() {
        return "on_sub_and_presence".equals(values.get(SEND_LAST));
    }

    boolean sendLastOnSubscribe() {
        return !"never".equals(values.get(SEND_LAST));
    }

    int maxItems() {
        return Integer.parseInt(values.get(MAX_ITEMS));
    }

    /**
     * This configuration with the fields of a submitted {@code jabber:x:data} form applied. Unknown fields
     * are ignored (XEP-0004 §3.3 lets a receiver ignore what it does not know); bad values are refused.
     */
    NodeConfig with(Map<String, List<String>> form) {
        Map<String, String> v = new LinkedHashMap<>(values);
        for (Map.Entry<String, List<String>> field : form.entrySet()) {
            String var = field.getKey();
            if (!var.startsWith("pubsub#")) {
                continue;
            }
            String name = var.substring("pubsub#".length());
            String value = field.getValue().isEmpty() ? "" : field.getValue().get(0);
            if (NODE_TYPE.equals(name)) {
                if (!"leaf".equals(value)) {
                    throw PubSubXml.Failure.unsupported("collections");
                }
                continue;
            }
            if (!v.containsKey(name)) {
                continue;
            }
            v.put(name, canonical(name, value));
        }
        return new NodeConfig(v, itemLimit);
    }

    /** The canonical form of a value, or not-acceptable when it is not allowed. */
    String canonical(String name, String value) {
        String trimmed = value == null ? "" : value.trim();
        if (BOOLEANS.contains(name)) {
            return switch (trimmed) {
                case "1", "true" -> "true";
                case "0", "false" -> "false";
                default -> throw notAcceptable(name, value);
            };
        }
        switch (name) {
            case ACCESS_MODEL -> {
                if (UNSUPPORTED_ACCESS_MODELS.contains(trimmed)) {
                    throw PubSubXml.Failure.unsupported("access-" + trimmed);
                }
                if (!ACCESS_MODELS.contains(trimmed)) {
                    throw notAcceptable(name, value);
                }
            }
            case PUBLISH_MODEL -> {
                if (!PUBLISH_MODELS.contains(trimmed)) {
                    throw notAcceptable(name, value);
                }
            }
            case SEND_LAST -> {
                if (!SEND_LAST_VALUES.contains(trimmed)) {
                    throw notAcceptable(name, value);
                }
            }
            case MAX_ITEMS -> {
                if ("max".equals(trimmed)) {
                    return Integer.toString(itemLimit);
                }
                int n;
                try {
                    n = Integer.parseInt(trimmed);
                } catch (NumberFormatException e) {
                    throw notAcceptable(name, value);
                }
                if (n < 1 || n > itemLimit) {
                    throw notAcceptable(name, value + " (1-" + itemLimit + " or max)");
                }
                return Integer.toString(n);
            }
            default -> {
                return value == null ? "" : value;
            }
        }
        return trimmed;
    }

    /**
     * Whether the publish-options hold for this node (XEP-0060 §7.1.5): each field must equal the node's
     * setting; a field Parley has no such setting for can never be met.
     */
    String unmetPrecondition(Map<String, List<String>> options) {
        for (Map.Entry<String, List<String>> field : options.entrySet()) {
            String var = field.getKey();
            if ("FORM_TYPE".equals(var)) {
                continue;
            }
            String name = var.startsWith("pubsub#") ? var.substring("pubsub#".length()) : null;
            if (name == null || !values.containsKey(name)) {
                return var;
            }
            String wanted;
            try {
                wanted = canonical(name, field.getValue().isEmpty() ? "" : field.getValue().get(0));
            } catch (PubSubXml.Failure f) {
                return var;
            }
            if (!wanted.equals(values.get(name))) {
                return var;
            }
        }
        return null;
    }

    private static PubSubXml.Failure notAcceptable(String name, String value) {
        return new PubSubXml.Failure(StanzaErrorCondition.NOT_ACCEPTABLE, null,
                "pubsub#" + name + ": '" + value + "' is not allowed");
    }

    /** Renders the configuration as a form ({@code type='form'}) of XEP-0060 §16.4.3. */
    void render(StanzaBuilder b) {
        b.startInnerElement("x", PubSubXml.DATA).addAttribute("type", "form");
        field(b, "FORM_TYPE", "hidden", null, PubSubXml.NODE_CONFIG, List.of());
        field(b, "pubsub#title", "text-single", "A friendly name for the node", values.get(TITLE), List.of());
        field(b, "pubsub#node_type", "list-single", "Node type", "leaf", List.of("leaf"));
        field(b, "pubsub#access_model", "list-single", "Who may subscribe and retrieve items", accessModel(),
                List.of("open", "presence", "whitelist"));
        field(b, "pubsub#publish_model", "list-single", "Who may publish", publishModel(),
                List.of("publishers", "subscribers", "open"));
        bool(b, PERSIST_ITEMS, "Persist items to storage");
        bool(b, DELIVER_PAYLOADS, "Deliver payloads with event notifications");
        bool(b, DELIVER_NOTIFICATIONS, "Deliver event notifications");
        bool(b, NOTIFY_RETRACT, "Notify subscribers when items are removed from the node");
        bool(b, NOTIFY_DELETE, "Notify subscribers when the node is deleted");
        field(b, "pubsub#max_items", "text-single", "Max # of items to persist (1-" + itemLimit + " or max)",
                values.get(MAX_ITEMS), List.of());
        field(b, "pubsub#send_last_published_item", "list-single", "When to send the last published item",
                values.get(SEND_LAST), List.of("never", "on_sub", "on_sub_and_presence"));
        field(b, "pubsub#type", "text-single", "Type of payload data to be provided at this node",
                values.get(TYPE), List.of());
        b.endInnerElement();
    }

    private void bool(StanzaBuilder b, String name, String label) {
        field(b, "pubsub#" + name, "boolean", label, Boolean.parseBoolean(values.get(name)) ? "1" : "0", List.of());
    }

    private static void field(StanzaBuilder b, String var, String type, String label, String value,
                              List<String> options) {
        b.startInnerElement("field", PubSubXml.DATA).addAttribute("var", var).addAttribute("type", type);
        if (label != null) {
            b.addAttribute("label", label);
        }
        if (value != null) {
            b.startInnerElement("value", PubSubXml.DATA).addText(value).endInnerElement();
        }
        for (String o : options) {
            b.startInnerElement("option", PubSubXml.DATA)
                    .startInnerElement("value", PubSubXml.DATA).addText(o).endInnerElement().endInnerElement();
        }
        b.endInnerElement();
    }

    /** The field values of a submitted form, by var; an absent form is empty. */
    static Map<String, List<String>> formValues(XMLElement x) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (x == null) {
            return result;
        }
        for (XMLElement field : x.getInnerElementsNamed("field", PubSubXml.DATA)) {
            String var = field.getAttributeValue("var");
            if (var == null) {
                continue;
            }
            List<String> vals = new ArrayList<>();
            for (XMLElement value : field.getInnerElementsNamed("value", PubSubXml.DATA)) {
                vals.add(PubSubXml.text(value));
            }
            result.put(var, vals);
        }
        return result;
    }
}
