package org.parley.server.im;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.storage.OpenStorageProviderRegistry;
import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.authorization.AccountManagement;
import org.apache.vysper.xmpp.delivery.StanzaRelay;
import org.apache.vysper.xmpp.delivery.failure.DeliveryFailureStrategy;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.AbstractSessionContext;
import org.apache.vysper.xmpp.server.DefaultServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.writer.StanzaWriter;
import org.parley.server.storage.DocumentStore;

/** Test doubles for handler-level tests: store, relay, runtime and one authenticated session. */
final class ImHandlerFixture {

    static final String DOMAIN = "example.com";
    static final Entity ALICE = EntityImpl.parseUnchecked("alice@example.com");
    static final Entity ALICE_PHONE = EntityImpl.parseUnchecked("alice@example.com/phone");

    final MemoryDocumentStore store = new MemoryDocumentStore();
    final RecordingRelay relay = new RecordingRelay();
    final DefaultServerRuntimeContext runtime = new DefaultServerRuntimeContext(
            new EntityImpl(null, DOMAIN, null), relay);
    final TestSession session;

    ImHandlerFixture() {
        session = new TestSession(runtime);
        session.setInitiatingEntity(ALICE);
    }

    /** Registers an account registry that knows exactly these local users. */
    void accounts(String... users) {
        Set<String> known = Set.of(users);
        OpenStorageProviderRegistry providers = new OpenStorageProviderRegistry();
        providers.add(new AccountManagement() {
            @Override
            public void addUser(Entity username, String password) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void changePassword(Entity username, String password) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean verifyAccountExists(Entity jid) {
                return DOMAIN.equals(jid.getDomain()) && known.contains(jid.getNode());
            }
        });
        runtime.setStorageProviderRegistry(providers);
    }

    /** Runs a stanza sent by alice's client through the handler; returns the rendered reply, or null. */
    String send(StanzaHandler handler, String xml) throws Exception {
        return send(handler, xml, true);
    }

    String send(StanzaHandler handler, String xml, boolean outbound) throws Exception {
        Stanza stanza = parse(xml);
        SessionStateHolder state = new SessionStateHolder();
        state.setState(SessionState.AUTHENTICATED);
        ResponseStanzaContainer response = handler.execute(stanza, runtime, outbound, session, state);
        if (response == null || response.getResponseStanza() == null) {
            return null;
        }
        return new Renderer(response.getResponseStanza()).getComplete();
    }

    /** Parses one element of XML text into a stanza, as the wire parser would. */
    static Stanza parse(String xml) {
        XMLElement e = org.parley.server.parser.StanzaParsing.parse(xml);
        return new Stanza(e.getNamespaceURI(), e.getName(), e.getNamespacePrefix(), e.getAttributes(),
                e.getInnerFragments(), e.getDeclaredNamespaces());
    }

    static final class MemoryDocumentStore implements DocumentStore {
        final Map<String, String> documents = new ConcurrentHashMap<>();

        @Override
        public Optional<String> get(String username, String key) {
            return Optional.ofNullable(documents.get(username + "|" + key));
        }

        @Override
        public void put(String username, String key, String xml) {
            documents.put(username + "|" + key, xml);
        }

        @Override
        public boolean delete(String username, String key) {
            return documents.remove(username + "|" + key) != null;
        }
    }

    record Relayed(Entity receiver, Stanza stanza, DeliveryFailureStrategy strategy) {
    }

    static final class RecordingRelay implements StanzaRelay {
        final List<Relayed> relayed = new ArrayList<>();

        @Override
        public void relay(Entity receiver, Stanza stanza, DeliveryFailureStrategy deliveryFailureStrategy) {
            relayed.add(new Relayed(receiver, stanza, deliveryFailureStrategy));
        }
    }

    static final class TestSession extends AbstractSessionContext {
        final List<Stanza> written = new ArrayList<>();

        TestSession(DefaultServerRuntimeContext runtime) {
            super(runtime, new SessionStateHolder());
        }

        @Override
        public StanzaWriter getResponseWriter() {
            return new StanzaWriter() {
                @Override
                public void write(Stanza stanza) {
                    written.add(stanza);
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void switchToTLS(boolean delayed, boolean clientTls) {
        }

        @Override
        public void setIsReopeningXMLStream() {
        }
    }
}
