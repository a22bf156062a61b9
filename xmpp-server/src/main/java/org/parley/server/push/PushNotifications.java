package org.parley.server.push;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequestListener;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.config.ServerSettings;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.routing.DeliveryHook;
import org.parley.server.routing.RouteGuard;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.OfflineStore;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.PushStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push Notifications (XEP-0357, {@code urn:xmpp:push:0}). A client enables (§5) or disables (§6) an app
 * server's pubsub node for its account; when a message with a body arrives while none of the account's
 * sessions can receive it (offline, or every receiving session lost its connection and waits for a
 * stream management resumption, XEP-0198 §5), the server publishes a notification to each registered
 * node (§7), with the registration's publish-options. The summary (§7) has the message count; the sender
 * and the text only when the operator allows it ({@code push.include-body}), since the app server and the
 * phone vendor's push service read them. An app server that answers with errors
 * {@code push.max-failures} times in a row loses its registration.
 */
public final class PushNotifications extends DefaultDiscoAwareModule
        implements InfoRequestListener, ServerInfoRequestListener, DeliveryHook, RouteGuard {

    static final String NS = "urn:xmpp:push:0";
    private static final String SUMMARY = "urn:xmpp:push:summary";
    private static final String PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
    private static final String PUBSUB = "http://jabber.org/protocol/pubsub";
    private static final String DATA = "jabber:x:data";
    private static final String ID_PREFIX = "push-";
    /** Publishes waiting for the app server's answer; older ones are forgotten (a remote server may never answer). */
    private static final int MAX_PENDING = 10_000;
    private static final long PENDING_MILLIS = 60_000;
    private static final Logger LOG = LoggerFactory.getLogger(PushNotifications.class);

    private record Pending(String username, PushStore.Registration registration, long sentAt) {
    }

    private final PushStore store;
    private final OfflineStore offline;
    private final PubSubStore pubsub;
    private final String domain;
    private final String pubsubDomain;
    private final ServerSettings.Push settings;
    private final Predicate<SessionContext> detached;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    /** Errors in a row per "username service node". */
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private volatile ServerRuntimeContext runtime;

    /**
     * @param pubsubDomain the local pubsub service, whose nodes can be checked at enable time
     * @param detached     whether a session lost its connection and waits for resumption
     */
    public PushNotifications(PushStore store, OfflineStore offline, PubSubStore pubsub, String domain,
                             String pubsubDomain, ServerSettings.Push settings, Predicate<SessionContext> detached) {
        this.store = store;
        this.offline = offline;
        this.pubsub = pubsub;
        this.domain = domain;
        this.pubsubDomain = pubsubDomain;
        this.settings = settings;
        this.detached = detached;
    }

    @Override
    public String getName() {
        return "Parley push notifications (XEP-0357)";
    }

    @Override
    public String getVersion() {
        return "0.4";
    }

    @Override
    public void initialize(ServerRuntimeContext serverRuntimeContext) {
        super.initialize(serverRuntimeContext);
        this.runtime = serverRuntimeContext;
    }

    // ---------------------------------------------------------------- disco (§4)

    @Override
    protected void addInfoRequestListeners(List<InfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    /** §4: the account advertises the feature (clients ask their own bare JID). */
    @Override
    public List<InfoElement> getInfosFor(InfoRequest request) {
        Entity to = request.getTo();
        boolean account = to != null && to.getNode() != null && !to.isResourceSet() && domain.equals(to.getDomain());
        boolean noNode = request.getNode() == null || request.getNode().isEmpty();
        return account && noNode ? List.of(new Feature(NS)) : null;
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        return request.getNode() == null || request.getNode().isEmpty() ? List.of(new Feature(NS)) : null;
    }

    // ---------------------------------------------------------------- enable, disable (§5, §6)

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(NS, new Handler()));
    }

    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "iq";
        }

        @Override
        public boolean verify(Stanza stanza) {
            XMLElement first = stanza.getFirstInnerElement();
            return "iq".equals(stanza.getName()) && first != null && NS.equals(first.getNamespaceURI());
        }

        @Override
        public boolean isSessionRequired() {
            return true;
        }

        @Override
        public ResponseStanzaContainer execute(Stanza iq, ServerRuntimeContext runtime, boolean outbound,
                                               SessionContext session, SessionStateHolder state) {
            if (!outbound || !StanzaErrors.isRequest(iq)) {
                return null;
            }
            Entity user = session.getInitiatingEntity().getBareJID();
            Stanza answer;
            try {
                answer = answer(iq, user);
            } catch (RuntimeException e) {
                LOG.error("push request of {} failed", user, e);
                answer = StanzaErrors.error(iq, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null);
            }
            return new ResponseStanzaContainerImpl(answer);
        }
    }

    private Stanza answer(Stanza iq, Entity user) {
        if (iq.getTo() != null && !iq.getTo().equals(user)) {
            return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "push is enabled for one's own account");
        }
        XMLElement request = iq.getFirstInnerElement();
        if (!"set".equals(iq.getAttributeValue("type"))
                || !"enable".equals(request.getName()) && !"disable".equals(request.getName())) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, null);
        }
        Entity service;
        try {
            String jid = request.getAttributeValue("jid");
            service = jid == null ? null : EntityImpl.parse(jid);
        } catch (EntityFormatException | RuntimeException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.JID_MALFORMED, "'jid' is not a JID");
        }
        if (service == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "'jid' names the app server");
        }
        String node = request.getAttributeValue("node");
        String username = user.getNode();
        String serviceJid = service.getFullQualifiedName();
        if ("disable".equals(request.getName())) {
            // §6: without 'node', every registration with that app server goes.
            store.remove(username, serviceJid, node == null || node.isEmpty() ? null : node);
            return StanzaErrors.result(iq).build();
        }
        if (node == null || node.isEmpty()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "'node' names the app server's node (§5)");
        }
        if (service.getNode() == null && pubsubDomain.equals(service.getDomain())
                && pubsub.node(serviceJid, node).isEmpty()) {
            // The app server is this server's own pubsub service: the node can be checked now.
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no node '" + node + "' at " + serviceJid);
        }
        String options = null;
        for (XMLElement child : request.getInnerElements()) {
            if ("x".equals(child.getName()) && DATA.equals(child.getNamespaceURI())) {
                if (!PUBLISH_OPTIONS.equals(formType(child))) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST,
                            "the form's FORM_TYPE must be " + PUBLISH_OPTIONS);
                }
                options = new Renderer(child).getComplete();
            }
        }
        List<PushStore.Registration> existing = store.registrations(username);
        boolean known = existing.stream().anyMatch(r -> r.service().equals(serviceJid) && r.node().equals(node));
        if (!known && existing.size() >= settings.maxRegistrations()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                    "at most " + settings.maxRegistrations() + " push registrations per account");
        }
        store.put(username, new PushStore.Registration(serviceJid, node, options));
        failures.remove(key(username, serviceJid, node));
        return StanzaErrors.result(iq).build();
    }

    private static String formType(XMLElement form) {
        for (XMLElement field : form.getInnerElements()) {
            if ("field".equals(field.getName()) && "FORM_TYPE".equals(field.getAttributeValue("var"))) {
                for (XMLElement value : field.getInnerElements()) {
                    if ("value".equals(value.getName())) {
                        return text(value).trim();
                    }
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- notifications (§7)

    /**
     * A session lost its connection and waits for resumption (XEP-0198 §5) while messages it was sent are not
     * acknowledged: the client most likely never showed them (a phone that went to sleep mid-delivery), so the
     * app server is told, as for a message that arrives while the session is detached.
     */
    public void detached(Entity fullJid, List<Stanza> unacknowledged) {
        Stanza last = null;
        int count = 0;
        for (Stanza stanza : unacknowledged) {
            if ("message".equals(stanza.getName()) && body(stanza) != null && !StanzaErrors.isError(stanza)) {
                last = stanza;
                count++;
            }
        }
        if (last == null || fullJid.getNode() == null) {
            return;
        }
        try {
            for (PushStore.Registration registration : store.registrations(fullJid.getNode())) {
                publish(fullJid.getBareJID(), registration, count, last.getAttributeValue("from"), body(last));
            }
        } catch (RuntimeException e) {
            LOG.warn("push notifications for {} failed: {}", fullJid.getBareJID(), e.toString());
        }
    }

    /** A message was delivered to these sessions (none: it went to offline storage). */
    @Override
    public void delivered(Entity recipientBare, Stanza message, List<SessionContext> sessions) {
        String body = body(message);
        if (body == null || StanzaErrors.isError(message) || recipientBare.getNode() == null) {
            return;
        }
        for (SessionContext session : sessions) {
            if (!detached.test(session)) {
                return; // a connected client got it
            }
        }
        try {
            List<PushStore.Registration> registrations = store.registrations(recipientBare.getNode());
            if (registrations.isEmpty()) {
                return;
            }
            int count = sessions.isEmpty() ? Math.max(1, offline.count(recipientBare.getNode())) : 1;
            for (PushStore.Registration registration : registrations) {
                publish(recipientBare, registration, count, message.getAttributeValue("from"), body);
            }
        } catch (RuntimeException e) {
            LOG.warn("push notifications for {} failed: {}", recipientBare, e.toString());
        }
    }

    private void publish(Entity user, PushStore.Registration registration, int count, String sender, String body) {
        String id = ID_PREFIX + ids.incrementAndGet();
        StanzaBuilder iq = new StanzaBuilder("iq", NamespaceURIs.JABBER_CLIENT)
                .addAttribute("from", user.getFullQualifiedName())
                .addAttribute("to", registration.service())
                .addAttribute("type", "set")
                .addAttribute("id", id)
                .startInnerElement("pubsub", PUBSUB)
                .startInnerElement("publish", PUBSUB).addAttribute("node", registration.node())
                .startInnerElement("item", PUBSUB)
                .startInnerElement("notification", NS)
                .startInnerElement("x", DATA).addAttribute("type", "submit");
        field(iq, "FORM_TYPE", SUMMARY).addAttribute("type", "hidden");
        field(iq, "message-count", Integer.toString(count));
        if (settings.includeBody()) {
            field(iq, "last-message-sender", sender == null ? "" : sender);
            field(iq, "last-message-body", body);
        }
        iq.endInnerElement().endInnerElement().endInnerElement().endInnerElement(); // x, notification, item, publish
        if (registration.options() != null) {
            iq.startInnerElement("publish-options", PUBSUB)
                    .addPreparedElement(StanzaParsing.parse(registration.options())).endInnerElement();
        }
        iq.endInnerElement();
        Stanza publish = iq.build();
        Entity service;
        try {
            service = EntityImpl.parse(registration.service());
        } catch (EntityFormatException e) {
            failed(user.getNode(), registration, "not a JID");
            return;
        }
        ServerRuntimeContext r = runtime;
        boolean reachable = domain.equals(service.getDomain()) || r.getComponentStanzaProcessor(service) != null;
        if (!reachable) {
            // No server-to-server links yet: a remote app server cannot be reached.
            failed(user.getNode(), registration, "remote-server-not-found");
            return;
        }
        remember(id, new Pending(user.getNode(), registration, System.currentTimeMillis()));
        try {
            r.getStanzaRelay().relay(service, publish, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } catch (Exception e) {
            pending.remove(id);
            failed(user.getNode(), registration, e.toString());
        }
    }

    private static StanzaBuilder field(StanzaBuilder b, String var, String value) {
        b.startInnerElement("field", DATA).addAttribute("var", var)
                .startInnerElement("value", DATA).addText(value).endInnerElement();
        b.endInnerElement();
        return b;
    }

    private void remember(String id, Pending p) {
        if (pending.size() >= MAX_PENDING) {
            long cutoff = System.currentTimeMillis() - PENDING_MILLIS;
            for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
                if (it.next().sentAt() < cutoff) {
                    it.remove();
                }
            }
            if (pending.size() >= MAX_PENDING) {
                return; // its answer will not be counted; the notification still goes
            }
        }
        pending.put(id, p);
    }

    /** The app server's answer to a publish comes back to the user's bare JID: taken here, never delivered. */
    @Override
    public Refusal check(Entity receiver, Stanza stanza) {
        String id = stanza.getAttributeValue("id");
        if (id == null || !id.startsWith(ID_PREFIX) || !"iq".equals(stanza.getName())
                || StanzaErrors.isRequest(stanza) || receiver.isResourceSet()) {
            return null;
        }
        Pending p = pending.get(id);
        if (p == null || !receiver.getBareJID().getFullQualifiedName().equals(p.username() + "@" + domain)) {
            return null;
        }
        pending.remove(id);
        if (StanzaErrors.isError(stanza)) {
            failed(p.username(), p.registration(), "error from the app server");
        } else {
            failures.remove(key(p.username(), p.registration().service(), p.registration().node()));
        }
        return Refusal.DROP;
    }

    private void failed(String username, PushStore.Registration registration, String why) {
        String key = key(username, registration.service(), registration.node());
        int n = failures.merge(key, 1, Integer::sum);
        LOG.debug("push to {} node {} for {} failed ({} in a row): {}", registration.service(), registration.node(),
                username, n, why);
        if (n >= settings.maxFailures()) {
            failures.remove(key);
            store.remove(username, registration.service(), registration.node());
            LOG.info("push registration of {} at {} node {} removed after {} failures", username,
                    registration.service(), registration.node(), n);
        }
    }

    private static String key(String username, String service, String node) {
        return username + " " + service + " " + node;
    }

    private static String body(Stanza message) {
        if (!"message".equals(message.getName())) {
            return null;
        }
        List<XMLElement> bodies = message.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT);
        return bodies.isEmpty() ? null : text(bodies.get(0));
    }

    private static String text(XMLElement element) {
        StringBuilder text = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            text.append(t.getText());
        }
        return text.toString();
    }
}
