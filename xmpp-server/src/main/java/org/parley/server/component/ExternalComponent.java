package org.parley.server.component;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.delivery.failure.ReturnErrorToSenderFailureStrategy;
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
import org.parley.server.routing.StanzaErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured external component (XEP-0114) as the relay sees it: a Vysper component at
 * {@code <subdomain>.<domain>} that is registered for the server's lifetime, so the relay always finds it, and
 * that forwards what it is handed over the component's connection while one is authenticated. With none, requests
 * and messages are answered with {@code <service-unavailable/>} (RFC 6120 §8.3.3.19) and the server's disco#items
 * does not list it.
 */
public final class ExternalComponent extends DefaultDiscoAwareModule implements Component, ItemRequestListener {

    private static final Logger LOG = LoggerFactory.getLogger(ExternalComponent.class);

    private final String subdomain;
    private final String secret;
    private final AtomicReference<ComponentConnection> connection = new AtomicReference<>();
    private volatile ServerRuntimeContext runtime;
    private volatile Entity jid;

    public ExternalComponent(String subdomain, String secret) {
        this.subdomain = subdomain;
        this.secret = secret;
    }

    @Override
    public String getName() {
        return "External component " + subdomain + " (XEP-0114)";
    }

    @Override
    public String getVersion() {
        return "1.6";
    }

    @Override
    public String getSubdomain() {
        return subdomain;
    }

    /** The component's domain, e.g. {@code gateway.example.org}. */
    public Entity jid() {
        return jid;
    }

    String secret() {
        return secret;
    }

    /** Whether a component is connected and authenticated under this name. */
    public boolean connected() {
        return connection.get() != null;
    }

    @Override
    public void initialize(ServerRuntimeContext serverRuntimeContext) {
        super.initialize(serverRuntimeContext);
        this.runtime = serverRuntimeContext;
        this.jid = new EntityImpl(null, subdomain + "." + serverRuntimeContext.getServerEnitity().getDomain(), null);
    }

    /** Binds an authenticated connection; false when another one holds the name (XEP-0114 §3: conflict). */
    boolean attach(ComponentConnection c) {
        return connection.compareAndSet(null, c);
    }

    void detach(ComponentConnection c) {
        if (connection.compareAndSet(c, null)) {
            LOG.info("external component {} disconnected", jid);
        }
    }

    /** A stanza from the component, its 'from' already checked: routed like any other, failures answered. */
    void inject(Entity to, Stanza stanza) {
        try {
            runtime.getStanzaRelay().relay(to, stanza,
                    new ReturnErrorToSenderFailureStrategy(runtime.getStanzaRelay()));
        } catch (DeliveryException e) {
            LOG.debug("could not deliver {} from {} to {}: {}", stanza.getName(), jid, to, e.toString());
        }
    }

    @Override
    protected void addItemRequestListeners(List<ItemRequestListener> itemRequestListeners) {
        itemRequestListeners.add(this);
    }

    /** Listed in the server's disco#items (XEP-0030) while connected, like the built-in services. */
    @Override
    public List<Item> getItemsFor(InfoRequest request) {
        Entity to = request.getTo();
        if (connected() && request.getNode() == null && (to == null || to.getNode() == null
                && to.getDomain().equals(runtime.getServerEnitity().getDomain()))) {
            return List.of(new Item(jid));
        }
        return null;
    }

    @Override
    public StanzaProcessor getStanzaProcessor() {
        return new StanzaProcessor() {
            @Override
            public void processStanza(ServerRuntimeContext context, SessionContext session, Stanza stanza,
                                      SessionStateHolder state) {
                deliver(stanza);
            }

            @Override
            public void processTLSEstablished(SessionContext session, SessionStateHolder state) {
                throw new UnsupportedOperationException("a component has no TLS");
            }
        };
    }

    /** Runs on the sender's thread, so one sender's stanzas reach the connection in order (RFC 6120 §10.1). */
    private void deliver(Stanza stanza) {
        if (stanza.getFrom() == null || stanza.getTo() == null) {
            return;
        }
        ComponentConnection c = connection.get();
        if (c != null && c.send(stanza)) {
            return;
        }
        if (StanzaErrors.isRequest(stanza) || StanzaErrors.isMessage(stanza) && StanzaErrors.answerable(stanza)) {
            try {
                Stanza error = StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
                runtime.getStanzaRelay().relay(error.getTo(), error, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
            } catch (DeliveryException e) {
                LOG.debug("could not bounce {} to {}: {}", stanza.getName(), stanza.getFrom(), e.toString());
            }
        }
    }
}
