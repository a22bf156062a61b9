package org.parley.client.ui.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.core.CertificateTrust;
import org.parley.client.core.Clients;
import org.parley.client.core.ConnectionState;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.UntrustedCertificateException;
import org.parley.client.ui.TestUi;
import org.parley.client.ui.settings.DesktopSettings;
import org.parley.server.testing.TestServer;

/** The login screen's logic against a real server: validation, trust on first use, registration, passwords. */
class LoginPresenterTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    @TempDir
    Path config;

    private final TestUi ui = new TestUi();

    @AfterEach
    void close() {
        ui.close();
    }

    private String serverField() {
        return "127.0.0.1:" + server.server().c2sPort();
    }

    private LoginPresenter presenter(DesktopSettings settings) {
        return new LoginPresenter(settings, settings.certificateTrust(), ui.dispatch());
    }

    @Test
    void aBadFormIsRefusedWithTheReasonAndNothingIsSent() {
        assertEquals("Enter your address, e.g. alice@example.org.", LoginPresenter.validate(form("", " ", "x")));
        assertTrue(LoginPresenter.validate(form("", "alice", "x")).contains("user@example.org"));
        assertTrue(LoginPresenter.validate(form("", "a b@localhost", "x")) != null);
        assertEquals("Enter the password.", LoginPresenter.validate(form("", "alice@localhost", "")));
        assertEquals("Server: port 70000 is out of range (1-65535).",
                LoginPresenter.validate(form("localhost:70000", "alice@localhost", "x")));
        assertEquals("Server: \"abc\" is not a port number (1-65535).",
                LoginPresenter.validate(form("localhost:abc", "alice@localhost", "x")));
        assertNull(LoginPresenter.validate(form("[::1]:5222", "alice@localhost", "x")));
        assertEquals(new LoginPresenter.HostPort("::1", 5223), LoginPresenter.hostAndPort("[::1]:5223"));
        assertEquals(new LoginPresenter.HostPort("example.org", 5222), LoginPresenter.hostAndPort(" example.org "));
        assertEquals(new LoginPresenter.HostPort(null, 5222), LoginPresenter.hostAndPort(""));
    }

    @Test
    void anUnknownCertificateIsShownWithItsFingerprintAndPinnedOnlyWhenTheUserTrustsIt() throws Exception {
        DesktopSettings settings = new DesktopSettings(config);
        LoginPresenter presenter = presenter(settings);
        BlockingQueue<Object> events = Clients.queue();
        LoginForm form = new LoginForm(serverField(), "alice@localhost", TestServer.PASSWORD, false, false);
        ui.run(() -> presenter.submit(form, recorder(events)));
        UntrustedCertificateException question = (UntrustedCertificateException) next(events,
                e -> e instanceof UntrustedCertificateException, "the question about the certificate");
        assertEquals(server.server().certificateFingerprint(), question.fingerprint());
        assertEquals("localhost", question.server());
        assertNull(new CertificateTrust(config.resolve("trusted-servers.properties")).pinnedFingerprint("localhost"),
                "nothing is trusted before the user says so");

        ui.run(() -> presenter.trustAndRetry(form, question, recorder(events)));
        ParleyClient client = (ParleyClient) next(events, e -> e instanceof ParleyClient, "logged in");
        try {
            assertEquals(ConnectionState.ONLINE, client.state());
        } finally {
            client.close();
        }
        assertEquals(server.server().certificateFingerprint(),
                new CertificateTrust(config.resolve("trusted-servers.properties")).pinnedFingerprint("localhost"),
                "the pin is remembered for the server");

        // Next start: the pinned server is trusted without a question; the form remembers server and address.
        DesktopSettings restarted = new DesktopSettings(config);
        LoginPresenter again = presenter(restarted);
        LoginForm initial = again.initialForm();
        assertEquals(serverField(), initial.server());
        assertEquals("alice@localhost", initial.jid());
        assertEquals("", initial.password(), "no password unless asked");
        ui.run(() -> again.submit(form, recorder(events)));
        Object outcome = next(events, e -> e instanceof ParleyClient || e instanceof UntrustedCertificateException
                || e instanceof String s && s.startsWith("failed"), "the second login");
        assertTrue(outcome instanceof ParleyClient, String.valueOf(outcome));
        ((ParleyClient) outcome).close();
    }

    @Test
    void aWrongPasswordIsAClearErrorAndCreateAccountRegistersInBand() throws Exception {
        DesktopSettings settings = pinned();
        LoginPresenter presenter = presenter(settings);
        BlockingQueue<Object> events = Clients.queue();
        ui.run(() -> presenter.submit(new LoginForm(serverField(), "alice@localhost", "wrong", false, false),
                recorder(events)));
        assertEquals("failed:Wrong user name or password.", next(events, e -> e instanceof String s
                && s.startsWith("failed"), "the failure"));

        // XEP-0077: "create account" registers, then logs in
        ui.run(() -> presenter.submit(new LoginForm(serverField(), "newcomer@localhost", "newcomer-pw", true, false),
                recorder(events)));
        ParleyClient newcomer = (ParleyClient) next(events, e -> e instanceof ParleyClient, "registered and logged in");
        newcomer.close();
        ui.run(() -> presenter.submit(new LoginForm(serverField(), "newcomer@localhost", "other", true, false),
                recorder(events)));
        String taken = (String) next(events, e -> e instanceof String s && s.startsWith("failed"), "the name is taken");
        assertTrue(taken.startsWith("failed:That name is already taken."), taken);
    }

    @Test
    void thePasswordIsStoredOnlyOnRequestReadableByTheOwnerOnlyAndForgottenWhenUnticked() throws Exception {
        DesktopSettings settings = pinned();
        LoginPresenter presenter = presenter(settings);
        BlockingQueue<Object> events = Clients.queue();
        ui.run(() -> presenter.submit(new LoginForm(serverField(), "bob@localhost", TestServer.PASSWORD, false, false),
                recorder(events)));
        ((ParleyClient) next(events, e -> e instanceof ParleyClient, "logged in")).close();
        assertFalse(Files.exists(settings.passwordFile()), "not stored without opt-in");

        ui.run(() -> presenter.submit(new LoginForm(serverField(), "bob@localhost", TestServer.PASSWORD, false, true),
                recorder(events)));
        ((ParleyClient) next(events, e -> e instanceof ParleyClient, "logged in")).close();
        assertTrue(Files.exists(settings.passwordFile()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.passwordFile())));
        assertFalse(Files.readString(settings.passwordFile()).contains(TestServer.PASSWORD), "not in plain text");
        LoginForm initial = presenter(new DesktopSettings(config)).initialForm();
        assertEquals(TestServer.PASSWORD, initial.password());
        assertTrue(initial.rememberPassword());

        ui.run(() -> presenter.submit(new LoginForm(serverField(), "bob@localhost", TestServer.PASSWORD, false, false),
                recorder(events)));
        ((ParleyClient) next(events, e -> e instanceof ParleyClient, "logged in")).close();
        assertNull(new DesktopSettings(config).password("bob@localhost"), "unticking forgets it");
        assertEquals("", presenter(new DesktopSettings(config)).initialForm().password());
    }

    /** Settings whose trust already pins the test server (as after a first "Trust"). */
    private DesktopSettings pinned() {
        DesktopSettings settings = new DesktopSettings(config);
        settings.certificateTrust().trust(TestServer.DOMAIN, server.server().certificateFingerprint());
        return settings;
    }

    private static LoginForm form(String server, String jid, String password) {
        return new LoginForm(server, jid, password, false, false);
    }

    private static LoginView recorder(BlockingQueue<Object> events) {
        return new LoginView() {
            @Override
            public void busy(boolean busy) {
                events.add("busy:" + busy);
            }

            @Override
            public void failed(String message) {
                events.add("failed:" + message);
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
    }
}
