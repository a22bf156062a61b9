package org.parley.server.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.delivery.StanzaRelay;
import org.apache.vysper.xmpp.delivery.failure.DeliveryFailureStrategy;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.protocol.StanzaProcessor;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.MessageStanza;
import org.apache.vysper.xmpp.stanza.MessageStanzaType;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.metrics.ServerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers stanzas to local users and components, synchronously, on the thread of the session that sent
 * them.
 *
 * <p>Because every session processes its input in order on its own serial executor, and delivery happens
 * inside that processing, stanzas from one sender reach each recipient in the order sent (RFC 6120
 * §10.1). Vysper's own relay hands each stanza to a thread pool and measurably reorders them.
 *
 * <p>Delivery rules are RFC 6121 §8.5: to a full JID if that resource is online, else as the stanza type
 * says; to a bare JID, messages go to the available resources of highest non-negative priority, or into
 * offline storage (XEP-0160). Failures are answered with the right stanza error unless the caller asked
 * to ignore them. This class is the seam a clustered router replaces.
 */
public final class LocalRelay implements StanzaRelay {

    private static final Logger LOG = LoggerFactory.getLogger(LocalRelay.class);

    /** Inbound processing never changes the receiving session's state. */
    private static final SessionStateHolder INBOUND_STATE = new SessionStateHolder() {
        @Override
        public SessionState getState() {
            return SessionState.AUTHENTICATED;
        }

        @Override
        public void setState(SessionState newState) {
            throw new UnsupportedOperationException("inbound delivery cannot change session state");
        }
    };

    /** Where messages for offline users go. */
    public interface OfflineSink {
        /** Stores the stanza for its recipient; false when the recipient's queue is full. */
        boolean offer(Entity recipient, Stanza stanza);
    }

    private final Entity serverEntity;
    private final SessionRegistry registry;
    private final Predicate<String> accountExists;
    private volatile ServerRuntimeContext runtime;
    private volatile OfflineSink offline;
    private final List<DeliveryHook> hooks = new CopyOnWriteArrayList<>();
    private final List<RouteGuard> guards = new CopyOnWriteArrayList<>();
    private volatile RemoteRoutes remote;

    /**
     * Cluster mode (issue 19): routes whose session lives on another node. Consulted before every local
     * routing decision, including the error replies and redeliveries this relay generates itself.
     */
    public interface RemoteRoutes {
        /** Sends the stanza to the node that serves its addressee; false when this node is the one. */
        boolean forward(RoutedStanza routed, boolean answerFailures);
    }

    public LocalRelay(Entity serverEntity, SessionRegistry registry, Predicate<String> accountExists) {
        this.serverEntity = serverEntity;
        this.registry = registry;
        this.accountExists = accountExists;
    }

    /** Completes the wiring: the runtime is built with this relay, so it arrives afterwards. */
    public void setRuntime(ServerRuntimeContext runtime, OfflineSink offline) {
        this.runtime = runtime;
        this.offline = offline;
    }

    /** Installs the cluster's routes (issue 19); null for a single node. */
    public void setRemoteRoutes(RemoteRoutes routes) {
        this.remote = routes;
    }

    /**
     * Routes a stanza that another cluster node forwarded here because this node serves its addressee: the
     * route guards already ran on the sending node, and the decision is not forwarded again.
     */
    public void routeHere(RoutedStanza routed, boolean answerFailures) {
        try {
            routeLocally(routed, answerFailures);
        } catch (RuntimeException e) {
            LOG.error("delivery of {} to {} failed", routed.name(), routed.to(), e);
            if (answerFailures) {
                bounce(routed, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null);
            }
        }
    }

    /** Adds a feature that sees messages between local accounts (archive, carbons). */
    public void addHook(DeliveryHook hook) {
        hooks.add(hook);
    }

    /** Adds a policy that may stop stanzas before they are routed (blocking, XEP-0191). */
    public void addGuard(RouteGuard guard) {
        guards.add(guard);
    }

    /**
     * Vysper's relay interface, for its own handlers (presence, roster): they hand over a parsed addressee
     * and a stanza whose 'from' is only text, parsed here through the bounded {@link JidCache}.
     */
    @Override
    public void relay(Entity receiver, Stanza stanza, DeliveryFailureStrategy failureStrategy) {
        ServerMetrics meters = metrics;
        if (meters != null && receiver != null && receiver.getNode() != null && "message".equals(stanza.getName())
                && receiver.getDomain().equals(serverEntity.getDomain())) {
            long started = System.nanoTime();
            relayNow(receiver, stanza, failureStrategy);
            meters.delivered(stanza.getAttributeValue("type"), System.nanoTime() - started);
            return;
        }
        relayNow(receiver, stanza, failureStrategy);
    }

    /** Times deliveries of messages to local accounts (parley_delivery_seconds); null: not measured. */
    private volatile ServerMetrics metrics;

    public void measureDeliveries(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    private void relayNow(Entity receiver, Stanza stanza, DeliveryFailureStrategy failureStrategy) {
        boolean answerFailures = failureStrategy != null && !(failureStrategy instanceof IgnoreFailureStrategy);
        relay(RoutedStanza.of(receiver, stanza), answerFailures);
    }

    /**
     * Routes a stanza whose addresses are already parsed: the way the dispatcher and Parley's modules hand
     * stanzas on. {@code answerFailures} asks for the stanza error the sender is owed when the stanza cannot
     * be delivered; false drops it silently (e.g. a room's fan-out to an occupant that just left).
     */
    public void relay(RoutedStanza routed, boolean answerFailures) {
        try {
            Entity receiver = routed.to();
            if (receiver != null) {
                for (RouteGuard guard : guards) {
                    RouteGuard.Refusal refusal = guard.check(receiver, routed.stanza());
                    if (refusal != null) {
                        if (answerFailures && refusal.error() != null) {
                            route(RoutedStanza.of(refusal.error()), false);
                        }
                        return;
                    }
                }
            }
            route(routed, answerFailures);
        } catch (RefusedException e) {
            if (answerFailures) {
                bounce(routed, e.condition(), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("delivery of {} to {} failed", routed.name(), routed.to(), e);
            if (answerFailures) {
                bounce(routed, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null);
            }
        }
    }

    private void route(RoutedStanza routed, boolean answerFailures) {
        RemoteRoutes routes = remote;
        if (routes != null && routes.forward(routed, answerFailures)) {
            return;
        }
        routeLocally(routed, answerFailures);
    }

    private void routeLocally(RoutedStanza routed, boolean answerFailures) {
        Entity receiver = routed.to();
        if (receiver == null) {
            // No 'to': addressed to the sender's own account (RFC 6120 §10.3).
            if (routed.from() == null) {
                return;
            }
            receiver = routed.from().getBareJID();
        }
        if (!receiver.getDomain().equals(serverEntity.getDomain())) {
            StanzaProcessor component = runtime.getComponentStanzaProcessor(receiver);
            if (component instanceof RoutedStanzaProcessor parleys) {
                parleys.process(routed);
            } else if (component != null) {
                component.processStanza(runtime, null, routed.stanza(), null);
            } else if (answerFailures) {
                // No server-to-server links: every other domain is unreachable (RFC 6120 §8.3.3.15).
                bounce(routed, StanzaErrorCondition.REMOTE_SERVER_NOT_FOUND, null);
            }
            return;
        }
        if (receiver.getNode() == null) {
            // The server itself: its handlers already ran when the stanza was processed.
            return;
        }
        // An online user certainly has an account: ask the store only for users with no session, so the
        // common delivery path does no database round trip.
        if (registry.bindingsOf(receiver).isEmpty() && !accountExists.test(receiver.getNode())) {
            noSuchUser(routed, answerFailures);
            return;
        }
        Stanza stanza = routed.stanza();
        // The hooks (archive, carbons) concern 1:1 messages; a room keeps its own archive (XEP-0313 §5) and
        // carbons never copy groupchat (XEP-0280 §6), so a room's fan-out skips them.
        boolean hooked = !hooks.isEmpty() && !(stanza instanceof Redelivery)
                && !"groupchat".equals(stanza.getAttributeValue("type"));
        if (answerFailures && hooked && MessageStanza.isOfType(stanza) && !(stanza instanceof Prehooked)) {
            Entity from = routed.from();
            if (isLocalUser(from)) {
                for (DeliveryHook hook : hooks) {
                    stanza = hook.sent(from, receiver, stanza);
                }
                routed = routed.withStanza(stanza);
            }
        }
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stanza);
        if (receiver.isResourceSet()) {
            var binding = registry.find(receiver);
            if (binding.isPresent()) {
                if (core instanceof MessageStanza && hooked) {
                    Stanza received = receiving(receiver.getBareJID(), stanza);
                    deliver(binding.get().session(), received);
                    delivered(receiver.getBareJID(), received, List.of(binding.get().session()));
                    return;
                }
                deliver(binding.get().session(), stanza);
                return;
            }
            toUnavailableResource(receiver, routed, core, answerFailures, hooked);
            return;
        }
        toBareJid(receiver, routed, core, answerFailures, hooked);
    }

    /** RFC 6121 §8.5.3.2: the full JID is not online. */
    private void toUnavailableResource(Entity receiver, RoutedStanza routed, XMPPCoreStanza core,
                                       boolean answerFailures, boolean hooked) {
        if (core instanceof MessageStanza message) {
            MessageStanzaType type = message.getMessageType();
            if (type == MessageStanzaType.NORMAL || type == MessageStanzaType.CHAT
                    || type == MessageStanzaType.HEADLINE) {
                toBareJid(receiver.getBareJID(), routed, core, answerFailures, hooked);
            } else if (type == MessageStanzaType.GROUPCHAT && answerFailures) {
                bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
            }
        } else if (core instanceof PresenceStanza presence) {
            if (isSubscriptionPresence(presence.getPresenceType())) {
                toBareJid(receiver.getBareJID(), routed, core, answerFailures, hooked);
            }
        } else if (core instanceof IQStanza && answerFailures) {
            bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
    }

    /**
     * Gives a message that a session never acknowledged (XEP-0198 §5: the session ended before its client
     * confirmed it) another way in: the account's other resources, or offline storage (RFC 6121 §8.5.2).
     * The delivery hooks already saw it when it was first routed, so it is not archived or copied again.
     */
    public void reroute(Entity account, Stanza message) {
        Stanza redelivery = message instanceof Redelivery ? message : new Redelivery(message);
        route(new RoutedStanza(redelivery, JidCache.parseOrNull(message.getAttributeValue("from")),
                account.getBareJID(), null), false);
    }

    /** RFC 6121 §8.5.2: a local account, addressed by bare JID. */
    private void toBareJid(Entity receiver, RoutedStanza routed, XMPPCoreStanza core, boolean answerFailures,
                           boolean hooked) {
        List<SessionRegistry.Binding> bindings = registry.bindingsOf(receiver);
        if (core instanceof MessageStanza message) {
            MessageStanzaType type = message.getMessageType();
            switch (type) {
                case NORMAL, CHAT -> {
                    // Prehooked: archived on the sender's cluster node; core is a fresh wrapper that no longer says so.
                    Stanza received = hooked && !(routed.stanza() instanceof Prehooked) ? receiving(receiver, core) : core;
                    List<SessionContext> best = highestPriority(bindings);
                    if (!best.isEmpty()) {
                        best.forEach(s -> deliver(s, received));
                    } else if (offline == null || !offline.offer(receiver, received)) {
                        if (answerFailures) {
                            bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, "recipient's offline storage is full");
                        }
                    }
                    if (hooked) {
                        delivered(receiver, received, best);
                    }
                }
                case HEADLINE -> bindings.stream().filter(SessionRegistry.Binding::receivesBareJidMessages)
                        .forEach(b -> deliver(b.session(), core));
                case GROUPCHAT -> {
                    if (answerFailures) {
                        bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
                    }
                }
                default -> { } // errors to an account are dropped (RFC 6121 §8.5.2.1.1)
            }
        } else if (core instanceof PresenceStanza presence) {
            if (!bindings.isEmpty()) {
                bindings.forEach(b -> deliver(b.session(), core));
            } else if (isSubscriptionPresence(presence.getPresenceType()) && offline != null) {
                // Kept and delivered at next login (RFC 6121 §3.1.3).
                offline.offer(receiver, core);
            }
        } else if (core instanceof IQStanza && answerFailures) {
            // No handler answered on the account's behalf (RFC 6121 §8.5.2.1.3 / RFC 6120 §10.5.3.2).
            bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
    }

    /**
     * Cluster (issue 19): a 1:1 message to a local account that is about to be forwarded to the node serving
     * that account. The hooks that store it (the archive, for sender and recipient) and copy it to the
     * sender's resources (sent carbons) run here, on the sender's node, as they would for a local delivery:
     * the sender's XEP-0198 acknowledgement then waits for the archive commit ({@code DurableWrites}), so what
     * was acknowledged is kept even if the receiving node dies before it delivers. Returns what to forward,
     * marked {@link Prehooked}; anything else is returned as it is.
     */
    public RoutedStanza hookBeforeForwarding(RoutedStanza routed, Entity receiver, boolean answerFailures) {
        Stanza stanza = routed.stanza();
        if (hooks.isEmpty() || stanza instanceof Redelivery || stanza instanceof Prehooked
                || !MessageStanza.isOfType(stanza) || "groupchat".equals(stanza.getAttributeValue("type"))
                || !isLocalUser(receiver)) {
            return routed;
        }
        Entity from = routed.from();
        if (answerFailures && isLocalUser(from)) {
            for (DeliveryHook hook : hooks) {
                stanza = hook.sent(from, receiver, stanza);
            }
        }
        return routed.withStanza(new Prehooked(receiving(receiver.getBareJID(), stanza)));
    }

    private Stanza receiving(Entity recipientBare, Stanza message) {
        if (StanzaErrors.isError(message) || message instanceof Prehooked) {
            return message;
        }
        Stanza result = message;
        for (DeliveryHook hook : hooks) {
            result = hook.receiving(recipientBare, result);
        }
        return result;
    }

    private void delivered(Entity recipientBare, Stanza message, List<SessionContext> sessions) {
        if (StanzaErrors.isError(message)) {
            return;
        }
        for (DeliveryHook hook : hooks) {
            hook.delivered(recipientBare, message, sessions);
        }
    }

    private boolean isLocalUser(Entity entity) {
        return entity != null && entity.getNode() != null && entity.getDomain().equals(serverEntity.getDomain());
    }

    private static List<SessionContext> highestPriority(List<SessionRegistry.Binding> bindings) {
        int best = Integer.MIN_VALUE;
        List<SessionContext> result = new ArrayList<>();
        for (SessionRegistry.Binding b : bindings) {
            if (!b.receivesBareJidMessages()) {
                continue;
            }
            if (b.priority() > best) {
                best = b.priority();
                result.clear();
            }
            if (b.priority() == best) {
                result.add(b.session());
            }
        }
        return result;
    }

    private static boolean isSubscriptionPresence(PresenceStanzaType type) {
        return type == PresenceStanzaType.SUBSCRIBE || type == PresenceStanzaType.SUBSCRIBED
                || type == PresenceStanzaType.UNSUBSCRIBE || type == PresenceStanzaType.UNSUBSCRIBED;
    }

    /** RFC 6121 §8.5.1: the account does not exist. */
    private void noSuchUser(RoutedStanza routed, boolean answerFailures) {
        XMPPCoreStanza core = XMPPCoreStanza.getWrapper(routed.stanza());
        if (core instanceof PresenceStanza presence) {
            if (presence.getPresenceType() == PresenceStanzaType.SUBSCRIBE && routed.from() != null) {
                // Tell the requester there is nobody to subscribe to (RFC 6121 §3.1.3).
                Entity requester = routed.from().getBareJID();
                Entity nobody = routed.to().getBareJID();
                Stanza unsubscribed = StanzaBuilder.createPresenceStanza(nobody, requester, null,
                        PresenceStanzaType.UNSUBSCRIBED, null, null).build();
                route(new RoutedStanza(unsubscribed, nobody, requester, null), false);
            }
            return;
        }
        if (answerFailures) {
            bounce(routed, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
    }

    /** Sends an error reply for {@code routed} back to its sender. */
    private void bounce(RoutedStanza routed, StanzaErrorCondition condition, String text) {
        if (routed.from() == null || !StanzaErrors.answerable(routed.stanza())) {
            return;
        }
        Stanza error = StanzaErrors.error(routed.stanza(), condition, text);
        route(new RoutedStanza(error, JidCache.parseOrNull(error.getAttributeValue("from")), routed.from(), null),
                false);
    }

    /**
     * Runs Vysper's inbound handling of {@code stanza} for the receiving session (presence bookkeeping,
     * roster pushes), which finally writes it to that session's transport.
     */
    public void deliver(SessionContext session, Stanza stanza) {
        if (session.getState() != SessionState.AUTHENTICATED) {
            return;
        }
        // Only presence needs inbound processing (presence state, roster). IQs are for the addressed resource
        // to answer (RFC 6120 §8.2.3); messages are written as they are (a handler chosen by the payload's
        // namespace, e.g. carbons, must not swallow them); errors change no state, and Vysper's inbound
        // presence handling throws on them.
        StanzaHandler handler = PresenceStanza.isOfType(stanza) && !"error".equals(stanza.getAttributeValue("type"))
                ? runtime.getHandler(stanza) : null;
        if (handler == null) {
            session.getResponseWriter().write(stanza);
            return;
        }
        try {
            // The recipient session's runtime: Vysper's resource look-ups are scoped to the recipient's account.
            ResponseStanzaContainer response = handler.execute(stanza, session.getServerRuntimeContext(), false,
                    session, INBOUND_STATE);
            if (response != null && response.getResponseStanza() != null) {
                session.getResponseWriter().write(response.getResponseStanza());
            }
        } catch (Exception e) {
            LOG.error("inbound handling of {} for {} failed", stanza.getName(), session.getInitiatingEntity(), e);
        }
    }
}
