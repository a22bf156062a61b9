package org.parley.server.component;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLFragment;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.session.StreamFraming;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One external component's TCP connection (XEP-0114 §3): the stream header names the component, the server
 * answers with a stream id, the component proves the shared secret with {@code <handshake>} (lower-case hex
 * SHA-1 of stream id + secret) and then exchanges stanzas in {@code jabber:component:accept}; stanzas cross
 * into the server as {@code jabber:client} so the rest of the server needs no special case.
 *
 * <p>Input is parsed on a serial executor (in order, off the event loop: routing may touch the database);
 * reading pauses while too much waits. Output waiting for a component that does not read is bounded: beyond
 * {@link #MAX_PENDING_OUTPUT} bytes the connection is dropped (the relay then answers for it).
 */
final class ComponentConnection extends ChannelInboundHandlerAdapter implements XmlStreamListener {

    static final String NS = "jabber:component:accept";
    private static final String NS_CLIENT = "jabber:client";
    private static final long PAUSE_READING_AT = 1 << 20;
    private static final long RESUME_READING_AT = 256 << 10;
    private static final long MAX_PENDING_OUTPUT = 16L << 20;
    static final int MAX_UNAUTHENTICATED = 64;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Logger LOG = LoggerFactory.getLogger(ComponentConnection.class);

    private final Map<String, ExternalComponent> components;
    private final String domain;
    private final int maxStanzaBytes;
    private final long handshakeTimeoutMillis;
    private final Executor executor;
    private final XmlStreamParser parser;
    private final AtomicLong pendingBytes = new AtomicLong();
    /** Connections of this listener that have not completed the handshake, this one included while it has not. */
    private final java.util.concurrent.atomic.AtomicInteger unauthenticated;
    private final java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Channel channel;
    private ScheduledFuture<?> deadline;
    // The rest only on the serial executor.
    private String streamId;
    private ExternalComponent claimed;
    private boolean authenticated;
    private boolean headerSent;
    private boolean ended;

    ComponentConnection(Map<String, ExternalComponent> components, String domain, int maxStanzaBytes,
                        int preAuthBytes, long handshakeTimeoutMillis, Executor executor,
                        java.util.concurrent.atomic.AtomicInteger unauthenticated) {
        this.unauthenticated = unauthenticated;
        this.components = components;
        this.domain = domain;
        this.maxStanzaBytes = maxStanzaBytes;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.executor = executor;
        this.parser = XmlStreamParser.forStream(this, preAuthBytes, NS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        counted.set(true);
        if (unauthenticated.incrementAndGet() > MAX_UNAUTHENTICATED) {
            // Bounded even on a trusted port: a stuck or looping client cannot hold unlimited connections.
            executor.execute(() -> streamError(StreamErrorCondition.POLICY_VIOLATION,
                    "too many connections without a handshake"));
        }
        deadline = ctx.executor().schedule(() -> executor.execute(() -> {
            if (!authenticated) {
                streamError(StreamErrorCondition.CONNECTION_TIMEOUT, "no handshake within "
                        + handshakeTimeoutMillis / 1000 + " s");
            }
        }), handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        byte[] bytes;
        try {
            bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
        } finally {
            buf.release();
        }
        if (pendingBytes.addAndGet(bytes.length) > PAUSE_READING_AT) {
            ctx.channel().config().setAutoRead(false);
        }
        executor.execute(() -> {
            if (!ended) {
                try {
                    parser.feed(bytes, 0, bytes.length);
                } catch (StreamErrorException e) {
                    streamError(e.condition(), e.getMessage());
                } catch (RuntimeException e) {
                    LOG.error("external component {} failed", claimed == null ? "?" : claimed.jid(), e);
                    streamError(StreamErrorCondition.INTERNAL_SERVER_ERROR, null);
                }
            }
            if (pendingBytes.addAndGet(-bytes.length) < RESUME_READING_AT && !channel.config().isAutoRead()) {
                channel.config().setAutoRead(true);
            }
        });
    }

    private void handshakeOver() {
        if (counted.compareAndSet(true, false)) {
            unauthenticated.decrementAndGet();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handshakeOver();
        if (deadline != null) {
            deadline.cancel(false);
        }
        executor.execute(() -> {
            ended = true;
            if (authenticated) {
                claimed.detach(this);
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("component connection failed: {}", cause.toString());
        ctx.close();
    }

    // ---- the stream (serial executor) ----

    @Override
    public void streamOpened(Map<String, String> attributes) throws StreamErrorException {
        streamId = newStreamId();
        String to = attributes.get("to");
        String name = to == null ? null : to.toLowerCase(Locale.ROOT);
        String suffix = "." + domain;
        ExternalComponent component = name != null && name.endsWith(suffix)
                ? components.get(name.substring(0, name.length() - suffix.length())) : null;
        sendHeader(component != null ? component.jid().getDomain() : domain);
        if (component == null) {
            // XEP-0114 §3 and RFC 6120 §4.9.3.6: no component of that name is configured.
            throw new StreamErrorException(StreamErrorCondition.HOST_UNKNOWN, "no such component");
        }
        claimed = component;
    }

    private void sendHeader(String from) {
        headerSent = true;
        write("<?xml version='1.0'?><stream:stream xmlns='" + NS + "' xmlns:stream='" + XmlStreamParser.STREAM_NS
                + "' from='" + from + "' id='" + streamId + "'>");
    }

    @Override
    public void element(Stanza element) throws StreamErrorException {
        if (!authenticated) {
            handshake(element);
            return;
        }
        String name = element.getName();
        if (!NS.equals(element.getNamespaceURI())
                || !name.equals("message") && !name.equals("presence") && !name.equals("iq")) {
            throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE, "only stanzas may follow");
        }
        Entity from = jid(element.getAttributeValue("from"));
        // RFC 6120 §4.9.3.9: a component speaks only for addresses under its own domain.
        if (from == null || !from.getDomain().equals(claimed.jid().getDomain())) {
            throw new StreamErrorException(StreamErrorCondition.INVALID_FROM,
                    "'from' must be " + claimed.jid().getDomain() + " or a JID under it");
        }
        Stanza stanza = renamespace(element, NS, NS_CLIENT);
        String toText = element.getAttributeValue("to");
        Entity to = jid(toText);
        if (to == null) {
            if (StanzaErrors.answerable(stanza)) {
                send(StanzaErrors.error(stanza, toText == null ? StanzaErrorCondition.BAD_REQUEST
                        : StanzaErrorCondition.JID_MALFORMED, "a valid 'to' is required"));
            }
            return;
        }
        if (to.getNode() == null && to.getDomain().equals(domain)) {
            // The server's own handlers run for client sessions only; a request to the server itself is refused
            // rather than left unanswered (RFC 6120 §8.2.3), anything else to it is dropped.
            if (StanzaErrors.isRequest(stanza)) {
                send(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
            }
            return;
        }
        claimed.inject(to, stanza);
    }

    /** XEP-0114 §3: the first element must be the handshake; a wrong one ends the stream. */
    private void handshake(Stanza element) throws StreamErrorException {
        if (!"handshake".equals(element.getName()) || !NS.equals(element.getNamespaceURI())) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "<handshake> expected first");
        }
        byte[] expected = sha1Hex(streamId + claimed.secret()).getBytes(StandardCharsets.US_ASCII);
        byte[] given = StanzaParsing.text(element).strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "wrong handshake");
        }
        if (!claimed.attach(this)) {
            throw new StreamErrorException(StreamErrorCondition.CONFLICT, "this component is already connected");
        }
        authenticated = true;
        handshakeOver();
        deadline.cancel(false);
        parser.setMaxElementBytes(maxStanzaBytes);
        write("<handshake/>");
        LOG.info("external component {} connected", claimed.jid());
    }

    /** The server stops (RFC 6120 §4.9.3.17). */
    void shutdown() {
        executor.execute(() -> streamError(StreamErrorCondition.SYSTEM_SHUTDOWN, null));
    }

    @Override
    public void streamClosed() {
        end("</stream:stream>");
    }

    private void streamError(StreamErrorCondition condition, String text) {
        if (ended) {
            return;
        }
        if (!headerSent) {
            streamId = newStreamId();
            sendHeader(domain);
        }
        LOG.info("stream error {} for component {}{}", condition.elementName(),
                claimed == null ? "?" : claimed.jid(), text == null ? "" : ": " + text);
        // The same element as a client stream's error (RFC 6120 §4.9.2), text escaped by the serialiser.
        byte[] error = StreamFraming.TCP.error(condition, text);
        byte[] close = "</stream:stream>".getBytes(StandardCharsets.US_ASCII);
        byte[] last = java.util.Arrays.copyOf(error, error.length + close.length);
        System.arraycopy(close, 0, last, error.length, close.length);
        end(last);
    }

    /** Writes the last bytes and closes; the component is detached when the channel is gone. */
    private void end(String last) {
        end(last.getBytes(StandardCharsets.UTF_8));
    }

    private void end(byte[] last) {
        if (ended) {
            return;
        }
        ended = true;
        if (authenticated) {
            claimed.detach(this); // at once: stanzas to it are answered from now on
        }
        Channel c = channel;
        c.writeAndFlush(Unpooled.wrappedBuffer(last)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Writes a stanza for the component; false when the connection is gone or hopelessly behind. */
    boolean send(Stanza stanza) {
        Channel c = channel;
        if (c == null || !c.isActive()) {
            return false;
        }
        ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
        if (out != null && out.totalPendingWriteBytes() > MAX_PENDING_OUTPUT) {
            LOG.warn("external component {} does not read its input; disconnected", claimed.jid());
            c.close();
            return false;
        }
        write(StanzaSerializer.toBytes(renamespace(stanza, NS_CLIENT, NS)));
        return true;
    }

    private void write(String xml) {
        write(xml.getBytes(StandardCharsets.UTF_8));
    }

    private void write(byte[] utf8) {
        Channel c = channel;
        if (c != null && c.isActive()) {
            c.writeAndFlush(Unpooled.wrappedBuffer(utf8));
        }
    }

    private static Entity jid(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return EntityImpl.parse(text);
        } catch (EntityFormatException | RuntimeException e) {
            return null;
        }
    }

    /** The stanza with every element in namespace {@code from} moved to {@code to} (the stream's content namespace). */
    static Stanza renamespace(XMLElement e, String from, String to) {
        return new Stanza(ns(e, from, to), e.getName(), e.getNamespacePrefix(), e.getAttributes(),
                children(e, from, to), declared(e, from, to));
    }

    private static List<XMLFragment> children(XMLElement e, String from, String to) {
        List<XMLFragment> out = new ArrayList<>(e.getInnerFragments().size());
        for (XMLFragment f : e.getInnerFragments()) {
            if (f instanceof XMLElement child) {
                out.add(new XMLElement(ns(child, from, to), child.getName(), child.getNamespacePrefix(),
                        child.getAttributes(), children(child, from, to), declared(child, from, to)));
            } else {
                out.add(f);
            }
        }
        return out;
    }

    private static String ns(XMLElement e, String from, String to) {
        return from.equals(e.getNamespaceURI()) ? to : e.getNamespaceURI();
    }

    private static Map<String, String> declared(XMLElement e, String from, String to) {
        Map<String, String> declared = e.getDeclaredNamespaces();
        if (declared == null || declared.isEmpty()) {
            return declared;
        }
        Map<String, String> out = new java.util.LinkedHashMap<>();
        declared.forEach((prefix, uri) -> out.put(prefix, from.equals(uri) ? to : uri));
        return out;
    }

    private static String newStreamId() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** XEP-0114 §3: lower-case hex SHA-1 of the stream id followed by the secret. */
    static String sha1Hex(String input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(input.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
