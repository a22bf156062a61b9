package org.parley.server.pubsub;

import java.util.List;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.routing.StanzaErrors;

/** Namespaces of XEP-0060/0163 and the replies and errors built from them. */
final class PubSubXml {

    static final String PUBSUB = "http://jabber.org/protocol/pubsub";
    static final String OWNER = PUBSUB + "#owner";
    static final String EVENT = PUBSUB + "#event";
    static final String ERRORS = PUBSUB + "#errors";
    static final String NODE_CONFIG = PUBSUB + "#node_config";
    static final String PUBLISH_OPTIONS = PUBSUB + "#publish-options";
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
    static final String CAPS = "http://jabber.org/protocol/caps";
    static final String DATA = "jabber:x:data";
    static final String CLIENT = NamespaceURIs.JABBER_CLIENT;

    private PubSubXml() {
    }

    /** A pubsub request refused: the stanza condition plus an optional pubsub#errors condition (XEP-0060 §14). */
    static final class Failure extends RuntimeException {
        final StanzaErrorCondition condition;
        /** The defined condition's element name: RFC 6120 conditions Vysper's enum (RFC 3920) lacks, too. */
        final String conditionName;
        final StanzaErrorType type;
        final String pubsubCondition;
        final String unsupportedFeature;

        Failure(StanzaErrorCondition condition, String pubsubCondition, String text) {
            this(condition, StanzaErrors.typeOf(condition), pubsubCondition, null, text);
        }

        Failure(StanzaErrorCondition condition, StanzaErrorType type, String pubsubCondition, String unsupportedFeature,
                String text) {
            this(condition, condition.value(), type, pubsubCondition, unsupportedFeature, text);
        }

        private Failure(StanzaErrorCondition condition, String conditionName, StanzaErrorType type,
                        String pubsubCondition, String unsupportedFeature, String text) {
            super(text, null, false, false);
            this.condition = condition;
            this.conditionName = conditionName;
            this.type = type;
            this.pubsubCondition = pubsubCondition;
            this.unsupportedFeature = unsupportedFeature;
        }

        /**
         * RFC 6120 §8.3.3.12 {@code policy-violation} (not in Vysper's RFC 3920 enum), type {@code wait} as in
         * XEP-0060 §6.1.3.9's example of a local quota: the request may succeed once the requester freed room.
         */
        static Failure policyViolation(String pubsubCondition, String text) {
            return new Failure(StanzaErrorCondition.UNDEFINED_CONDITION, "policy-violation", StanzaErrorType.WAIT,
                    pubsubCondition, null, text);
        }

        static Failure unsupported(String feature) {
            return new Failure(StanzaErrorCondition.FEATURE_NOT_IMPLEMENTED, StanzaErrorType.CANCEL, "unsupported",
                    feature, null);
        }

        static Failure itemNotFound(String text) {
            return new Failure(StanzaErrorCondition.ITEM_NOT_FOUND, null, text);
        }

        static Failure forbidden(String text) {
            return new Failure(StanzaErrorCondition.FORBIDDEN, null, text);
        }

        static Failure badRequest(String pubsubCondition, String text) {
            return new Failure(StanzaErrorCondition.BAD_REQUEST, pubsubCondition, text);
        }
    }

    /** The error reply to an IQ request, from whom it was addressed to. */
    static Stanza error(Stanza request, Failure f) {
        StanzaBuilder b = new StanzaBuilder("iq", CLIENT);
        if (request.getAttributeValue("to") != null) {
            b.addAttribute("from", request.getAttributeValue("to"));
        }
        if (request.getAttributeValue("from") != null) {
            b.addAttribute("to", request.getAttributeValue("from"));
        }
        b.addAttribute("type", "error");
        if (request.getAttributeValue("id") != null) {
            b.addAttribute("id", request.getAttributeValue("id"));
        }
        b.startInnerElement("error", CLIENT).addAttribute("type", f.type.value());
        b.startInnerElement(f.conditionName, NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS).endInnerElement();
        if (f.getMessage() != null) {
            b.startInnerElement("text", NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS)
                    .addAttribute(NamespaceURIs.XML, "lang", "en").addText(f.getMessage()).endInnerElement();
        }
        if (f.pubsubCondition != null) {
            b.startInnerElement(f.pubsubCondition, ERRORS);
            if (f.unsupportedFeature != null) {
                b.addAttribute("feature", f.unsupportedFeature);
            }
            b.endInnerElement();
        }
        b.endInnerElement();
        return b.build();
    }

    static XMLElement child(XMLElement parent, String name, String ns) {
        for (XMLElement e : parent.getInnerElements()) {
            if (name.equals(e.getName()) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    static String text(XMLElement e) {
        StringBuilder sb = new StringBuilder();
        for (XMLFragment f : e.getInnerFragments()) {
            if (f instanceof XMLText t) {
                sb.append(t.getText());
            }
        }
        return sb.toString();
    }

    static List<XMLElement> elements(XMLElement parent) {
        return parent.getInnerElements();
    }
}
