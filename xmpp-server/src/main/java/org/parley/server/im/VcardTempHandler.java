package org.parley.server.im;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

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
import org.parley.server.routing.StanzaErrors;
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

    /** Another feature's view of vCard changes (XEP-0398 converts the PHOTO to a PEP avatar). */
    public interface Hook {
        /** Null to accept the vCard {@code account} stores, else a one-line reason to refuse it (not-acceptable). */
        default String refusal(Entity account, XMLElement vcard) {
            return null;
        }

        /** After a client stored its vCard; {@code before} and {@code after} are null when there was or is none. */
        default void stored(Entity account, XMLElement before, XMLElement after) {
        }
    }

    private final DocumentStore store;
    private final int maxBytes;
    private final List<Hook> hooks = new CopyOnWriteArrayList<>();

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

    public void addHook(Hook hook) {
        hooks.add(hook);
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
        String user = requester.getNode();
        XMLElement before = hooks.isEmpty() ? null
                : store.get(user, KEY).flatMap(xml -> parseStored(xml, ELEMENT, NS, user)).orElse(null);
        if (vcard.getInnerElements().isEmpty() && vcard.getInnerTexts().stream()
                .allMatch(t -> t.getText().isBlank())) {
            // An empty vCard reads back exactly as no vCard at all.
            store.delete(user, KEY);
            hooks.forEach(h -> h.stored(requester.getBareJID(), before, null));
            return result(stanza, sessionContext).build();
        }
        String xml = new Renderer(vcard).getComplete();
        if (xml.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
        }
        for (Hook hook : hooks) {
            String refusal = hook.refusal(requester.getBareJID(), vcard);
            if (refusal != null) {
                return StanzaErrors.error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY, refusal);
            }
        }
        store.put(user, KEY, xml);
        hooks.forEach(h -> h.stored(requester.getBareJID(), before, vcard));
        return result(stanza, sessionContext).build();
    }

    private static Stanza emptyVcard(StanzaBuilder reply) {
        return reply.startInnerElement(ELEMENT, NS).endInnerElement().build();
    }
}
