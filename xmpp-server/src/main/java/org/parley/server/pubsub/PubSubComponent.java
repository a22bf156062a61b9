package org.parley.server.pubsub;

import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.ServiceComponent;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.RosterStore;

/**
 * The publish-subscribe service (XEP-0060) at {@code pubsub.<domain>}: a Vysper component where every
 * local user may create nodes (named or instant), configure them, publish, subscribe and delete; nodes and
 * items persist in storage. It is an item of the server's disco#items.
 */
public final class PubSubComponent extends ServiceComponent {

    private final PubSubStore store;
    private final RosterStore rosters;
    private final Predicate<String> accountExists;
    private final PubSubLimits limits;
    private volatile PubSubService service;

    public PubSubComponent(String subdomain, PubSubStore store, RosterStore rosters, Predicate<String> accountExists,
                           PubSubLimits limits) {
        super(subdomain, "Publish-subscribe");
        this.store = store;
        this.rosters = rosters;
        this.accountExists = accountExists;
        this.limits = limits;
    }

    @Override
    public String getName() {
        return "Parley publish-subscribe (XEP-0060)";
    }

    @Override
    public String getVersion() {
        return "1.26";
    }

    @Override
    protected void started(ServerRuntimeContext runtime) {
        String domain = runtime.getServerEnitity().getDomain();
        this.service = new PubSubService(serviceJid(), false,
                new PubSubEnvironment(store, rosters, domain, accountExists, this::send, null, limits));
    }

    @Override
    protected void handle(Stanza stanza) {
        if (!"iq".equals(stanza.getName())) {
            if ("message".equals(stanza.getName()) && StanzaErrors.answerable(stanza)) {
                send(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
            }
            return;
        }
        if (StanzaErrors.isRequest(stanza)) {
            send(answer(stanza));
        }
    }

    private Stanza answer(Stanza iq) {
        if (iq.getTo().getNode() != null || iq.getTo().isResourceSet()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
        XMLElement query = iq.getFirstInnerElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        boolean get = "get".equals(iq.getAttributeValue("type"));
        Entity requester = iq.getFrom().getBareJID();
        String node = query == null ? null : query.getAttributeValue("node");
        if (PubSubXml.DISCO_INFO.equals(ns) && get) {
            StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("query", PubSubXml.DISCO_INFO);
            if (node == null) {
                identity(b, "service", "Publish-subscribe");
                PubSubFeatures.service().forEach(f -> feature(b, f));
                feature(b, PubSubXml.DISCO_INFO);
                feature(b, PubSubXml.DISCO_ITEMS);
            } else {
                if (service.visibleNode(node, requester).isEmpty()) {
                    return PubSubXml.error(iq, PubSubXml.Failure.itemNotFound(null));
                }
                b.addAttribute("node", node);
                identity(b, "leaf", null);
                feature(b, PubSubXml.PUBSUB);
                feature(b, PubSubXml.DISCO_INFO);
            }
            return b.endInnerElement().build();
        }
        if (PubSubXml.DISCO_ITEMS.equals(ns) && get) {
            StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("query", PubSubXml.DISCO_ITEMS);
            if (node != null) {
                if (service.visibleNode(node, requester).isEmpty()) {
                    return PubSubXml.error(iq, PubSubXml.Failure.itemNotFound(null));
                }
                b.addAttribute("node", node); // a leaf's items are retrieved with <items/>; none listed here
            } else {
                service.visibleNodes(requester).forEach((name, title) -> {
                    b.startInnerElement("item", PubSubXml.DISCO_ITEMS)
                            .addAttribute("jid", serviceJid().getFullQualifiedName()).addAttribute("node", name);
                    if (title != null && !title.isEmpty()) {
                        b.addAttribute("name", title);
                    }
                    b.endInnerElement();
                });
            }
            return b.endInnerElement().build();
        }
        if ("urn:xmpp:ping".equals(ns) && get) {
            return StanzaErrors.result(iq).build();
        }
        if (PubSubXml.PUBSUB.equals(ns) || PubSubXml.OWNER.equals(ns)) {
            return service.handle(iq, iq.getFrom());
        }
        return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
    }

    private static void identity(StanzaBuilder b, String type, String name) {
        b.startInnerElement("identity", PubSubXml.DISCO_INFO).addAttribute("category", "pubsub")
                .addAttribute("type", type);
        if (name != null) {
            b.addAttribute("name", name);
        }
        b.endInnerElement();
    }

    private static void feature(StanzaBuilder b, String var) {
        b.startInnerElement("feature", PubSubXml.DISCO_INFO).addAttribute("var", var).endInnerElement();
    }
}
