package org.parley.client.ui.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.core.Availability;
import org.parley.client.core.Clients;
import org.parley.client.core.ConnectionState;
import org.parley.client.core.Contact;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.UntrustedCertificateException;
import org.parley.client.ui.RecordingNotifier;
import org.parley.client.ui.TestUi;
import org.parley.client.ui.chat.ChatsModel;
import org.parley.client.ui.roster.RosterModel;
import org.parley.client.ui.settings.DesktopSettings;
import org.parley.server.testing.TestServer;

/**
 * What waited for us on the server (offline messages, XEP-0160; subscription requests, RFC 6121 §3.1.3) comes
 * in answer to the initial presence, which the UI sends only once its models listen: nothing is lost between
 * login and the main window. After a reconnection without resumption the presence is sent again.
 */
class InitialPresenceTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol");

    @TempDir
    Path config;

    @Test
    void offlineMessagesAndRequestsReachTheModelsAndPresenceSurvivesAReconnection() throws Exception {
        ParleyClient bob = Clients.login(server, "bob");
        ParleyClient carol = Clients.login(server, "carol");
        ParleyClient alice = null;
        try (TestUi ui = new TestUi()) {
            bob.addContact("alice@localhost", "Alice");      // a request waiting for alice
            carol.sendMessage("alice@localhost", "while you were offline");

            DesktopSettings settings = new DesktopSettings(config);
            settings.certificateTrust().trust(TestServer.DOMAIN, server.server().certificateFingerprint());
            LoginPresenter presenter = new LoginPresenter(settings, settings.certificateTrust(), ui.dispatch());
            BlockingQueue<Object> events = Clients.queue();
            LoginView view = new LoginView() {
                @Override
                public void busy(boolean busy) {
                }

                @Override
                public void failed(String message) {
                    events.add(message);
                }

                @Override
                public void untrusted(LoginForm form, UntrustedCertificateException certificate) {
                    events.add(certificate);
                }

                @Override
                public void loggedIn(ParleyClient client) {
                    events.add(client);
                }
            };
            ui.run(() -> presenter.submit(new LoginForm("127.0.0.1:" + server.server().c2sPort(), "alice@localhost",
                    TestServer.PASSWORD, false, false), view));
            ParleyClient logged = (ParleyClient) next(events, e -> true, "the login");
            alice = logged;
            // What the main window does: models first, then the presence.
            RosterModel roster = ui.get(() -> new RosterModel(logged, ui.dispatch()));
            ChatsModel chats = ui.get(() -> new ChatsModel(logged, ui.dispatch(), new RecordingNotifier()));
            ui.run(() -> roster.setOwnStatus(Availability.AVAILABLE, null, events::add));

            ui.until(() -> roster.subscriptionRequests().equals(List.of("bob@localhost")), "bob's waiting request");
            ui.until(() -> chats.conversation("carol@localhost") != null && chats.conversation("carol@localhost")
                    .messages().stream().anyMatch(m -> m.body().equals("while you were offline")), "carol's offline message");
            assertEquals(1, (int) ui.get(() -> chats.conversation("carol@localhost").unread()));

            ui.run(() -> roster.accept("bob@localhost", events::add));
            ui.until(() -> seesAlice(bob, Availability.AVAILABLE), "bob sees alice online");
            ui.run(() -> roster.setOwnStatus(Availability.AWAY, "back soon", events::add));
            ui.until(() -> seesAlice(bob, Availability.AWAY), "bob sees alice away");

            // The server ends the session (no resumption): the client logs in again and is away again.
            BlockingQueue<Object> states = Clients.queue();
            logged.addConnectionStateListener((state, cause) -> states.add(state));
            server.server().endSessionsOf(EntityImpl.parse("alice@localhost"));
            next(states, s -> s == ConnectionState.RECONNECTING, "the drop");
            next(states, s -> s == ConnectionState.ONLINE, "back");
            assertTrue(!logged.streamResumed());
            ui.until(() -> seesAlice(bob, Availability.AWAY), "bob sees alice away again, not offline");
            assertTrue(events.isEmpty(), "no errors: " + events);
        } finally {
            bob.close();
            carol.close();
            if (alice != null) {
                alice.close();
            }
        }
    }

    private static boolean seesAlice(ParleyClient bob, Availability availability) {
        try {
            return bob.contacts().stream().anyMatch(
                    (Contact c) -> c.jid().equals("alice@localhost") && c.availability() == availability);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
