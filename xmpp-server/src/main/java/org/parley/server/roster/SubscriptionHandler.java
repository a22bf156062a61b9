package org.parley.server.roster;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.DeliveryFailureStrategy;
import org.slf4j.LoggerFactory;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.delivery.failure.ReturnErrorToSenderFailureStrategy;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.apache.vysper.xmpp.state.presence.PresenceCachingException;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.storage.RosterEntry;

/**
 * Presence subscriptions, RFC 6121 §3, including pre-approval (§3.4).
 *
 * <p>Both ends of a subscription between local users are processed here, once per stanza, when the
 * sender's server handles it: the sender's roster first (the "outbound" rules), then the recipient's
 * (the "inbound" rules), after which the recipient's available resources are told. Vysper's handler ran
 * the inbound rules once per receiving session and kept a single 'ask' state for both directions, so
 * simultaneous requests were lost and approvals without a request were accepted; this replaces it.
 */
final class SubscriptionHandler implements StanzaHandler {

    private final RosterService rosters;
    private final SessionRegistry registry;
    private final Predicate<Entity> localAccount;
    private final String domain;
    private volatile ServerRuntimeContext runtime;

    SubscriptionHandler(RosterService rosters, SessionRegistry registry, Predicate<Entity> localAccount,
                        String domain) {
        this.rosters = rosters;
        this.registry = registry;
        this.localAccount = localAccount;
        this.domain = domain;
    }

    void setRuntime(ServerRuntimeContext runtime) {
        this.runtime = runtime;
    }

    @Override
    public String getName() {
        return "presence-subscription";
    }

    @Override
    public boolean verify(Stanza stanza) {
        return stanza != null && "presence".equals(stanza.getName());
    }

    @Override
    public boolean isSessionRequired() {
        return true;
    }

    static boolean isSubscription(PresenceStanzaType type) {
        return type == PresenceStanzaType.SUBSCRIBE || type == PresenceStanzaType.SUBSCRIBED
                || type == PresenceStanzaType.UNSUBSCRIBE || type == PresenceStanzaType.UNSUBSCRIBED;
    }

    @Override
    public ResponseStanzaContainer execute(Stanza stanza, ServerRuntimeContext runtime, boolean outbound,
                                           SessionContext session, SessionStateHolder state) {
        if (!outbound) {
            // Already applied to the recipient's roster when it was sent; this is only delivery.
            session.getResponseWriter().write(stanza);
            return null;
        }
        PresenceStanza presence = (PresenceStanza) XMPPCoreStanza.getWrapper(stanza);
        Entity to = presence.getTo();
        if (to == null) {
            return null; // a subscription needs an addressee (RFC 6121 §3.1.1)
        }
        Entity user = session.getInitiatingEntity().getBareJID();
        Entity contact = to.getBareJID();
        boolean forward;
        synchronized (rosters.lockFor(user)) {
            forward = switch (presence.getPresenceType()) {
                case SUBSCRIBE -> outboundSubscribe(user, contact);
                case SUBSCRIBED -> outboundSubscribed(user, contact);
                case UNSUBSCRIBE -> outboundUnsubscribe(user, contact);
                case UNSUBSCRIBED -> outboundUnsubscribed(user, contact);
                default -> false;
            };
        }
        if (forward) {
            sendOnBehalf(user, contact, presence.getPresenceType());
        }
        return null;
    }

    // ---- the user's side (RFC 6121 §3.1.2, §3.1.5, §3.3.2, §3.2.2) ----

    private boolean outboundSubscribe(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        RosterEntry e = existing.orElse(fresh(contact));
        if (!Subscription.of(e.subscription()).to() && (!e.askOut() || !e.listed())) {
            rosters.save(user, with(e, e.subscription(), true, e.pendingIn(), e.approved(), true), wasListed(existing));
        }
        return true;
    }

    private boolean outboundSubscribed(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        RosterEntry e = existing.orElse(fresh(contact));
        Subscription sub = Subscription.of(e.subscription());
        if (sub.from()) {
            return false; // already approved: nothing to do
        }
        if (e.pendingIn()) {
            // §3.1.5: approving a pending request.
            rosters.save(user, with(e, sub.withFrom(true).value(), e.askOut(), false, false, true), wasListed(existing));
            sendAvailablePresence(user, contact);
            return true;
        }
        if (!e.approved()) {
            // §3.4: no request yet, so this pre-approves one.
            rosters.save(user, with(e, e.subscription(), e.askOut(), false, true, true), wasListed(existing));
        }
        return false;
    }

    private boolean outboundUnsubscribe(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        if (existing.isPresent()) {
            RosterEntry e = existing.get();
            Subscription sub = Subscription.of(e.subscription());
            if (sub.to() || e.askOut()) {
                rosters.save(user, with(e, sub.withTo(false).value(), false, e.pendingIn(), e.approved(), e.listed()),
                        e.listed());
            }
        }
        return true;
    }

    private boolean outboundUnsubscribed(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        if (existing.isEmpty()) {
            return false;
        }
        RosterEntry e = existing.get();
        Subscription sub = Subscription.of(e.subscription());
        if (sub.from()) {
            // §3.2.2: cancel the contact's subscription; it no longer sees the user.
            rosters.save(user, with(e, sub.withFrom(false).value(), e.askOut(), false, false, e.listed()), e.listed());
            sendUnavailable(user, contact);
            return true;
        }
        if (e.pendingIn()) {
            // Deny a pending request.
            RosterEntry denied = with(e, e.subscription(), e.askOut(), false, false, e.listed());
            if (!e.listed() && !denied.askOut()) {
                rosters.delete(user, e);
            } else {
                rosters.save(user, denied, e.listed());
            }
            return true;
        }
        if (e.approved()) {
            // §3.4: withdraw a pre-approval.
            rosters.save(user, with(e, e.subscription(), e.askOut(), false, false, e.listed()), e.listed());
        }
        return false;
    }

    // ---- the recipient's side (RFC 6121 §3.1.3, §3.1.6, §3.3.3, §3.2.3) ----

    /**
     * Delivers a subscription stanza from {@code from} (bare) to {@code to} (bare), applying the
     * recipient's rules; used for what a user sends and for what the server sends in a user's name
     * (e.g. when a roster item is removed, RFC 6121 §2.5.2).
     */
    void sendOnBehalf(Entity from, Entity to, PresenceStanzaType type) {
        if (!domain.equals(to.getDomain()) || to.getNode() == null) {
            // A component, or another server (answered with remote-server-not-found by the relay).
            relay(to, presence(from, to, type), new ReturnErrorToSenderFailureStrategy(runtime.getStanzaRelay()));
            return;
        }
        if (!localAccount.test(to)) {
            if (type == PresenceStanzaType.SUBSCRIBE) {
                // §3.1.3: no such user; tell the requester.
                sendOnBehalf(to, from, PresenceStanzaType.UNSUBSCRIBED);
            }
            return;
        }
        AutoReply reply = AutoReply.NONE;
        synchronized (rosters.lockFor(to)) {
            switch (type) {
                case SUBSCRIBE -> reply = inboundSubscribe(to, from);
                case SUBSCRIBED -> inboundSubscribed(to, from);
                case UNSUBSCRIBE -> inboundUnsubscribe(to, from);
                case UNSUBSCRIBED -> inboundUnsubscribed(to, from);
                default -> { }
            }
        }
        // Answers for the recipient go out after its lock is released (they take the requester's).
        if (reply != AutoReply.NONE) {
            sendOnBehalf(to, from, PresenceStanzaType.SUBSCRIBED);
        }
        if (reply == AutoReply.APPROVED) {
            sendAvailablePresence(to, from);
        }
    }

    /** What the server answers in a user's name to an inbound request. */
    private enum AutoReply {
        NONE,
        /** §3.1.3: the requester is already subscribed; confirm again. */
        ALREADY_SUBSCRIBED,
        /** §3.4: pre-approved; confirm and send current presence. */
        APPROVED
    }

    private AutoReply inboundSubscribe(Entity user, Entity requester) {
        Optional<RosterEntry> existing = rosters.entry(user, requester);
        RosterEntry e = existing.orElse(fresh(requester));
        Subscription sub = Subscription.of(e.subscription());
        if (sub.from()) {
            return AutoReply.ALREADY_SUBSCRIBED;
        }
        if (e.approved()) {
            // §3.4: pre-approved, so approve without asking the user.
            rosters.save(user, with(e, sub.withFrom(true).value(), e.askOut(), false, false, true), wasListed(existing));
            return AutoReply.APPROVED;
        }
        if (!e.pendingIn()) {
            // Remembered without creating a roster item when there is none (§3.1.3).
            rosters.save(user, with(e, e.subscription(), e.askOut(), true, false, existing.isPresent() && e.listed()),
                    wasListed(existing));
        }
        deliverToAvailable(user, presence(requester, user, PresenceStanzaType.SUBSCRIBE));
        return AutoReply.NONE;
    }

    private void inboundSubscribed(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        if (existing.isEmpty() || !existing.get().askOut()) {
            return; // §3.1.6: no pending request, ignore
        }
        RosterEntry e = existing.get();
        rosters.save(user, with(e, Subscription.of(e.subscription()).withTo(true).value(), false, e.pendingIn(),
                e.approved(), true), e.listed());
        deliverToAvailable(user, presence(contact, user, PresenceStanzaType.SUBSCRIBED));
    }

    private void inboundUnsubscribe(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        if (existing.isEmpty()) {
            return;
        }
        RosterEntry e = existing.get();
        Subscription sub = Subscription.of(e.subscription());
        if (!sub.from() && !e.pendingIn()) {
            return;
        }
        RosterEntry updated = with(e, sub.withFrom(false).value(), e.askOut(), false, e.approved(), e.listed());
        if (!e.listed() && !updated.askOut() && !updated.approved()) {
            rosters.delete(user, e);
        } else {
            rosters.save(user, updated, e.listed());
        }
        deliverToAvailable(user, presence(contact, user, PresenceStanzaType.UNSUBSCRIBE));
        if (sub.from()) {
            sendUnavailable(user, contact); // §3.3.3
        }
    }

    private void inboundUnsubscribed(Entity user, Entity contact) {
        Optional<RosterEntry> existing = rosters.entry(user, contact);
        if (existing.isEmpty()) {
            return;
        }
        RosterEntry e = existing.get();
        Subscription sub = Subscription.of(e.subscription());
        if (!sub.to() && !e.askOut()) {
            return; // §3.2.3: nothing to cancel
        }
        rosters.save(user, with(e, sub.withTo(false).value(), false, e.pendingIn(), e.approved(), e.listed()),
                e.listed());
        deliverToAvailable(user, presence(contact, user, PresenceStanzaType.UNSUBSCRIBED));
    }

    // ---- pending requests at login (RFC 6121 §3.1.3) ----

    /** Re-delivers every unanswered subscription request to a resource that just became available. */
    void deliverPending(Entity user, SessionContext session) {
        for (RosterEntry e : rosters.all(user.getBareJID())) {
            if (e.pendingIn()) {
                session.getResponseWriter().write(presence(EntityImpl.parseUnchecked(e.contact()),
                        user.getBareJID(), PresenceStanzaType.SUBSCRIBE));
            }
        }
    }

    // ---- helpers ----

    private void relay(Entity to, Stanza stanza, DeliveryFailureStrategy strategy) {
        try {
            runtime.getStanzaRelay().relay(to, stanza, strategy);
        } catch (DeliveryException e) {
            LoggerFactory.getLogger(SubscriptionHandler.class).warn("could not relay to {}: {}", to, e.toString());
        }
    }

    private static boolean wasListed(Optional<RosterEntry> existing) {
        return existing.map(RosterEntry::listed).orElse(false);
    }

    private static RosterEntry fresh(Entity contact) {
        return new RosterEntry(contact.getBareJID().getFullQualifiedName(), null, "none", false, false, false,
                List.of(), false);
    }

    private static RosterEntry with(RosterEntry e, String subscription, boolean askOut, boolean pendingIn,
                                    boolean approved, boolean listed) {
        return new RosterEntry(e.contact(), e.name(), subscription, askOut, pendingIn, approved, e.groups(), listed);
    }

    private static Stanza presence(Entity from, Entity to, PresenceStanzaType type) {
        return StanzaBuilder.createPresenceStanza(from, to, null, type, null, null).build();
    }

    private void deliverToAvailable(Entity user, Stanza stanza) {
        for (SessionRegistry.Binding binding : registry.availableBindingsOf(user)) {
            binding.session().getResponseWriter().write(stanza);
        }
    }

    /** §3.1.5: after approval, the contact gets the user's current presence from every available resource. */
    private void sendAvailablePresence(Entity user, Entity contact) {
        for (SessionRegistry.Binding binding : registry.availableBindingsOf(user)) {
            sendCurrentPresence(binding, contact);
        }
    }

    /** The last presence a resource broadcast, from its full JID, to {@code to}. */
    private void sendCurrentPresence(SessionRegistry.Binding binding, Entity to) {
        PresenceStanza latest;
        try {
            latest = runtime.getPresenceCache().get(binding.fullJid());
        } catch (PresenceCachingException e) {
            latest = null;
        }
        StanzaBuilder presence = new StanzaBuilder("presence", "jabber:client")
                .addAttribute("from", binding.fullJid().getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName());
        if (latest != null) {
            for (XMLElement child : latest.getInnerElements()) {
                presence.addPreparedElement(child);
            }
        }
        relay(to, presence.build(), IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
    }

    /**
     * RFC 6121 §4.3.2: a probe for {@code user}, delivered to each of its sessions. A subscribed prober gets
     * the last presence of this resource from its full JID, if it is available, or 'unavailable' from the
     * bare JID once when no resource is; an unsubscribed one gets 'unsubscribed', once. (Vysper answered
     * from the bare JID, once per session, with the bare JID's latest presence, so the prober got copies
     * without the resource.)
     */
    void answerProbe(Entity user, SessionContext session, Entity prober) {
        Optional<SessionRegistry.Binding> binding = registry.bindingOf(session);
        if (prober == null || binding.isEmpty()) {
            return;
        }
        boolean subscribed = rosters.entry(user, prober).map(e -> Subscription.of(e.subscription()).from())
                .orElse(false);
        if (ResourceState.isAvailable(binding.get().state()) && subscribed) {
            sendCurrentPresence(binding.get(), prober);
            return;
        }
        // The answers on behalf of the account come from its first session only.
        List<SessionRegistry.Binding> all = registry.bindingsOf(user);
        if (all.isEmpty() || all.get(0) != binding.get()) {
            return;
        }
        if (!subscribed) {
            relay(prober, presence(user.getBareJID(), prober, PresenceStanzaType.UNSUBSCRIBED),
                    IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } else if (registry.availableBindingsOf(user).isEmpty()) {
            relay(prober, presence(user.getBareJID(), prober, PresenceStanzaType.UNAVAILABLE),
                    IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        }
    }

    /** §3.2.2 / §3.3.3: the other side stops seeing the user's resources. */
    private void sendUnavailable(Entity user, Entity contact) {
        for (SessionRegistry.Binding binding : registry.availableBindingsOf(user)) {
            Stanza unavailable = StanzaBuilder.createPresenceStanza(binding.fullJid(), contact, null,
                    PresenceStanzaType.UNAVAILABLE, null, null).build();
            relay(contact, unavailable, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        }
    }
}
