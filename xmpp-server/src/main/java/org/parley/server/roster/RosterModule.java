package org.parley.server.roster;

import java.util.List;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.DefaultModule;
import org.apache.vysper.xmpp.modules.core.im.handler.PresenceHandler;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.ProtocolException;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.parley.server.routing.SessionRegistry;

/**
 * Rosters and presence subscriptions (RFC 6121 §2–§3) as a Vysper module. It takes over
 * {@code jabber:iq:roster} and subscription presence from Vysper's roster module, keeps Vysper's
 * availability handling (broadcast, probes, directed presence), and re-delivers pending subscription
 * requests when a resource sends its initial presence.
 */
public final class RosterModule extends DefaultModule {

    private final RosterIqHandler rosterIq;
    private final SubscriptionHandler subscriptions;
    private final AvailabilityHandler availability;

    public RosterModule(RosterService rosters, SessionRegistry registry, Predicate<Entity> localAccount,
                        String domain) {
        this.subscriptions = new SubscriptionHandler(rosters, registry, localAccount, domain);
        this.rosterIq = new RosterIqHandler(rosters, registry, subscriptions);
        this.availability = new AvailabilityHandler(registry, subscriptions);
    }

    @Override
    public String getName() {
        return "Parley roster (RFC 6121)";
    }

    @Override
    public String getVersion() {
        return "1.0";
    }

    @Override
    public void initialize(ServerRuntimeContext runtime) {
        super.initialize(runtime);
        subscriptions.setRuntime(runtime);
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new Dictionary());
    }

    /** Picks the handler by what the stanza is, not by the namespace of its only child. */
    private final class Dictionary implements HandlerDictionary {
        @Override
        public void register(StanzaHandler stanzaHandler) {
            throw new UnsupportedOperationException("fixed dictionary");
        }

        @Override
        public void seal() {
        }

        @Override
        public StanzaHandler get(Stanza stanza) {
            if ("presence".equals(stanza.getName())) {
                PresenceStanza presence = (PresenceStanza) XMPPCoreStanza.getWrapper(stanza);
                return SubscriptionHandler.isSubscription(presence.getPresenceType()) ? subscriptions : availability;
            }
            if ("iq".equals(stanza.getName()) && stanza.getInnerElements().size() == 1) {
                XMLElement query = stanza.getFirstInnerElement();
                if ("query".equals(query.getName()) && RosterService.NS.equals(query.getNamespaceURI())) {
                    return rosterIq;
                }
            }
            return null;
        }
    }

    /**
     * Vysper's availability handling, plus pending subscription requests on initial presence and Parley's
     * answer to presence probes (RFC 6121 §4.3.2).
     */
    private static final class AvailabilityHandler implements StanzaHandler {
        private final PresenceHandler vysper = new PresenceHandler();
        private final SessionRegistry registry;
        private final SubscriptionHandler subscriptions;

        AvailabilityHandler(SessionRegistry registry, SubscriptionHandler subscriptions) {
            this.registry = registry;
            this.subscriptions = subscriptions;
        }

        @Override
        public String getName() {
            return vysper.getName();
        }

        @Override
        public boolean verify(Stanza stanza) {
            return vysper.verify(stanza);
        }

        @Override
        public boolean isSessionRequired() {
            return vysper.isSessionRequired();
        }

        @Override
        public ResponseStanzaContainer execute(Stanza stanza, ServerRuntimeContext runtime, boolean outbound,
                                               SessionContext session, SessionStateHolder state)
                throws ProtocolException {
            if (!outbound && "probe".equals(stanza.getAttributeValue("type"))) {
                subscriptions.answerProbe(session.getInitiatingEntity().getBareJID(), session, stanza.getFrom());
                return null;
            }
            boolean initial = outbound && stanza.getAttributeValue("to") == null
                    && stanza.getAttributeValue("type") == null
                    && registry.bindingOf(session).map(b -> !ResourceState.isAvailable(b.state())).orElse(false);
            ResponseStanzaContainer response = vysper.execute(stanza, runtime, outbound, session, state);
            if (initial) {
                subscriptions.deliverPending(session.getInitiatingEntity(), session);
            }
            return response;
        }
    }
}
