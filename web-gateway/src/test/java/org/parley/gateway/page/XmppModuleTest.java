package org.parley.gateway.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.gateway.browser.Browser;
import org.parley.gateway.browser.BrowserExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * The page's own XMPP module (web/js/xmpp/), run in real headless Chromium against a real server: SCRAM-SHA-256,
 * SCRAM-SHA-1 and PLAIN computed by the browser, both transports, registration and login errors, escaping, and
 * XEP-0198 resumption after a dropped connection. Each test imports the module into the page and drives it with
 * an asynchronous script; the Java side checks what a Smack TCP client sees.
 */
class XmppModuleTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("alice", "smack");

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension();

    private static Browser browser;

    /**
     * Imports the module, then runs {@code body} as an async function with {@code m} (the module) and {@code args}.
     * The body is part of the WebDriver script itself: the page's CSP (rightly) forbids evaluating strings.
     */
    private static String script(String body) {
        return """
                const done = arguments[arguments.length - 1];
                const args = arguments[0];
                import('/js/xmpp/connection.js').then(async m => {
                  try {
                    done({ ok: true, value: await (async () => {
                """ + body + """
                    })() });
                  } catch (e) {
                    done({ ok: false, kind: e.kind || null, condition: e.condition || null, message: String(e.message || e) });
                  }
                }, e => done({ ok: false, message: 'import failed: ' + e }));
                """;
    }

    private static final String CONNECT = """
            const config = await m.discover();
            const c = new m.Connection(Object.assign(config, { debug: true }, args.options || {}));
            window.connections = window.connections || {};
            window.connections[args.name || 'c'] = c;
            await c.connect({ username: args.user, password: args.password, register: !!args.register });
            """;

    @BeforeAll
    static void openPage() {
        browser = browsers.open("module");
        browser.get(gateway.httpUri("/").toString());
    }

    @AfterAll
    static void closePage() {
        browser.close();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> value(Map<String, Object> result) {
        return (Map<String, Object>) result.get("value");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> run(String body, Map<String, Object> args) {
        return (Map<String, Object>) browser.asyncScript(script(body), args);
    }

    private static Map<String, Object> ok(Map<String, Object> result) {
        assertEquals(Boolean.TRUE, result.get("ok"), () -> "script failed: " + result + "\n" + browser.consoleLog());
        return result;
    }

    @Test
    void scramSha256OverWebSocketIsPreferredAndMessagesReachATcpClient() throws Exception {
        XMPPTCPConnection smack = gateway.server().login("smack");
        try {
            CompletableFuture<Message> received = new CompletableFuture<>();
            smack.addAsyncStanzaListener(s -> received.complete((Message) s),
                    s -> s instanceof Message m && m.getBody() != null);
            Map<String, Object> result = ok(run(CONNECT + """
                    const { xml } = await import('/js/xmpp/xml.js');
                    c.send(xml('message', { to: args.to, type: 'chat' }, xml('body', {}, args.text)));
                    const r = { jid: c.jid, mechanism: c.mechanismUsed, transport: c.transport.name, sm: c.sm.enabled };
                    c.close();
                    return r;
                    """, Map.of("user", "alice", "password", TestServer.PASSWORD, "to", smack.getUser().toString(),
                    "text", "<b>bold</b> & 'quotes' \"too\" ]]> \u0001")));
            Map<String, Object> value = value(result);
            assertTrue(((String) value.get("jid")).startsWith("alice@localhost/"), value.toString());
            assertEquals("SCRAM-SHA-256", value.get("mechanism"));
            assertEquals("websocket", value.get("transport"));
            assertEquals(Boolean.TRUE, value.get("sm"), "XEP-0198 enabled when offered");
            assertEquals("<b>bold</b> & 'quotes' \"too\" ]]> \uFFFD", received.get(20, TimeUnit.SECONDS).getBody(),
                    "markup characters arrive as text; a character XML cannot carry is replaced, not fatal");
        } finally {
            smack.disconnect();
        }
    }

    @Test
    void scramSha1AndPlainOverBosh() {
        for (String mechanism : new String[] {"SCRAM-SHA-1", "PLAIN"}) {
            Map<String, Object> result = ok(run(CONNECT + """
                    const r = { mechanism: c.mechanismUsed, transport: c.transport.name };
                    c.close();
                    return r;
                    """, Map.of("user", "alice", "password", TestServer.PASSWORD,
                    "options", Map.of("transports", new String[] {"bosh"}, "mechanisms", new String[] {mechanism}))));
            Map<String, Object> value = value(result);
            assertEquals(mechanism, value.get("mechanism"));
            assertEquals("bosh", value.get("transport"));
        }
    }

    @Test
    void boshCarriesMessagesBothWays() throws Exception {
        XMPPTCPConnection smack = gateway.server().login("smack", "bosh-peer");
        try {
            CompletableFuture<Message> received = new CompletableFuture<>();
            smack.addAsyncStanzaListener(s -> received.complete((Message) s),
                    s -> s instanceof Message m && "from bosh".equals(m.getBody()));
            ok(run(CONNECT + """
                    const { xml, childText } = await import('/js/xmpp/xml.js');
                    window.boshInbox = [];
                    c.addEventListener('stanza', e => {
                      const body = childText(e.detail.stanza, 'body');
                      if (body) window.boshInbox.push(body);
                    });
                    c.send(xml('presence'));
                    c.send(xml('message', { to: 'smack@localhost/bosh-peer', type: 'chat' }, xml('body', {}, 'from bosh')));
                    """, Map.of("name", "bosh", "user", "alice", "password", TestServer.PASSWORD,
                    "options", Map.of("transports", new String[] {"bosh"}))));
            assertEquals("from bosh", received.get(20, TimeUnit.SECONDS).getBody());
            smack.sendStanza(smack.getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.from(smack.getUser().asEntityBareJid() .toString().replace("smack", "alice")))
                    .ofType(Message.Type.chat).setBody("to bosh").build());
            browser.waitUntil("the BOSH client receives the message", d ->
                    (Boolean) browser.script("return (window.boshInbox || []).includes('to bosh');"));
        } finally {
            browser.script("window.connections.bosh && window.connections.bosh.close();");
            smack.disconnect();
        }
    }

    @Test
    void wrongPasswordTakenNameAndWeakPasswordAreTold() {
        Map<String, Object> wrong = run(CONNECT, Map.of("user", "alice", "password", "not-the-password"));
        assertEquals("auth", wrong.get("kind"), wrong.toString());
        assertEquals("wrong username or password", wrong.get("message"));

        Map<String, Object> taken = run(CONNECT, Map.of("user", "alice", "password", "another-password", "register", true));
        assertEquals("conflict", taken.get("kind"), taken.toString());
        assertTrue(((String) taken.get("message")).contains("taken"), taken.toString());

        Map<String, Object> weak = run(CONNECT, Map.of("user", "newbie", "password", "abc", "register", true));
        assertEquals("weak-password", weak.get("kind"), weak.toString());
        assertTrue(((String) weak.get("message")).contains("at least"), weak.toString());

        Map<String, Object> registered = ok(run(CONNECT + "const jid = c.jid; c.close(); return jid;",
                Map.of("user", "newbie", "password", "a-good-password", "register", true)));
        assertTrue(((String) registered.get("value")).startsWith("newbie@localhost/"));
    }

    @Test
    void unreachableServerIsTold() {
        Map<String, Object> result = run("""
                // Endpoints that are not there (same origin, so the page's CSP is not what stops them).
                const c = new m.Connection({ domain: 'localhost', websocketUrl: 'ws://' + location.host + '/no-websocket',
                                             boshUrl: location.origin + '/no-bosh' });
                await c.connect({ username: 'alice', password: 'x' });
                """, Map.of());
        assertEquals("unreachable", result.get("kind"), result.toString());
        assertTrue(((String) result.get("message")).startsWith("the server cannot be reached"), result.toString());
    }

    @Test
    void droppedConnectionIsResumedWithStreamManagement() throws Exception {
        XMPPTCPConnection smack = gateway.server().login("smack", "resume-peer");
        try {
            ok(run(CONNECT + """
                    const { xml, childText } = await import('/js/xmpp/xml.js');
                    window.resumeLog = { statuses: [], bodies: [] };
                    c.addEventListener('status', e => window.resumeLog.statuses.push(e.detail.status + (e.detail.resumed ? ':resumed' : '')));
                    c.addEventListener('stanza', e => {
                      const body = childText(e.detail.stanza, 'body');
                      if (body) window.resumeLog.bodies.push(body);
                    });
                    c.send(xml('presence'));
                    """, Map.of("name", "resume", "user", "alice", "password", TestServer.PASSWORD)));
            browser.script("window.connections.resume.dropConnection();");
            browser.waitUntil("resumed after the drop", d -> (Boolean) browser.script(
                    "return window.resumeLog.statuses.includes('online:resumed');"));
            smack.sendStanza(smack.getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.from("alice@localhost")).ofType(Message.Type.chat).setBody("after resume").build());
            browser.waitUntil("a message arrives on the resumed session", Duration.ofSeconds(30), d ->
                    (Boolean) browser.script("return window.resumeLog.bodies.includes('after resume');"));
        } finally {
            browser.script("window.connections.resume && window.connections.resume.close();");
            smack.disconnect();
        }
    }
}
