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
        return new StanzaProcessor() {
            @Override
            public void processStanza(ServerRuntimeContext context, SessionContext session, Stanza stanza,
                                      SessionStateHolder state) {
                process(stanza);
            }

            @Override
            public void processTLSEstablished(SessionContext session, SessionStateHolder state) {
                throw new UnsupportedOperationException("a component has no TLS");
            }
        };
    }

    private void process(Stanza stanza) {
        if (stanza.getFrom() == null || stanza.getTo() == null) {
            return;
        }
        try {
            handle(stanza);
        } catch (RuntimeException e) {
            LOG.error("{} failed on {} from {} to {}", getName(), stanza.getName(), stanza.getFrom(), stanza.getTo(), e);
            if (StanzaErrors.isRequest(stanza)
                    || StanzaErrors.isMessage(stanza) && StanzaErrors.answerable(stanza)) {
                send(StanzaErrors.error(stanza, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null));
            }
        }
    }

    /** Delivers a stanza addressed by its 'to'; failures are not answered (the recipient left). */
    protected final void send(Stanza stanza) {
        send(stanza.getTo(), stanza);
    }

    /** The same, with the 'to' already parsed (a room's fan-out: one parse saved per delivery). */
    protected final void send(Entity to, Stanza stanza) {
        try {
            runtime.getStanzaRelay().relay(to, stanza, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } catch (DeliveryException e) {
            LOG.debug("could not deliver {} to {}: {}", stanza.getName(), to, e.toString());
        }
    }
}
