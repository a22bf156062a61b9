package org.parley.client.ui.login;

import java.util.Locale;

import org.parley.client.core.CertificateTrust;
import org.parley.client.core.ClientSettings;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.UntrustedCertificateException;
import org.parley.client.ui.Errors;
import org.parley.client.ui.UiDispatch;
import org.parley.client.ui.settings.DesktopSettings;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.stringprep.XmppStringprepException;

/**
 * The login screen's logic: checks the form, logs in or registers (XEP-0077) on the worker thread, turns an
 * unknown server certificate into a question for the user (never a silent trust), pins the certificate when
 * the user accepts it, and remembers the server, the address and — only when asked — the password.
 */
public final class LoginPresenter {

    private final DesktopSettings settings;
    private final CertificateTrust trust;
    private final UiDispatch dispatch;

    public LoginPresenter(DesktopSettings settings, CertificateTrust trust, UiDispatch dispatch) {
        this.settings = settings;
        this.trust = trust;
        this.dispatch = dispatch;
    }

    /** The form as the user left it last time (with the password only if they asked to remember it). */
    public LoginForm initialForm() {
        String jid = settings.lastJid();
        boolean remember = settings.rememberPassword();
        String password = remember && !jid.isEmpty() ? settings.password(jid) : null;
        return new LoginForm(settings.lastServer(), jid, password == null ? "" : password, false, remember);
    }

    /** Where a password is kept when the user asks for it (shown next to the checkbox). */
    public java.nio.file.Path passwordFile() {
        return settings.passwordFile();
    }

    /** Null when the form can be sent, otherwise what is wrong with it. */
    public static String validate(LoginForm form) {
        String jid = form.jid() == null ? "" : form.jid().trim();
        if (jid.isEmpty()) {
            return "Enter your address, e.g. alice@example.org.";
        }
        if (jid.indexOf('@') <= 0 || jid.endsWith("@")) {
            return "The address needs a user name and a server: user@example.org.";
        }
        try {
            EntityBareJid parsed = JidCreate.entityBareFrom(jid);
            if (parsed.getLocalpart().toString().isEmpty()) {
                return "The address needs a user name and a server: user@example.org.";
            }
        } catch (XmppStringprepException e) {
            return "Not a valid address: " + jid;
        }
        if (form.password() == null || form.password().isEmpty()) {
            return "Enter the password.";
        }
        try {
            hostAndPort(form.server());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    /** Parses the server field: {@code host}, {@code host:port}, {@code [v6]:port} or empty; port 5222 by default. */
    static HostPort hostAndPort(String server) {
        String s = server == null ? "" : server.trim();
        if (s.isEmpty()) {
            return new HostPort(null, 5222);
        }
        String host;
        String portText = null;
        if (s.startsWith("[")) { // [IPv6] or [IPv6]:port
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("Server: \"" + s + "\" lacks the closing ].");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("Server: expected host:port, got \"" + s + "\".");
                }
                portText = rest.substring(1);
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) { // host:port
            host = s.substring(0, s.indexOf(':'));
            portText = s.substring(s.indexOf(':') + 1);
        } else { // a host name, or a bare IPv6 address
            host = s;
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("Server: the host name is missing in \"" + s + "\".");
        }
        if (portText == null) {
            return new HostPort(host, 5222);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Server: \"" + portText + "\" is not a port number (1-65535).");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("Server: port " + port + " is out of range (1-65535).");
        }
        return new HostPort(host, port);
    }

    record HostPort(String host, int port) {
    }

    /** The client the form describes (not connected yet). */
    public ParleyClient clientFor(LoginForm form) {
        HostPort server = hostAndPort(form.server());
        ClientSettings clientSettings = ClientSettings.of(form.jid().trim().toLowerCase(Locale.ROOT));
        if (server.host() != null) {
            clientSettings = clientSettings.withHost(server.host(), server.port());
        } else if (server.port() != 5222) {
            clientSettings = clientSettings.withHost(clientSettings.domain(), server.port());
        }
        ParleyClient client = new ParleyClient(clientSettings, trust);
        // The main window announces us once its listeners are attached (offline messages, requests).
        client.setSendInitialPresence(false);
        return client;
    }

    /** Logs in (or registers, then logs in) with the form; the outcome goes to {@code view}. */
    public void submit(LoginForm form, LoginView view) {
        String problem = validate(form);
        if (problem != null) {
            view.failed(problem);
            return;
        }
        view.busy(true);
        ParleyClient client = clientFor(form);
        dispatch.background(() -> {
            if (form.createAccount()) {
                client.register(form.password());
            } else {
                client.login(form.password());
            }
            return client;
        }, done -> {
            view.busy(false);
            remember(form);
            view.loggedIn(done);
        }, e -> {
            view.busy(false);
            if (e instanceof UntrustedCertificateException untrusted) {
                view.untrusted(form, untrusted);
            } else {
                view.failed(Errors.describe(e));
            }
        });
    }

    /** The user compared the fingerprint and trusts it: pin it for that server, then try again. */
    public void trustAndRetry(LoginForm form, UntrustedCertificateException certificate, LoginView view) {
        try {
            trust.trust(certificate.server(), certificate.fingerprint());
        } catch (RuntimeException e) { // e.g. ~/.config/parley not writable: say so instead of doing nothing
            view.failed(Errors.describe(e));
            return;
        }
        submit(form, view);
    }

    private void remember(LoginForm form) {
        String jid = form.jid().trim();
        settings.rememberLogin(form.server(), jid, form.rememberPassword());
        if (form.rememberPassword()) {
            settings.storePassword(jid, form.password());
        } else {
            settings.forgetPassword(jid);
        }
    }
}
