package org.parley.server.im;

import java.util.Optional;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.authorization.AccountManagement;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.ReturnErrorToSenderFailureStrategy;
import org.apache.vysper.xmpp.modules.core.base.handler.DefaultIQHandler;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.parser.StanzaParsing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Common ground of the per-account IQ handlers (vcard-temp, private XML): Vysper picks a handler by the
 * payload's namespace whatever the IQ's address, so requests this server must not answer itself (to a
 * full JID, to another domain, responses between clients) are relayed here, inbound deliveries are
 * passed through to the receiving client, and only requests for local accounts reach
 * {@link #handleGet}/{@link #handleSet}.
 */
abstract class AccountIqHandler extends DefaultIQHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AccountIqHandler.class);

    private final String elementName;
    private final String namespace;

    AccountIqHandler(String elementName, String namespace) {
        this.elementName = elementName;
        this.namespace = namespace;
    }

    @Override
    protected boolean verifyNamespace(Stanza stanza) {
        return verifyInnerNamespace(stanza, namespace);
    }

    /** The payload must be our element; error IQs (payload plus error) are accepted so they can be relayed. */
    @Override
    protected boolean verifyInnerElement(Stanza stanza) {
        XMLElement first = stanza.getFirstInnerElement();
        return first != null && elementName.equals(first.getName());
    }

    @Override
    public ResponseStanzaContainer execute(Stanza stanza, ServerRuntimeContext serverRuntimeContext,
            boolean isOutboundStanza, SessionContext sessionContext, SessionStateHolder sessionStateHolder) {
        if (!isOutboundStanza) {
            // Delivery of an IQ to the session's own client: nothing for the server to do.
            if (sessionContext != null) {
                sessionContext.getResponseWriter().write(stanza);
            }
            return null;
        }
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stanza);
        if (!(core instanceof IQStanza iq)) {
            return null;
        }
        Entity to = iq.getTo();
        String domain = serverRuntimeContext.getServerEnitity().getDomain();
        if (to != null && (to.isResourceSet() || !domain.equals(to.getDomain()))) {
            // A client's resource, a component or a remote domain answers this, not the server.
            return relay(iq, to, serverRuntimeContext);
        }
        IQStanzaType type = iq.getIQType();
        if (type == IQStanzaType.RESULT || type == IQStanzaType.ERROR) {
            // Never answer a response (RFC 6120 §8.2.3); pass it on if it is meant for another account.
            Entity requester = requester(iq, sessionContext);
            if (to != null && to.getNode() != null && !to.equals(requester)) {
                relay(iq, to, serverRuntimeContext);
            }
            return null;
        }
        return super.execute(stanza, serverRuntimeContext, isOutboundStanza, sessionContext, sessionStateHolder);
    }

    private ResponseStanzaContainer relay(IQStanza iq, Entity to, ServerRuntimeContext serverRuntimeContext) {
        try {
            serverRuntimeContext.getStanzaRelay().relay(to, iq,
                    new ReturnErrorToSenderFailureStrategy(serverRuntimeContext.getStanzaRelay()));
            return null;
        } catch (DeliveryException | RuntimeException e) {
            LOG.warn("relaying {} IQ to {} failed: {}", namespace, to, e.toString());
            if (iq.getIQType() == IQStanzaType.GET || iq.getIQType() == IQStanzaType.SET) {
                return new ResponseStanzaContainerImpl(
                        error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, StanzaErrorType.CANCEL));
            }
            return null;
        }
    }

    @Override
    protected Stanza handleResult(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        return null;
    }

    @Override
    protected void handleError(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        // dropped: errors are never answered
    }

    /** The requesting account's bare JID: the session's authenticated entity. */
    static Entity requester(IQStanza iq, SessionContext sessionContext) {
        if (sessionContext != null && sessionContext.getInitiatingEntity() != null) {
            return sessionContext.getInitiatingEntity().getBareJID();
        }
        return iq.getFrom() == null ? null : iq.getFrom().getBareJID();
    }

    /** Whether the request is addressed to the requester's own account: no 'to', or its bare JID. */
    static boolean addressedToSelf(IQStanza iq, Entity requester) {
        Entity to = iq.getTo();
        return to == null || (requester != null && to.getBareJID().equals(requester));
    }

    /** Whether a local account exists; true when the server has no account registry to ask. */
    static boolean accountExists(ServerRuntimeContext serverRuntimeContext, Entity jid) {
        Object provider = serverRuntimeContext.getStorageProvider(AccountManagement.class);
        if (provider instanceof AccountManagement accounts) {
            return accounts.verifyAccountExists(jid);
        }
        return true;
    }

    /**
     * A result to {@code request}: from the address it was sent to (absent if it had none), to the
     * requester's full JID, same id.
     */
    static StanzaBuilder result(IQStanza request, SessionContext sessionContext) {
        return StanzaBuilder.createIQStanza(request.getTo(), replyTo(request, sessionContext), IQStanzaType.RESULT,
                request.getID());
    }

    /** An error reply without the original payload (RFC 6120 §8.3.1 makes it optional). */
    static Stanza error(IQStanza request, StanzaErrorCondition condition, StanzaErrorType type) {
        StanzaBuilder reply = StanzaBuilder.createIQStanza(request.getTo(), request.getFrom(), IQStanzaType.ERROR,
                request.getID());
        reply.startInnerElement("error", NamespaceURIs.JABBER_CLIENT).addAttribute("type", type.value());
        reply.startInnerElement(condition.value(), NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS)
                .endInnerElement();
        reply.endInnerElement();
        return reply.build();
    }

    private static Entity replyTo(IQStanza request, SessionContext sessionContext) {
        if (request.getFrom() != null) {
            return request.getFrom();
        }
        return sessionContext == null ? null : sessionContext.getInitiatingEntity();
    }

    /**
     * Parses stored XML back into an element; empty when it is not one {@code <name xmlns='ns'>} element
     * (logged: stored data should never be corrupt).
     */
    static Optional<XMLElement> parseStored(String xml, String name, String ns, String owner) {
        try {
            XMLElement parsed = StanzaParsing.parse(xml);
            if (!name.equals(parsed.getName()) || !ns.equals(parsed.getNamespaceURI())) {
                LOG.warn("stored <{} xmlns='{}'> of {} holds <{} xmlns='{}'>; ignored", name, ns, owner,
                        parsed.getName(), parsed.getNamespaceURI());
                return Optional.empty();
            }
            return Optional.of(parsed);
        } catch (IllegalArgumentException e) {
            LOG.warn("stored <{} xmlns='{}'> of {} is unreadable: {}", name, ns, owner, e.getMessage());
            return Optional.empty();
        }
    }
}
