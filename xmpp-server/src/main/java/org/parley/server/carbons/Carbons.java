package org.parley.server.carbons;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
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
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.parley.server.routing.DeliveryHook;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;

/**
 * Message Carbons (XEP-0280, {@code urn:xmpp:carbons:2}): a resource that enabled carbons gets a copy of
 * every chat its account sends from another resource ({@code <sent/>}) or receives at another resource
 * ({@code <received/>}), so all of a user's devices show the whole conversation.
 */
public final class Carbons extends DefaultDiscoAwareModule implements ServerInfoRequestListener, DeliveryHook {

    static final String NS = "urn:xmpp:carbons:2";
    private static final String FORWARD = "urn:xmpp:forward:0";

    private final SessionRegistry registry;
    private final LocalRelay relay;
    private final Set<Entity> enabled = ConcurrentHashMap.newKeySet();
    /** Copies for the account's resources on other nodes of a cluster (issue 19); nothing when alone. */
    private volatile Elsewhere elsewhere = (account, message, direction, except) -> { };

    /** Where copies for resources served by other nodes go: each node copies to its own resources. */
    public interface Elsewhere {
        void copy(Entity account, Stanza message, String direction, List<Entity> except);
    }

    public Carbons(SessionRegistry registry, LocalRelay relay) {
        this.registry = registry;
        this.relay = relay;
        registry.onDeparture(jid -> {
            if (registry.find(jid).isEmpty()) {
                enabled.remove(jid);
            }
        });
    }

    /** Whether the resource enabled carbons (a session resumed on another cluster node carries it, issue 19). */
    public boolean isEnabled(Entity fullJid) {
        return enabled.contains(fullJid);
    }

    /** Sets the flag for a resource whose session was resumed here from another cluster node. */
    public void setEnabled(Entity fullJid, boolean on) {
        if (on) {
            enabled.add(fullJid);
        } else {
            enabled.remove(fullJid);
        }
    }

    /** In a cluster: {@code other} carries copies to the account's resources on the other nodes. */
    public void copyElsewhere(Elsewhere other) {
        this.elsewhere = other;
    }

    /**
     * Another node asks for the copies this node owes: to its own available resources of {@code account} that
     * enabled carbons, except {@code except} ({@code direction} "sent" or "received", §6).
     */
    public void copyHere(Entity account, Stanza message, String direction, List<Entity> except) {
        copyLocally(account, message, direction, except);
    }

    @Override
    public String getName() {
        return "Parley message carbons (XEP-0280)";
    }

    @Override
    public String getVersion() {
        return "1.0";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        return request.getNode() == null || request.getNode().isEmpty() ? List.of(new Feature(NS)) : null;
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(NS, new Toggle()));
    }

    /** §4: {@code <enable/>} and {@code <disable/>} for the sending resource. */
    private final class Toggle implements StanzaHandler {
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
            if (!StanzaErrors.isRequest(iq)) {
                return null;
            }
            String element = iq.getFirstInnerElement().getName();
            Entity resource = session.getInitiatingEntity();
            if (!"set".equals(iq.getAttributeValue("type")) || iq.getTo() != null
                    && !iq.getTo().equals(resource.getBareJID())) {
                return new ResponseStanzaContainerImpl(StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, null));
            }
            Entity full = registry.bindingOf(session).map(SessionRegistry.Binding::fullJid).orElse(resource);
            switch (element) {
                case "enable" -> enabled.add(full);
                case "disable" -> enabled.remove(full);
                default -> {
                    return new ResponseStanzaContainerImpl(StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, null));
                }
            }
            return new ResponseStanzaContainerImpl(StanzaErrors.result(iq).build());
        }
    }

    // ---------------------------------------------------------------- copies

    @Override
    public Stanza sent(Entity sender, Entity recipient, Stanza message) {
        if (eligible(message)) {
            copy(sender.getBareJID(), message, "sent", List.of(sender));
        }
        return message;
    }

    @Override
    public void delivered(Entity recipientBare, Stanza message, List<SessionContext> sessions) {
        if (!eligible(message)) {
            return;
        }
        List<Entity> reached = sessions.stream()
                .map(s -> registry.bindingOf(s).map(SessionRegistry.Binding::fullJid).orElse(null))
                .filter(java.util.Objects::nonNull).toList();
        copy(recipientBare, message, "received", reached);
    }

    /** §6: chat messages, and normal ones with a body; never private, no-copy, errors or carbons themselves. */
    private static boolean eligible(Stanza message) {
        String type = message.getAttributeValue("type");
        boolean kind = "chat".equals(type)
                || (type == null || "normal".equals(type)) && !message.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT).isEmpty();
        if (!kind) {
            return false;
        }
        for (XMLElement e : message.getInnerElements()) {
            String ns = e.getNamespaceURI();
            if (NS.equals(ns) || "urn:xmpp:hints".equals(ns) && "no-copy".equals(e.getName())) {
                return false; // <private/>, <received/>, <sent/> or a no-copy hint
            }
        }
        return true;
    }

    private void copy(Entity account, Stanza message, String direction, List<Entity> except) {
        copyLocally(account, message, direction, except);
        elsewhere.copy(account, message, direction, except);
    }

    private void copyLocally(Entity account, Stanza message, String direction, List<Entity> except) {
        for (SessionRegistry.Binding b : registry.bindingsOf(account)) {
            Entity to = b.fullJid();
            if (except.contains(to) || !enabled.contains(to) || !ResourceState.isAvailable(b.state())) {
                continue;
            }
            Stanza carbon = new StanzaBuilder("message", NamespaceURIs.JABBER_CLIENT)
                    .addAttribute("from", account.getFullQualifiedName())
                    .addAttribute("to", to.getFullQualifiedName())
                    .addAttribute("type", message.getAttributeValue("type") == null ? "normal" : message.getAttributeValue("type"))
                    .startInnerElement(direction, NS)
                    .startInnerElement("forwarded", FORWARD)
                    .addPreparedElement(message)
                    .endInnerElement().endInnerElement()
                    .build();
            relay.deliver(b.session(), carbon);
        }
    }
}
