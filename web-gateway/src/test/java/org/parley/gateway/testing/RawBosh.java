package org.parley.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.parley.server.testing.TestServer;

/**
 * A BOSH client made of raw HTTP requests (java.net.http): the test writes every {@code <body/>} itself, so
 * it can send what no library would (repeated or skipped rids, too many requests, junk).
 */
public final class RawBosh {

    public static final String NS = "http://jabber.org/protocol/httpbind";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private final URI uri;
    private final HttpClient client;
    private String sid;
    private long rid;
    private String lastCreation;

    public RawBosh(URI uri) {
        this(uri, HTTP);
    }

    /** With a client of the test's choosing (e.g. one trusting the server's certificate for HTTPS). */
    public RawBosh(URI uri, HttpClient client) {
        this.uri = uri;
        this.client = client;
        this.rid = 1_000_000L + (long) (Math.random() * 1_000_000_000L);
    }

    /** Creates a session; returns the creation response body. */
    public String create(int wait, int hold, String extraAttributes) throws Exception {
        HttpResponse<String> response = post("<body rid='" + rid + "' to='localhost' xml:lang='en' ver='1.11' wait='"
                + wait + "' hold='" + hold + "' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='" + NS + "' "
                + extraAttributes + "/>");
        assertEquals(200, response.statusCode());
        rid++;
        lastCreation = response.body();
        sid = attribute(response.body(), "sid");
        assertNotNull(sid, response.body());
        return response.body();
    }

    public String sid() {
        return sid;
    }

    /** The rid the next {@link #next} request gets. */
    public long rid() {
        return rid;
    }

    public String creation() {
        return lastCreation;
    }

    /** A body for this session with an explicit rid. */
    public String body(long requestRid, String attributes, String payload) {
        String open = "<body rid='" + requestRid + "' sid='" + sid + "' xmlns='" + NS + "'"
                + (attributes.isEmpty() ? "" : " " + attributes);
        return payload.isEmpty() ? open + "/>" : open + ">" + payload + "</body>";
    }

    /** Sends the next request (next rid) and waits for its response. */
    public String next(String attributes, String payload) throws Exception {
        HttpResponse<String> response = post(body(rid++, attributes, payload));
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    /** Sends the next request (next rid) without waiting. */
    public CompletableFuture<HttpResponse<String>> nextAsync(String attributes, String payload) {
        return postAsync(body(rid++, attributes, payload));
    }

    /** Skips a rid (the test sends it later itself). */
    public long skip() {
        return rid++;
    }

    /** PLAIN login, stream restart and resource binding: a session ready for stanzas. */
    public void login(String user, String resource) throws Exception {
        String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        String success = next("", "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
        assertTrue(success.contains("<success"), success);
        String features = next("to='localhost' xml:lang='en' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'", "");
        assertTrue(features.contains("urn:ietf:params:xml:ns:xmpp-bind"), features);
        String bound = next("", "<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>" + resource + "</resource></bind></iq>");
        assertTrue(bound.contains("<jid>" + user + "@localhost/" + resource + "</jid>"), bound);
    }

    public HttpResponse<String> post(String body) throws Exception {
        return postAsync(body).get(30, TimeUnit.SECONDS);
    }

    public CompletableFuture<HttpResponse<String>> postAsync(String body) {
        return client.sendAsync(request(uri, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static HttpRequest.Builder request(URI uri, String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    public static HttpClient http() {
        return HTTP;
    }

    /** An HTTP/1.1 client trusting exactly {@code ssl}'s certificates. */
    public static HttpClient https(javax.net.ssl.SSLContext ssl) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .sslContext(ssl).build();
    }

    /** The same session (sid and rid) over another URI or client: one user agent using two connections. */
    public RawBosh via(URI otherUri, HttpClient otherClient) {
        RawBosh copy = new RawBosh(otherUri, otherClient);
        copy.sid = sid;
        copy.rid = rid;
        return copy;
    }

    /** An attribute of the first element in {@code xml}, or null. */
    public static String attribute(String xml, String name) {
        Matcher m = Pattern.compile("^<[^>]*?\\s" + Pattern.quote(name) + "=['\"]([^'\"]*)['\"]").matcher(xml);
        return m.find() ? m.group(1) : null;
    }
}
