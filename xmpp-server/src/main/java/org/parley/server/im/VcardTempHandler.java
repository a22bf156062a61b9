package org.parley.server.im;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.storage.DocumentStore;

/**
 * vcard-temp, XEP-0054: users read and write their own vCard and read any local user's; the vCard is
 * stored as XML text and returned as real XML, or as an empty {@code <vCard/>} when there is none
 * (XEP-0054 §3.1 allows either that or item-not-found).
 */
public final class VcardTempHandler extends AccountIqHandler {

    /** The {@link DocumentStore} key of the vCard. */
    public static final String KEY = "vcard-temp";
    static final String ELEMENT = "vCard";
    static final String NS = NamespaceURIs.VCARD_TEMP;

    private final DocumentStore store;
    private final int maxBytes;

    /**
     * @param maxBytes the largest vCard accepted, in bytes of its UTF-8 XML text; larger ones are refused
     *        with not-acceptable
     */
    public VcardTempHandler(DocumentStore store, int maxBytes) {
        super(ELEMENT, NS);
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        this.store = store;
        this.maxBytes = maxBytes;
    }

    @Override
    protected Stanza handleGet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        Entity requester = requester(stanza, sessionContext);
        Entity to = stanza.getTo();
        Entity owner = to == null ? requester : to.getBareJID();
        StanzaBuilder reply = result(stanza, sessionContext);
        if (owner == null || owner.getNode() == null) {
            // The server itself has no vCard of its own to offer.
            return emptyVcard(reply);
        }
        if (!addressedToSelf(stanza, requester) && !accountExists(serverRuntimeContext, owner)) {
            // RFC 6121 §8.5.1: an IQ to a local account that does not exist.
            return error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, StanzaErrorType.CANCEL);
        }
        Optional<XMLElement> vcard = store.get(owner.getNode(), KEY)
                .flatMap(xml -> parseStored(xml, ELEMENT, NS, owner.getNode()));
        if (vcard.isEmpty()) {
            return emptyVcard(reply);
        }
        return reply.addPreparedElement(vcard.get()).build();
    }

    @Override
    protected Stanza handleSet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        Entity requester = requester(stanza, sessionContext);
        if (requester == null || requester.getNode() == null || !addressedToSelf(stanza, requester)) {
            // Only the owner may change a vCard.
            return error(stanza, StanzaErrorCondition.FORBIDDEN, StanzaErrorType.AUTH);
        }
        XMLElement vcard = stanza.getFirstInnerElement();
        if (vcard.getInnerElements().isEmpty() && vcard.getInnerTexts().stream()
                .allMatch(t -> t.getText().isBlank())) {
            // An empty vCard reads back exactly as no vCard at all.
            store.delete(requester.getNode(), KEY);
            return result(stanza, sessionContext).build();
        }
        String xml = new Renderer(vcard).getComplete();
        if (xml.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
        }
        store.put(requester.getNode(), KEY, xml);
        return result(stanza, sessionContext).build();
    }

    private static Stanza emptyVcard(StanzaBuilder reply) {
        return reply.startInnerElement(ELEMENT, NS).endInnerElement().build();
    }
}
