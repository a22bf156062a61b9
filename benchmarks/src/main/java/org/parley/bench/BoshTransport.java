package org.parley.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * XMPP over BOSH (XEP-0124, XEP-0206) with hold=1: one request is always held by the server so it can
 * push, and a second request carries what the client sends (which makes the server answer the held
 * one). Requests go out asynchronously on the shared {@link Net#HTTP}; no thread waits per session.
 */
final class BoshTransport extends Transport {
    private static final String NS = "http://jabber.org/protocol/httpbind";
    private final URI uri;
    private long rid = ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
    private String sid;
    private String domain;
    private final List<String> outgoing = new ArrayList<>();
    private boolean restartPending;
    private int inFlight;
    private boolean started;
    /**
     * Whether an empty request should be held by the server. During login the client only waits for the
     * answer to what it sent, so it sends strictly one request at a time: a poll racing the next request
     * on another HTTP connection made ejabberd 23.01 lose the later one (rid order, XEP-0124 §14).
     */
    private boolean polling;
    private int waiting;

    BoshTransport(URI uri) {
        this.uri = uri;
    }

    @Override
    String openStream(String domain) throws IOException {
        this.domain = domain;
        if (sid == null) {
            String body = "<body content='text/xml; charset=utf-8' hold='1' rid='" + (rid++) + "' to='" + domain
                    + "' ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0' xmlns='" + NS
                    + "' xmlns:xmpp='urn:xmpp:xbosh'/>";
            try {
                HttpResponse<String> r = Net.HTTP.send(request(body), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IOException("BOSH session creation: HTTP " + r.statusCode());
                }
                StanzaSplitter sp = new StanzaSplitter();
                List<String> children = sp.feed(r.body());
                sid = StanzaSplitter.attr(sp.header(), "sid");
                if (sid == null) {
                    throw new IOException("BOSH session creation without sid: " + r.body());
                }
                children.forEach(this::deliver);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            synchronized (this) {
                started = true;
                pump();
            }
        } else {
            synchronized (this) {
                restartPending = true;
                pump();
            }
        }
        return next(15_000);
    }

    @Override
    void send(String xml) {
        synchronized (this) {
            outgoing.add(xml);
            pump();
        }
    }

    /** Sends what is waiting if a request slot is free; keeps one request held by the server otherwise. */
    private void pump() {
        if (closed || !started) {
            return;
        }
        if (restartPending && inFlight < 2) {
            restartPending = false;
            fire("<body rid='" + (rid++) + "' sid='" + sid + "' to='" + domain + "' xml:lang='en' xmpp:restart='true'"
                    + " xmlns='" + NS + "' xmlns:xmpp='urn:xmpp:xbosh'/>");
        } else if (!outgoing.isEmpty() && inFlight < 2) {
            StringBuilder b = new StringBuilder("<body rid='").append(rid++).append("' sid='").append(sid)
                    .append("' xmlns='").append(NS).append("'>");
            outgoing.forEach(b::append);
            outgoing.clear();
            fire(b.append("</body>").toString());
        } else if (inFlight == 0 && (polling || waiting > 0)) {
            fire("<body rid='" + (rid++) + "' sid='" + sid + "' xmlns='" + NS + "'/>");
        }
    }

    private HttpRequest request(String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "text/xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static final boolean DEBUG = Boolean.getBoolean("bench.debug");

    private void fire(String body) {
        inFlight++;
        if (DEBUG) {
            System.err.println("BOSH >> " + body);
        }
        Net.HTTP.sendAsync(request(body), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            if (e != null || r.statusCode() != 200) {
                closed = true;
            } else {
                if (DEBUG) {
                    System.err.println("BOSH << " + r.body());
                }
                StanzaSplitter sp = new StanzaSplitter();
                for (String s : sp.feed(r.body())) {
                    deliver(s);
                }
                if ("terminate".equals(StanzaSplitter.attr(sp.header(), "type"))) {
                    closed = true;
                }
            }
            synchronized (this) {
                inFlight--;
                pump();
            }
        });
    }

    @Override
    protected String pollInbox(long timeoutMs) throws InterruptedException, java.io.IOException {
        String ready = super.pollInbox(0);
        if (ready != null) {
            return ready;
        }
        synchronized (this) {
            waiting++;
            pump();
        }
        try {
            return super.pollInbox(timeoutMs);
        } finally {
            synchronized (this) {
                waiting--;
            }
        }
    }

    @Override
    void listen(java.util.function.Consumer<String> l) {
        super.listen(l);
        synchronized (this) {
            polling = true;
            pump();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed || sid == null) {
                closed = true;
                return;
            }
            closed = true;
        }
        Net.HTTP.sendAsync(request("<body rid='" + (rid++) + "' sid='" + sid + "' type='terminate' xmlns='" + NS
                + "'><presence type='unavailable' xmlns='jabber:client'/></body>"), HttpResponse.BodyHandlers.discarding());
    }
}
