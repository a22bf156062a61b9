package org.parley.server.routing;

import java.util.List;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Item;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ItemRequestListener;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaProcessor;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.server.components.Component;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service at {@code <subdomain>.<domain>} (chat rooms, publish-subscribe): a Vysper component that
 * the relay hands every stanza addressed to its domain, listed as an item of the server's disco#items
 * (XEP-0030), answering with an error instead of silence when its own handling fails.
 */
public abstract class ServiceComponent extends DefaultDiscoAwareModule implements Component, ItemRequestListener {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceComponent.class);

    private final String subdomain;
    private final String itemName;
    private volatile ServerRuntimeContext runtime;
    private volatile Entity serviceJid;

    /** @param itemName the name shown for the service in the server's disco#items */
    protected ServiceComponent(String subdomain, String itemName) {
        this.subdomain = subdomain;
        this.itemName = itemName;
    }

    /** Handles one stanza whose 'from' and 'to' are set; runs on the sender's thread. */
    protected abstract void handle(Stanza stanza);

    /**
     * The same with the addresses the relay already parsed ({@code from} and {@code to} are not null); a
     * service that looks at them overrides this one to save parsing them again.
     */
    protected void handle(RoutedStanza routed) {
        handle(routed.stanza());
    }

    /** Called once the runtime and {@link #serviceJid()} are known. */
    protected abstract void started(ServerRuntimeContext runtime);

    @Override
    public final String getSubdomain() {
        return subdomain;
    }

    /** The service's address, e.g. {@code conference.example.org}. */
    public final Entity serviceJid() {
        return serviceJid;
    }

    protected final ServerRuntimeContext runtime() {
        return runtime;
    }

    @Override
    public final void initialize(ServerRuntimeContext serverRuntimeContext) {
        super.initialize(serverRuntimeContext);
        this.runtime = serverRuntimeContext;
        this.serviceJid = new EntityImpl(null, subdomain + "." + serverRuntimeContext.getServerEnitity().getDomain(),
                null);
        started(serverRuntimeContext);
    }

    @Override
    protected final void addItemRequestListeners(List<ItemRequestListener> itemRequestListeners) {
        itemRequestListeners.add(this);
    }

    @Override
    public final List<Item> getItemsFor(InfoRequest request) {
        Entity to = request.getTo();
        if (request.getNode() == null && (to == null || to.getNode() == null
                && to.getDomain().equals(runtime.getServerEnitity().getDomain()))) {
            return List.of(new Item(serviceJid, itemName));
        }
        return null;
    }

    @Override
    public final StanzaProcessor getStanzaProcessor() {
        return processor;
    }

    private final Processor processor = new Processor();

    /** Vysper's entry point (stanzas Vysper itself routes) and the relay's, which passes the parsed addresses. */
    private final class Processor implements StanzaProcessor, RoutedStanzaProcessor {
        @Override
        public void processStanza(ServerRuntimeContext context, SessionContext session, Stanza stanza,
                                  SessionStateHolder state) {
            process(RoutedStanza.of(stanza));
        }

        @Override
        public void process(RoutedStanza routed) {
            ServiceComponent.this.process(routed);
        }

        @Override
        public void processTLSEstablished(SessionContext session, SessionStateHolder state) {
            throw new UnsupportedOperationException("a component has no TLS");
        }
    }

    private void process(RoutedStanza routed) {
        if (routed.from() == null || routed.to() == null) {
            return;
        }
        Stanza stanza = routed.stanza();
        try {
            handle(routed);
        } catch (RuntimeException e) {
            LOG.error("{} failed on {} from {} to {}", getName(), stanza.getName(), routed.from(), routed.to(), e);
            if (StanzaErrors.isRequest(stanza)
                    || StanzaErrors.isMessage(stanza) && StanzaErrors.answerable(stanza)) {
                send(new RoutedStanza(StanzaErrors.error(stanza, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null),
                        routed.to(), routed.from(), null));
            }
        }
    }

    /** Delivers a stanza addressed by its 'to'; failures are not answered (the recipient left). */
    protected final void send(Stanza stanza) {
        send(RoutedStanza.of(stanza));
    }

    /** The same, with the 'to' already parsed (a room's fan-out: one parse saved per delivery). */
    protected final void send(Entity to, Stanza stanza) {
        send(new RoutedStanza(stanza, serviceFrom(stanza), to, null));
    }

    /** The same, with both addresses parsed. */
    protected final void send(RoutedStanza routed) {
        if (runtime.getStanzaRelay() instanceof LocalRelay relay) {
            relay.relay(routed, false);
            return;
        }
        try {
            runtime.getStanzaRelay().relay(routed.to(), routed.stanza(), IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } catch (DeliveryException e) {
            LOG.debug("could not deliver {} to {}: {}", routed.name(), routed.to(), e.toString());
        }
    }

    private static Entity serviceFrom(Stanza stanza) {
        return JidCache.parseOrNull(stanza.getAttributeValue("from"));
    }
}
