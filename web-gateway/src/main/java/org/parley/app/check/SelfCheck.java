package org.parley.app.check;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

import org.jivesoftware.smack.AbstractXMPPConnection;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.bosh.BOSHConfiguration;
import org.jivesoftware.smack.bosh.XMPPBOSHConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnectionConfiguration;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smack.websocket.XmppWebSocketTransportModuleDescriptor;
import org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jxmpp.jid.DomainBareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.jid.parts.Resourcepart;

/**
 * {@code parley check}: logs in to a running deployment through its public addresses the way users' clients do —
 * XMPP over TCP with STARTTLS, WebSocket and BOSH found through host-meta (XEP-0156), a chat room, a message
 * between the three, the archive, an upload — and says per step what passed and, where something failed, what to
 * fix. It uses a temporary account made by in-band registration (XEP-0077) and deleted at the end, unless the
 * operator names one.
 *
 * <p>A check never stops at the first failure: each step that can still run does, and a step whose prerequisite
 * failed is reported as skipped with the reason.
 */
public final class SelfCheck {

    /** What to check. */
    public record Target(String domain, String host, int xmppPort, URI web, String user, char[] password,
                         String pinnedFingerprint, Duration timeout) {
    }

    public enum Outcome { PASS, WARN, FAIL, SKIP }

    /** One line of the report. */
    public record Result(String check, Outcome outcome, String detail) {
    }

    private static final Duration EXPIRY_WARNING = Duration.ofDays(21);

    private final Target target;
    private final List<Result> results = new ArrayList<>();
    private final RecordingTrust trust;
    private final HttpClient http;
    private final String nonce = HexFormat.of().formatHex(random(4));

    private SelfCheck(Target target) throws Exception {
        this.target = target;
        this.trust = new RecordingTrust(target.pinnedFingerprint());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {trust}, null);
        this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(target.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Runs every step and returns the report, in order. */
    public static List<Result> run(Target target) {
        JdkStaxParserFactory.install();
        try {
            return new SelfCheck(target).all();
        } catch (Exception e) {
            return List.of(new Result("setup", Outcome.FAIL, describe(e)));
        }
    }

    private List<Result> all() {
        String user = target.user() != null ? target.user() : "check-" + nonce;
        char[] password = target.password() != null ? target.password()
                : HexFormat.of().formatHex(random(16)).toCharArray();
        boolean temporary = target.user() == null;
        XMPPTCPConnection tcp = null;
        AbstractXMPPConnection webSocket = null;
        AbstractXMPPConnection bosh = null;
        try {
            tcp = tcp(user, password, temporary);
            Links links = hostMeta();
            if (links.boshListed()) {
                cors();
            } else {
                skip("cors", "BOSH is not offered, so no page needs it");
            }
            webSocket = tcp == null ? skip("websocket", "needs the account (see above)")
                    : webSocket(links, user, password);
            bosh = tcp == null ? skip("bosh", "needs the account (see above)") : bosh(links, user, password);
            delivery(tcp, webSocket, bosh);
            room(tcp);
            archive(tcp);
            upload(tcp);
        } finally {
            disconnect(webSocket);
            disconnect(bosh);
            if (tcp != null) {
                cleanUp(tcp, temporary);
            }
        }
        return results;
    }

    // ---------------------------------------------------------------- steps

    private XMPPTCPConnection tcp(String user, char[] password, boolean temporary) {
        String where = target.host() + ":" + target.xmppPort();
        XMPPTCPConnection connection;
        try {
            connection = new XMPPTCPConnection(XMPPTCPConnectionConfiguration.builder()
                    .setXmppDomain(target.domain()).setHost(target.host()).setPort(target.xmppPort())
                    .setSecurityMode(SecurityMode.required).setCustomX509TrustManager(trust)
                    .setHostnameVerifier((name, session) -> true) // checked below, against the XMPP domain
                    .setConnectTimeout((int) target.timeout().toMillis())
                    .setUsernameAndPassword(user, new String(password)).setResource("check-tcp")
                    .setSendPresence(true).build());
            connection.setReplyTimeout(target.timeout().toMillis());
            connection.connect();
        } catch (Exception e) {
            fail("xmpp-tcp", "cannot connect to " + where + " with STARTTLS: " + describe(e)
                    + " — is the server running, c2s.port open in the firewall, and the address right (--host)?");
            fail("certificate", "not seen: no TLS connection");
            return null;
        }
        pass("xmpp-tcp", "connected to " + where + ", TLS negotiated (STARTTLS, RFC 6120 §5)");
        certificate();
        if (!trust.trusted() && trust.pinned() == null && !temporary) {
            fail("login-tcp", "refusing to send " + user + "'s password to a server whose certificate is not "
                    + "trusted: pass --fingerprint with the SHA-256 fingerprint ./parley printed");
            connection.disconnect();
            return null;
        }
        try {
            if (temporary) {
                AccountManager accounts = AccountManager.getInstance(connection);
                if (!accounts.supportsAccountCreation()) {
                    fail("account", "in-band registration is off (registration.enabled = false): run with "
                            + "--user NAME and the password on standard input");
                    connection.disconnect();
                    return null;
                }
                accounts.createAccount(Localpart.from(user), new String(password));
                pass("account", "temporary account " + user + "@" + target.domain() + " registered (XEP-0077)");
            }
            connection.login();
            pass("login-tcp", "logged in over TCP as " + connection.getUser());
            return connection;
        } catch (Exception e) {
            fail(temporary ? "account" : "login-tcp", describe(e) + (temporary
                    ? " — if this says not-acceptable or resource-constraint, registration.per-address-per-hour may"
                    + " have been reached from this address" : ""));
            connection.disconnect();
            return null;
        }
    }

    private void certificate() {
        X509Certificate[] chain = trust.chain();
        if (chain == null || chain.length == 0) {
            fail("certificate", "the server sent no certificate");
            return;
        }
        X509Certificate leaf = chain[0];
        Instant expires = leaf.getNotAfter().toInstant();
        Duration left = Duration.between(Instant.now(), expires);
        String fingerprint = fingerprint(leaf);
        List<String> names = names(leaf);
        boolean covers = names.stream().anyMatch(n -> matches(n, target.domain()));
        String about = "expires " + expires + " (" + Math.max(0, left.toDays()) + " days), names " + names
                + ", SHA-256 " + fingerprint;
        if (left.isNegative()) {
            fail("certificate", "EXPIRED: " + about + " — renew it (tls.certificate / tls.key)");
        } else if (!covers) {
            fail("certificate", "does not name the domain " + target.domain() + ": " + about
                    + " — clients will refuse it; get one for " + target.domain());
        } else if (left.compareTo(EXPIRY_WARNING) < 0) {
            warn("certificate", "expires soon: " + about + " — renew it");
        } else if (!trust.trusted()) {
            warn("certificate", "not signed by a certificate authority Java trusts (self-signed?): " + about
                    + " — every client will ask its user to accept it; use an ACME certificate for real users");
        } else {
            pass("certificate", "trusted, " + about);
        }
    }

    /** The WebSocket and BOSH addresses a web client finds (XEP-0156). */
    private record Links(URI webSocket, URI bosh, boolean boshListed) {
    }

    private Links hostMeta() {
        URI uri = target.web().resolve("/.well-known/host-meta.json");
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(target.timeout()).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                fail("host-meta", uri + " returned " + response.statusCode()
                        + " — web clients cannot find BOSH and WebSocket; is the web port forwarded?");
                return fallbackLinks();
            }
            boolean secure = "https".equals(target.web().getScheme());
            URI webSocket = link(response.body(), "urn:xmpp:alt-connections:websocket", secure ? "wss:" : "ws:");
            URI bosh = link(response.body(), "urn:xmpp:alt-connections:xbosh", secure ? "https:" : "http:");
            if (webSocket == null || bosh == null) {
                fail("host-meta", uri + " lists no " + (webSocket == null ? "WebSocket" : "BOSH")
                        + " address: browsers cannot connect over it (is it disabled, http.bosh.enabled?)");
                Links fallback = fallbackLinks();
                return new Links(webSocket == null ? fallback.webSocket() : webSocket,
                        bosh == null ? fallback.bosh() : bosh, bosh != null);
            }
            String cors = response.headers().firstValue("Access-Control-Allow-Origin").orElse(null);
            if (!"*".equals(cors)) {
                warn("host-meta", "found " + webSocket + " and " + bosh + ", but without "
                        + "'Access-Control-Allow-Origin: *' (XEP-0156 §3): pages on other sites cannot read it");
            } else {
                pass("host-meta", "lists " + webSocket + " and " + bosh + " (XEP-0156)");
            }
            return new Links(webSocket, bosh, true);
        } catch (Exception e) {
            fail("host-meta", "cannot read " + uri + ": " + describe(e) + " — is http.port reachable?");
            return fallbackLinks();
        }
    }

    private Links fallbackLinks() {
        boolean secure = "https".equals(target.web().getScheme());
        URI ws = target.web().resolve("/xmpp-websocket");
        return new Links(URI.create((secure ? "wss" : "ws") + ws.toString().substring(ws.getScheme().length())),
                target.web().resolve("/http-bind"), true);
    }

    private static URI link(String json, String rel, String scheme) {
        Matcher m = Pattern.compile("\\{[^}]*\"rel\"\\s*:\\s*\"" + Pattern.quote(rel)
                + "\"[^}]*\"href\"\\s*:\\s*\"([^\"]+)\"[^}]*}").matcher(json);
        while (m.find()) {
            if (m.group(1).startsWith(scheme)) {
                return URI.create(m.group(1));
            }
        }
        return null;
    }

    /** A page served by the gateway itself may use BOSH (its own origin is allowed by default). */
    private void cors() {
        URI bosh = target.web().resolve("/http-bind");
        String origin = target.web().getScheme() + "://" + target.web().getRawAuthority();
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(bosh).timeout(target.timeout())
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                    .header("Access-Control-Request-Method", "POST")
                    .header("Access-Control-Request-Headers", "content-type").build(),
                    HttpResponse.BodyHandlers.ofString());
            String allowed = response.headers().firstValue("Access-Control-Allow-Origin").orElse(null);
            if (response.statusCode() / 100 == 2 && (origin.equalsIgnoreCase(allowed) || "*".equals(allowed))) {
                pass("cors", "a page from " + origin + " may use " + bosh);
            } else {
                fail("cors", "preflight for " + bosh + " from " + origin + " answered " + response.statusCode()
                        + (allowed == null ? " without Access-Control-Allow-Origin" : " allowing " + allowed)
                        + " — check http.allowed-origins and what your proxy does with OPTIONS");
            }
        } catch (Exception e) {
            fail("cors", "cannot reach " + bosh + ": " + describe(e));
        }
    }

    private AbstractXMPPConnection webSocket(Links links, String user, char[] password) {
        String missing = missing(links.webSocket(), "WebSocket", "proxy_set_header Upgrade and Connection");
        if (missing != null) {
            fail("websocket", missing);
            return null;
        }
        try {
            ModularXmppClientToServerConnectionConfiguration.Builder builder =
                    ModularXmppClientToServerConnectionConfiguration.builder();
            builder.removeAllModules();
            builder.addModule(XmppWebSocketTransportModuleDescriptor.getBuilder(builder)
                    .explicitlySetWebSocketEndpointAndDiscovery(links.webSocket(), false).build());
            ModularXmppClientToServerConnection connection = new ModularXmppClientToServerConnection(builder
                    .setXmppDomain(target.domain()).setSecurityMode(SecurityMode.disabled) // TLS is the wss:// layer's
                    .setCustomX509TrustManager(trust).setUsernameAndPassword(user, new String(password))
                    .setResource("check-websocket").setSendPresence(true).build());
            connection.setReplyTimeout(target.timeout().toMillis());
            connection.connect().login();
            pass("websocket", "logged in over " + links.webSocket() + " (RFC 7395)");
            return connection;
        } catch (Exception e) {
            fail("websocket", "cannot log in over " + links.webSocket() + ": " + describe(e)
                    + httpHint(links.webSocket(), "WebSocket", "proxy_set_header Upgrade/Connection"));
            return null;
        }
    }

    private AbstractXMPPConnection bosh(Links links, String user, char[] password) {
        URI uri = links.bosh();
        String missing = missing(uri, "BOSH", "a location block for it");
        if (missing != null) {
            fail("bosh", missing);
            return null;
        }
        try {
            String host = "127.0.0.1".equals(uri.getHost()) ? "localhost" : uri.getHost(); // Smack 4.5 and IP literals
            XMPPBOSHConnection connection = new XMPPBOSHConnection(BOSHConfiguration.builder()
                    .setXmppDomain(target.domain()).setHost(host)
                    .setPort(uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80)
                    .setFile(uri.getRawPath()).setUseHttps("https".equals(uri.getScheme()))
                    .setSecurityMode(SecurityMode.disabled).setCustomX509TrustManager(trust)
                    .setUsernameAndPassword(user, new String(password)).setResource("check-bosh")
                    .setSendPresence(true).build());
            connection.setReplyTimeout(target.timeout().toMillis());
            connection.connect().login();
            pass("bosh", "logged in over " + uri + " (XEP-0124, XEP-0206)");
            return connection;
        } catch (Exception e) {
            fail("bosh", "cannot log in over " + uri + ": " + describe(e) + httpHint(uri, "BOSH", "a location block"));
            return null;
        }
    }

    /** Null when the endpoint exists (anything but 404 to a plain GET), else the line that says it does not. */
    private String missing(URI endpoint, String what, String proxyHint) {
        URI plain = URI.create(endpoint.toString().replaceFirst("^ws", "http"));
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(plain).timeout(target.timeout()).GET()
                    .build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() != 404 ? null : what + " unreachable: " + plain.getRawPath()
                    + " returned 404 (disabled on the server, or not forwarded by your proxy: " + proxyHint + ")";
        } catch (Exception e) {
            return "nothing answers HTTP at " + plain + ": " + describe(e);
        }
    }

    /** What the HTTP endpoint answers to a plain request, in words that point at the usual cause. */
    private String httpHint(URI endpoint, String what, String proxyHint) {
        URI plain = URI.create(endpoint.toString().replaceFirst("^ws", "http"));
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(plain).timeout(target.timeout()).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404) {
                return " — " + what + " unreachable: " + plain.getRawPath() + " returned 404 (disabled on the server,"
                        + " or not forwarded by your proxy: " + proxyHint + ")";
            }
            return " (" + plain.getRawPath() + " answers " + response.statusCode() + " to a plain GET)";
        } catch (Exception e) {
            return " — nothing answers HTTP at " + plain + ": " + describe(e);
        }
    }

    private void delivery(XMPPTCPConnection tcp, AbstractXMPPConnection webSocket, AbstractXMPPConnection bosh) {
        hop("message-tcp-websocket", tcp, webSocket);
        hop("message-websocket-bosh", webSocket, bosh);
    }

    private void hop(String check, AbstractXMPPConnection from, AbstractXMPPConnection to) {
        if (from == null || to == null) {
            skip(check, "needs both connections (see above)");
            return;
        }
        String body = "parley check " + nonce + " " + check;
        CompletableFuture<Message> arrived = new CompletableFuture<>();
        to.addAsyncStanzaListener(s -> arrived.complete((Message) s),
                s -> s instanceof Message m && body.equals(m.getBody()));
        try {
            long started = System.nanoTime();
            from.sendStanza(MessageBuilder.buildMessage().to(to.getUser()).ofType(Message.Type.chat).setBody(body)
                    .build());
            arrived.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
            pass(check, "delivered in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        } catch (Exception e) {
            fail(check, "not delivered within " + target.timeout().toSeconds() + " s: " + describe(e));
        }
    }

    private void room(XMPPTCPConnection tcp) {
        if (tcp == null) {
            skip("room", "needs the account (see above)");
            return;
        }
        MultiUserChat room = null;
        try {
            MultiUserChatManager manager = MultiUserChatManager.getInstanceFor(tcp);
            List<DomainBareJid> services = manager.getMucServiceDomains();
            if (services.isEmpty()) {
                skip("room", "the server lists no chat room service (muc.enabled = false?)");
                return;
            }
            EntityBareJid jid = JidCreate.entityBareFrom(Localpart.from("check-" + nonce), services.get(0));
            room = manager.getMultiUserChat(jid);
            room.create(Resourcepart.from("check")).makeInstant();
            String body = "parley check " + nonce + " room";
            CompletableFuture<Message> echoed = new CompletableFuture<>();
            room.addMessageListener(m -> {
                if (body.equals(m.getBody())) {
                    echoed.complete(m);
                }
            });
            room.sendMessage(body);
            echoed.get(target.timeout().toMillis(), TimeUnit.MILLISECONDS);
            pass("room", "created " + jid + ", a message came back (XEP-0045)");
        } catch (Exception e) {
            fail("room", describe(e));
        } finally {
            if (room != null) {
                try {
                    room.destroy("parley check finished", null);
                } catch (Exception e) {
                    warn("room", "could not destroy " + room.getRoom() + ": " + describe(e));
                }
            }
        }
    }

    private void archive(XMPPTCPConnection tcp) {
        if (tcp == null) {
            skip("archive", "needs the account (see above)");
            return;
        }
        try {
            MamManager mam = MamManager.getInstanceFor(tcp);
            if (!mam.isSupported()) {
                skip("archive", "the server has no message archive (mam.enabled = false)");
                return;
            }
            String wanted = "parley check " + nonce + " message-tcp-websocket";
            long deadline = System.nanoTime() + target.timeout().toNanos();
            while (true) {
                MamManager.MamQuery query = mam.queryMostRecentPage(null, 20);
                if (query.getMessages().stream().anyMatch(m -> wanted.equals(m.getBody()))) {
                    pass("archive", "the message is in the archive (XEP-0313)");
                    return;
                }
                if (System.nanoTime() > deadline) {
                    fail("archive", "the message sent over TCP is not in the archive after "
                            + target.timeout().toSeconds() + " s (mam.default = never?)");
                    return;
                }
                Thread.sleep(200); // the archive writes in the background: ask again shortly
            }
        } catch (Exception e) {
            fail("archive", describe(e));
        }
    }

    private void upload(XMPPTCPConnection tcp) {
        if (tcp == null) {
            skip("upload", "needs the account (see above)");
            return;
        }
        try {
            HttpFileUploadManager uploads = HttpFileUploadManager.getInstanceFor(tcp);
            if (!uploads.discoverUploadService()) {
                skip("upload", "the server offers no HTTP file upload service (XEP-0363)");
                return;
            }
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {trust}, null);
            uploads.setTlsContext(tls);
            byte[] content = ("parley check " + nonce + "\n").getBytes(StandardCharsets.UTF_8);
            URL url = uploads.uploadFile(new ByteArrayInputStream(content), "check-" + nonce + ".txt",
                    content.length);
            HttpResponse<byte[]> back = http.send(HttpRequest.newBuilder(url.toURI()).timeout(target.timeout())
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (back.statusCode() == 200 && Arrays.equals(back.body(), content)) {
                pass("upload", "uploaded and fetched " + url);
            } else {
                fail("upload", "uploaded, but GET " + url + " returned " + back.statusCode()
                        + " — check the upload's public URL setting and your proxy");
            }
        } catch (Exception e) {
            fail("upload", describe(e));
        }
    }

    private void cleanUp(XMPPTCPConnection tcp, boolean temporary) {
        if (temporary) {
            try {
                AccountManager.getInstance(tcp).deleteAccount();
                pass("cleanup", "temporary account deleted");
            } catch (SmackException.NotConnectedException e) {
                // XEP-0077 §3.2: the server answers and then ends the deleted account's streams with not-authorized;
                // the client may see that stream error first. That is the server saying the account is gone.
                if (String.valueOf(e.getMessage()).contains("not-authorized")) {
                    pass("cleanup", "temporary account deleted (the server ended its stream, XEP-0077 §3.2)");
                } else {
                    warn("cleanup", "could not delete the temporary account: " + describe(e)
                            + " — delete it with ./parley user delete");
                }
            } catch (Exception e) {
                warn("cleanup", "could not delete the temporary account: " + describe(e)
                        + " — delete it with ./parley user delete");
            }
        }
        tcp.disconnect();
    }

    // ---------------------------------------------------------------- helpers

    private void pass(String check, String detail) {
        results.add(new Result(check, Outcome.PASS, detail));
    }

    private void warn(String check, String detail) {
        results.add(new Result(check, Outcome.WARN, detail));
    }

    private void fail(String check, String detail) {
        results.add(new Result(check, Outcome.FAIL, detail));
    }

    private <T> T skip(String check, String why) {
        results.add(new Result(check, Outcome.SKIP, why));
        return null;
    }

    private static void disconnect(AbstractXMPPConnection connection) {
        if (connection != null) {
            connection.disconnect();
        }
    }

    private static byte[] random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** One line: the innermost message that says something, never a stack trace. */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof RuntimeException
                && t.getCause().getMessage() != null)) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }

    static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (Exception e) {
            return "?";
        }
    }

    private static List<String> names(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> name : certificate.getSubjectAlternativeNames()) {
                    if (name.size() >= 2 && name.get(1) instanceof String s) {
                        names.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // fall through to the subject
        }
        if (names.isEmpty()) {
            Matcher cn = Pattern.compile("CN=([^,]+)").matcher(certificate.getSubjectX500Principal().getName());
            if (cn.find()) {
                names.add(cn.group(1));
            }
        }
        return names;
    }

    /** RFC 6125 §6.4: exact, or a wildcard for exactly one left-most label. */
    private static boolean matches(String name, String domain) {
        String n = name.toLowerCase(Locale.ROOT);
        String d = domain.toLowerCase(Locale.ROOT);
        if (n.equals(d)) {
            return true;
        }
        return n.startsWith("*.") && d.endsWith(n.substring(1)) && d.indexOf('.') == d.length() - (n.length() - 1);
    }

    /**
     * Accepts any server certificate but remembers the chain and whether the JDK's certificate authorities (or
     * the pinned fingerprint) vouch for it: the check reports on the certificate instead of stopping at it.
     */
    static final class RecordingTrust extends X509ExtendedTrustManager {
        private final X509TrustManager system;
        private final String pinned;
        private volatile X509Certificate[] chain;
        private volatile boolean trusted;

        RecordingTrust(String pinnedFingerprint) throws Exception {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            this.system = (X509TrustManager) factory.getTrustManagers()[0];
            this.pinned = pinnedFingerprint == null ? null
                    : pinnedFingerprint.replace(":", "").toUpperCase(Locale.ROOT);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] presented, String authType) throws CertificateException {
            if (pinned != null && presented.length > 0
                    && !pinned.equals(fingerprint(presented[0]).replace(":", ""))) {
                throw new CertificateException("the certificate's SHA-256 fingerprint is not the one given with "
                        + "--fingerprint");
            }
            if (chain == null) {
                chain = presented.clone();
                try {
                    system.checkServerTrusted(presented, authType);
                    trusted = true;
                } catch (CertificateException e) {
                    trusted = false;
                }
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] presented, String authType, Socket socket)
                throws CertificateException {
            checkServerTrusted(presented, authType); // names are checked by the report, against the XMPP domain
        }

        @Override
        public void checkServerTrusted(X509Certificate[] presented, String authType, SSLEngine engine)
                throws CertificateException {
            checkServerTrusted(presented, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] presented, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] presented, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] presented, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }

        X509Certificate[] chain() {
            return chain;
        }

        boolean trusted() {
            return trusted;
        }

        String pinned() {
            return pinned;
        }
    }
}
