package org.parley.server.stream;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.delivery.StanzaRelay;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.ReturnErrorToSenderFailureStrategy;
import org.apache.vysper.xmpp.protocol.ProtocolException;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.caps.ServerCaps;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.routing.JidCache;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.RoutedStanza;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.session.ParleySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one stanza from a bound client session through Vysper's handlers, and guarantees the client an
 * answer: a missing handler or a handler that throws yields a stanza error (RFC 6120 §8.3) instead of
 * the silence Vysper 0.7 leaves, logged once.
 */
public final class StanzaDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(StanzaDispatcher.class);

    private final ServerRuntimeContext runtime;
    private final List<BiConsumer<Entity, Stanza>> presenceObservers = new CopyOnWriteArrayList<>();
    private final List<Predicate<Stanza>> responseObservers = new CopyOnWriteArrayList<>();
    private final List<BiFunction<Entity, Stanza, Stanza>> presenceRewriters = new CopyOnWriteArrayList<>();

    public StanzaDispatcher(ServerRuntimeContext runtime) {
        this.runtime = runtime;
    }

    /**
     * Calls {@code observer} with the full JID and the stanza of every presence a client broadcasts (no
     * 'to'), after the server processed it, e.g. to read its entity capabilities (XEP-0115).
     */
    public void observeBroadcastPresence(BiConsumer<Entity, Stanza> observer) {
        presenceObservers.add(observer);
    }

    /**
     * Lets {@code rewriter} change every presence a client sends (broadcast or directed) before the server
     * processes it, given the sender's full JID: e.g. to add the avatar hash (XEP-0398 §4).
     */
    public void rewritePresence(BiFunction<Entity, Stanza, Stanza> rewriter) {
        presenceRewriters.add(rewriter);
    }

    /**
     * Offers {@code observer} every IQ result or error a client addresses to the server itself (answers to
     * requests the server sent, e.g. a disco#info for entity capabilities); it returns true when it took it.
     */
    public void observeServerResponses(Predicate<Stanza> observer) {
        responseObservers.add(observer);
    }

    /**
     * Processes a stanza sent by the session's bound resource.
     *
     * @throws StreamErrorException when the stanza violates a stream-level rule (RFC 6120 §8.1.2.1)
     */
    public void dispatch(ParleySession session, Entity fullJid, Stanza stanza) throws StreamErrorException {
        Stanza stamped = toOwnAccount(fullJid, stampFrom(fullJid, stanza));
        if ("presence".equals(stamped.getName())) {
            for (BiFunction<Entity, Stanza, Stanza> rewriter : presenceRewriters) {
                try {
                    stamped = rewriter.apply(fullJid, stamped);
                } catch (RuntimeException e) {
                    // The presence still goes out as the client sent it; a rewrite is an extra.
                    LOG.error("presence rewriter failed on presence from {}", fullJid, e);
                }
            }
        }
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stamped);
        if (core == null) {
            throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                    "unknown element <" + stanza.getName() + "/>");
        }
        String toAttribute = stamped.getAttributeValue("to");
        // Parsed once here: Vysper's Stanza.getTo() runs the stringprep profiles again on every call.
        Entity to = null;
        if (toAttribute != null) {
            try {
                to = JidCache.parse(toAttribute);
            } catch (EntityFormatException | RuntimeException e) {
                reply(session, stamped, StanzaErrorCondition.JID_MALFORMED, "malformed 'to' address");
                return;
            }
        }
        if (core instanceof IQStanza iq && StanzaErrors.isRequest(stamped)
                && iq.getInnerElements().size() != 1) {
            // An IQ request carries exactly one payload (RFC 6120 §8.2.3).
            reply(session, stamped, StanzaErrorCondition.BAD_REQUEST, "an IQ request needs exactly one child element");
            return;
        }
        if (core instanceof IQStanza iq && iq.getIQType() == null) {
            reply(session, stamped, StanzaErrorCondition.BAD_REQUEST, "missing or unknown IQ type");
            return;
        }
        if (core instanceof IQStanza iq && !StanzaErrors.isRequest(iq) && !addressedToResource(to)
                && (to == null || to.getNode() == null)) {
            // A result or error for the server (e.g. a client acknowledging a roster push): nothing to do
            // unless the server asked, and never an answer (RFC 6120 §8.2.3).
            for (Predicate<Stanza> observer : responseObservers) {
                if (observer.test(stamped)) {
                    break;
                }
            }
            return;
        }
        // From here on the stanza travels with its parsed addresses: 'from' is the session's full JID (stamped
        // above), 'to' parsed once; the relay and the services it reaches never parse them again.
        RoutedStanza routed = new RoutedStanza(core, fullJid, to, session);
        if (addressedToOtherDomain(to)) {
            // A component (the chat service) or another server: the relay delivers it, never a server module
            // that happens to know the payload's namespace (a disco#info to a room is the room's to answer).
            relayTo(routed);
            return;
        }
        if (core instanceof IQStanza && addressedToResource(to)) {
            // RFC 6120 §10.5.4: an IQ to a full JID is for that resource, not for a server module that happens
            // to know its namespace (Vysper would answer a version or disco query to a client itself).
            relayTo(routed);
            return;
        }
        ServerCaps caps = to == null || to.getNode() == null ? ServerCaps.of(runtime) : null;
        XMPPCoreStanza handled = caps == null ? core : XMPPCoreStanza.getWrapper(caps.unversioned(core)); // XEP-0115 §6.2
        StanzaHandler handler = runtime.getHandler(handled);
        if (handler == null || !handler.verify(handled)) {
            if (StanzaErrors.answerable(core)) {
                reply(session, core, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
            }
            return;
        }
        execute(session, handler, handled);
        if ("presence".equals(core.getName()) && toAttribute == null) {
            for (BiConsumer<Entity, Stanza> observer : presenceObservers) {
                try {
                    observer.accept(fullJid, stamped);
                } catch (RuntimeException e) {
                    LOG.error("presence observer failed on presence from {}", fullJid, e);
                }
            }
        }
    }

    private boolean addressedToOtherDomain(Entity to) {
        return to != null && !to.getDomain().equals(runtime.getServerEnitity().getDomain());
    }

    private static boolean addressedToResource(Entity to) {
        return to != null && to.getNode() != null && to.isResourceSet();
    }

    private void relayTo(RoutedStanza routed) {
        StanzaRelay relay = runtime.getStanzaRelay();
        if (relay instanceof LocalRelay local) {
            local.relay(routed, true);
            return;
        }
        try {
            relay.relay(routed.to(), routed.stanza(), new ReturnErrorToSenderFailureStrategy(relay));
        } catch (DeliveryException e) {
            LOG.warn("could not relay {} to {}: {}", routed.name(), routed.to(), e.toString());
        }
    }

    private void execute(ParleySession session, StanzaHandler handler, XMPPCoreStanza stanza) {
        try {
            // The session's runtime: Vysper's resource look-ups are scoped to the sender's account.
            ResponseStanzaContainer response = handler.execute(stanza, session.getServerRuntimeContext(), true,
                    session, session.stateHolder());
            if (response != null && response.getResponseStanza() != null) {
                session.write(fromAddressee(stanza, response.getResponseStanza()));
            }
        } catch (ProtocolException e) {
            LOG.debug("handler {} refused {}: {}", handler.getName(), stanza.getName(), e.getMessage());
            if (StanzaErrors.isRequest(stanza)) {
                reply(session, stanza, StanzaErrorCondition.BAD_REQUEST, null);
            }
        } catch (Exception e) {
            LOG.error("handler {} failed on {} from {}", handler.getName(), stanza.getName(), stanza.getFrom(), e);
            if (StanzaErrors.isRequest(stanza) || StanzaErrors.isMessage(stanza) && StanzaErrors.answerable(stanza)) {
                reply(session, stanza, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null);
            }
        }
    }

    /**
     * Some Vysper handlers reply without 'from'; a client then cannot tell the reply from a spoof
     * (Smack drops it). The reply is from whom the request was addressed to (RFC 6120 §8.1.2.1).
     */
    private static Stanza fromAddressee(Stanza request, Stanza response) {
        String to = request.getAttributeValue("to");
        if (response.getAttributeValue("from") != null || to == null) {
            return response;
        }
        return StanzaBuilder.createClone(response, true, List.of(new Attribute("from", to))).build();
    }

    private static void reply(ParleySession session, Stanza stanza, StanzaErrorCondition condition, String text) {
        if (StanzaErrors.answerable(stanza)) {
            session.write(StanzaErrors.error(stanza, condition, text));
        }
    }

    /**
     * A disco#info request for a node without 'to' is about the sender's own account: RFC 6120 §10.3.3 has
     * the server handle an IQ without 'to' on behalf of the account, and that is where its nodes live (the
     * PEP nodes of XEP-0163, which clients such as Smack's PepManager query without 'to' before creating
     * or using one). Left to Vysper, it would be a node of the server itself. A disco#info without a node
     * stays the server's, which is what clients asking for server features without 'to' expect.
     */
    static Stanza toOwnAccount(Entity fullJid, Stanza stanza) {
        if (!"iq".equals(stanza.getName()) || stanza.getAttributeValue("to") != null
                || !"get".equals(stanza.getAttributeValue("type")) || stanza.getInnerElements().size() != 1) {
            return stanza;
        }
        var query = stanza.getInnerElements().get(0);
        String node = query.getAttributeValue("node");
        if (!"query".equals(query.getName()) || !DISCO_INFO.equals(query.getNamespaceURI())
                || node == null || node.isEmpty()) {
            return stanza;
        }
        return StanzaBuilder.createClone(stanza, true,
                List.of(new Attribute("to", fullJid.getBareJID().getFullQualifiedName()))).build();
    }

    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";

    /**
     * The server stamps every stanza with the sender's full JID (RFC 6120 §8.1.2.1); a 'from' naming
     * anyone else is a stream error.
     */
    static Stanza stampFrom(Entity fullJid, Stanza stanza) throws StreamErrorException {
        String from = stanza.getAttributeValue("from");
        if (from != null) {
            Entity claimed;
            try {
                claimed = JidCache.parse(from);
            } catch (EntityFormatException | RuntimeException e) {
                throw new StreamErrorException(StreamErrorCondition.INVALID_FROM, "malformed 'from'");
            }
            if (claimed.equals(fullJid)) {
                return stanza;
            }
            if (!claimed.equals(fullJid.getBareJID())) {
                throw new StreamErrorException(StreamErrorCondition.INVALID_FROM,
                        "'from' does not match the authenticated address");
            }
        }
        Stanza built = StanzaBuilder.createClone(stanza, true,
                List.of(new Attribute("from", fullJid.getFullQualifiedName()))).build();
        return built;
    }
}
