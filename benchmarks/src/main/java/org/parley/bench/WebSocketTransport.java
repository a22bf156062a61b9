package org.parley.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * XMPP over WebSocket (RFC 7395): subprotocol {@code xmpp}, one element per text message,
 * {@code <open/>}/{@code <close/>} framing. Uses the JDK's WebSocket client on the shared {@link Net#HTTP}.
 */
final class WebSocketTransport extends Transport {
    private final WebSocket ws;
    private final StringBuilder partial = new StringBuilder();

    WebSocketTransport(URI uri) throws IOException {
        try {
            ws = Net.HTTP.newWebSocketBuilder().subprotocols("xmpp")
                    .buildAsync(uri, new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            partial.append(data);
                            if (last) {
                                String s = partial.toString();
                                partial.setLength(0);
                                if (s.startsWith("<close")) {
                                    closed = true;
                                } else if (!s.startsWith("<open")) {
                                    deliver(s);
                                }
                            }
                            w.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                            closed = true;
                            return null;
                        }

                        @Override
                        public void onError(WebSocket w, Throwable error) {
                            closed = true;
                        }
                    }).get(15, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IOException("WebSocket connect to " + uri + " failed: " + e, e);
        }
    }

    @Override
    String openStream(String domain) throws IOException {
        send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='" + domain + "' version='1.0'/>");
        return next(15_000);
    }

    @Override
    void send(String xml) throws IOException {
        // The JDK client allows one outstanding send per socket; waiting keeps stanzas in order.
        synchronized (this) {
            try {
                ws.sendText(xml, true).get(15, TimeUnit.SECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                closed = true;
                throw new IOException("WebSocket send failed: " + e, e);
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            try {
                send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
            } catch (IOException ignored) {
                // gone already
            }
        }
        closed = true;
        ws.abort();
    }
}
