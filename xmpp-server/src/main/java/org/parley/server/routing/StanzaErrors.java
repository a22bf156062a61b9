package org.parley.server.routing;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.MessageStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;

/** Stanza error replies (RFC 6120 §8.3), and which stanzas may get one. */
public final class StanzaErrors {

    private StanzaErrors() {
    }

    /**
     * Whether a failed stanza deserves an error reply: never an error itself (RFC 6120 §8.3.1 forbids
     * answering errors), never an IQ result.
     */
    public static boolean answerable(Stanza stanza) {
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stanza);
        if (core == null || core.isError()) {
            return false;
        }
        if (core instanceof IQStanza iq) {
            IQStanzaType type = iq.getIQType();
            return type == IQStanzaType.GET || type == IQStanzaType.SET;
        }
        return true;
    }

    /** True for an IQ request (get or set), which must always be answered (RFC 6120 §8.2.3). */
    public static boolean isRequest(Stanza stanza) {
        return XMPPCoreStanza.getWrapper(stanza) instanceof IQStanza iq
                && (iq.getIQType() == IQStanzaType.GET || iq.getIQType() == IQStanzaType.SET);
    }

    /** A stanza of type error: never answered, archived or copied. */
    public static boolean isError(Stanza stanza) {
        return "error".equals(stanza.getAttributeValue("type"));
    }

    public static boolean isMessage(Stanza stanza) {
        return XMPPCoreStanza.getWrapper(stanza) instanceof MessageStanza;
    }

    /**
     * The error reply to {@code stanza}: addressed back to its sender, from its original recipient (or
     * {@code from} when the server answers for itself), carrying the original payload as Vysper does.
     */
    public static Stanza error(Stanza stanza, StanzaErrorCondition condition, StanzaErrorType type, String text) {
        return error(stanza, condition, type, text, null);
    }

    /**
     * {@link #error(Stanza, StanzaErrorCondition, StanzaErrorType, String)} with an application-specific
     * condition element inside {@code <error/>} (RFC 6120 §8.3.2), e.g. XEP-0191's {@code <blocked/>}.
     */
    public static Stanza error(Stanza stanza, StanzaErrorCondition condition, StanzaErrorType type, String text,
                               XMLElement applicationCondition) {
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stanza);
        // from = the original 'to' (full), so the requester can match the reply (RFC 6120 §8.3.1).
        StanzaBuilder reply = StanzaBuilder.createDirectReply(core, false, "error");
        if (!(core instanceof IQStanza)) {
            for (XMLElement inner : core.getInnerElements()) {
                reply.addPreparedElement(inner);
            }
        }
        reply.startInnerElement("error", NamespaceURIs.JABBER_CLIENT).addAttribute("type", type.value());
        reply.startInnerElement(condition.value(), NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS).endInnerElement();
        if (text != null) {
            reply.startInnerElement("text", NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS)
                    .addAttribute(NamespaceURIs.XML, "lang", "en").addText(text).endInnerElement();
        }
        if (applicationCondition != null) {
            reply.addPreparedElement(applicationCondition);
        }
        reply.endInnerElement();
        return reply.build();
    }

    /** The default error type for a condition (RFC 6120 §8.3.3). */
    public static StanzaErrorType typeOf(StanzaErrorCondition condition) {
        return switch (condition) {
            case BAD_REQUEST, JID_MALFORMED, NOT_ACCEPTABLE, UNDEFINED_CONDITION -> StanzaErrorType.MODIFY;
            case NOT_AUTHORIZED -> StanzaErrorType.AUTH;
            case RESOURCE_CONSTRAINT, UNEXPECTED_REQUEST -> StanzaErrorType.WAIT;
            case FORBIDDEN, REGISTRATION_REQUIRED, SUBSCRIPTION_REQUIRED -> StanzaErrorType.AUTH;
            default -> StanzaErrorType.CANCEL;
        };
    }

    /** Convenience: error with the condition's default type. */
    public static Stanza error(Stanza stanza, StanzaErrorCondition condition, String text) {
        return error(stanza, condition, typeOf(condition), text);
    }

    /**
     * The empty result to an IQ request (RFC 6120 §8.2.3): from whom it was addressed to, to the requester,
     * same id; callers add the payload. The counterpart of {@link #error}.
     */
    public static StanzaBuilder result(Stanza request) {
        StanzaBuilder b = new StanzaBuilder("iq", NamespaceURIs.JABBER_CLIENT);
        if (request.getAttributeValue("to") != null) {
            b.addAttribute("from", request.getAttributeValue("to"));
        }
        if (request.getAttributeValue("from") != null) {
            b.addAttribute("to", request.getAttributeValue("from"));
        }
        b.addAttribute("type", "result");
        if (request.getAttributeValue("id") != null) {
            b.addAttribute("id", request.getAttributeValue("id"));
        }
        return b;
    }

    /** The bare JID a stanza is from, or null. */
    public static Entity senderBare(Stanza stanza) {
        Entity from = stanza.getFrom();
        return from == null ? null : from.getBareJID();
    }
}
