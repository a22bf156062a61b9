package org.parley.server.sm;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.session.ParleySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream management protocol of one stream (XEP-0198): {@code <enable/>}/{@code <enabled/>} (§3),
 * {@code <r/>}/{@code <a/>} (§4: an acknowledgement only once what the stanzas stored is committed),
 * {@code <resume/>}/{@code <resumed/>}/{@code <failed/>} (§5), the bounded queue of unacknowledged stanzas, and
 * what becomes of them when the session expires. {@link StreamManagement} holds the counters and the queue;
 * {@link Resumption} the detached sessions; the stream hands the elements here and is told through its
 * {@link Host}.
 *
 * <p>Runs on the session's serial executor; {@link #whenHandledStored} and the outbound recorder are called
 * from other threads too.
 */
public final class StreamManagementProtocol implements Resumption.Resumable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamManagementProtocol.class);

    /** XEP-0198's namespace. */
    public static final String NS = "urn:xmpp:sm:3";
    private static final String NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
    private static final long UNACKED_HARD_FACTOR = 4;
    /** Unanswered acknowledgement requests a client may pile up while the archive is behind. */
    private static final int MAX_DEFERRED_ACKS = 1000;

    /** Why the protocol ends the stream; the stream picks the stream error (RFC 6120 §4.9.3). */
    public enum Violation {
        /** §4: an {@code <a/>} for stanzas never sent: {@code <undefined-condition/>}. */
        UNMATCHED_ACK("the acknowledgement does not match the stanzas sent (XEP-0198 §4)"),
        /** Too many {@code <r/>} wait for the archive: {@code <policy-violation/>}. */
        TOO_MANY_PENDING_ACKS("too many acknowledgement requests waiting (XEP-0198 §4)"),
        /** What would be acknowledged is not stored: {@code <internal-server-error/>}, no resumption. */
        NOT_STORED("messages could not be stored");

        private final String text;

        Violation(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** What the protocol needs from its stream. */
    public interface Host {
        /** Writes a stream management element to the peer. */
        void send(XMLElement element);

        /** Whether the stream ended (closed, failed, lost or handed over). */
        boolean isEnded();

        /** The bound full JID, or null before binding. */
        Entity fullJid();

        /** The stream now serves the resumed session of {@code fullJid} (§5): it is bound. */
        void resumed(Entity fullJid);

        /**
         * Completes true once the writes of the stanzas handled since the last call are committed (false if some
         * could not be), and starts a new span.
         */
        CompletableFuture<Boolean> takeStored();

        /** As {@link #takeStored}, without starting a new span. */
        CompletableFuture<Boolean> whenStored();

        /** Ends the stream with the error {@code violation} calls for. */
        void fail(Violation violation);

        /** Drops the connection at once (the session stays resumable). */
        void abort();

        /** Stops the stream without ending its session: a resuming stream takes it over ({@link #handOver}). */
        void handOver(org.apache.vysper.xmpp.writer.StanzaWriter next);

        /** Ends the session (the resumption timeout passed). */
        void endSession();

        /** Who the peer is, for logs. */
        String describePeer();
    }

    private final ParleySession session;
    private final Resumption resumption;
    private final SessionRegistry registry;
    private final long resumptionBuffer;
    private final Host host;
    /** Null until enabled (or resumed). */
    private StreamManagement sm;
    /** The XEP-0198 queue outgrew its bound once; what follows was already dealt with. */
    private volatile boolean overflowed;
    /** An {@code <r/>} went out for an outgrown queue and no {@code <a/>} came back yet. */
    private volatile boolean ackRequested;
    /**
     * Answers waiting for the archive's commit, in request order (touched on the executor only; volatile for
     * {@link #whenHandledStored}): completes true once everything they cover is stored, false if not.
     */
    private volatile CompletableFuture<Boolean> deferredAcks = CompletableFuture.completedFuture(true);
    private int deferredAckCount;

    /** @param resumptionBuffer the most bytes of unacknowledged stanzas held (limits.resumption-buffer) */
    public StreamManagementProtocol(ParleySession session, Resumption resumption, SessionRegistry registry,
                                    long resumptionBuffer, Host host) {
        this.session = session;
        this.resumption = resumption;
        this.registry = registry;
        this.resumptionBuffer = resumptionBuffer;
        this.host = host;
    }

    /** The stream feature (§2), offered once authenticated. */
    public static XMLElement feature() {
        return new XMLElementBuilder("sm", NS).build();
    }

    /** Whether the element is one of this protocol's requests (anything else in {@link #NS} is unknown). */
    public static boolean handles(XMLElement element) {
        return switch (element.getName()) {
            case "enable", "r", "a", "resume" -> true;
            default -> false;
        };
    }

    /** One of {@code <enable/>}, {@code <r/>}, {@code <a/>}, {@code <resume/>} (see {@link #handles}). */
    public void handle(XMLElement element) {
        switch (element.getName()) {
            case "enable" -> enable(element);
            case "r" -> {
                if (sm != null) {
                    acknowledge();
                }
            }
            case "a" -> {
                Long h = counter(element.getAttributeValue("h"));
                if (sm != null && (h == null || !sm.acknowledged(h))) {
                    host.fail(Violation.UNMATCHED_ACK);
                    return;
                }
                ackRequested = false;
            }
            case "resume" -> resume(element);
            default -> throw new IllegalArgumentException("not a stream management request: " + element.getName());
        }
    }

    /** Counts one stanza the server handled for the client (§4); nothing until enabled. */
    public void handled() {
        if (sm != null) {
            sm.handled();
        }
    }

    /** §3: enable only once, after binding a resource. */
    private void enable(XMLElement element) {
        if (host.fullJid() == null || sm != null) {
            host.send(failed("unexpected-request"));
            return;
        }
        String resume = element.getAttributeValue("resume");
        boolean resumable = "true".equals(resume) || "1".equals(resume);
        String id = resumable ? resumption.newId() : null;
        sm = new StreamManagement(id, resumptionBuffer);
        session.recordOutbound(this::recorded);
        XMLElementBuilder enabled = new XMLElementBuilder("enabled", NS);
        if (resumable) {
            resumption.attached(id, this);
            enabled.addAttribute("id", id).addAttribute("resume", "true")
                    .addAttribute("max", Long.toString(resumption.timeoutSeconds()));
        }
        host.send(enabled.build());
    }

    /**
     * §4: answers {@code <r/>} with the count of stanzas handled now, once what they stored is committed
     * (acknowledged means stored).
     */
    private void acknowledge() {
        long h = sm.handledCount();
        afterStored(host.takeStored(), ok -> sendAck(h, ok));
    }

    /**
     * Gives {@code answer} whether {@code stored} came true, after every answer deferred before it. Nothing
     * waits: the archive's future hands the answer back to this session's executor.
     */
    private void afterStored(CompletableFuture<Boolean> stored, Consumer<Boolean> answer) {
        if (deferredAckCount == 0 && stored.isDone()) {
            answer.accept(stored.getNow(false));
            return;
        }
        if (++deferredAckCount > MAX_DEFERRED_ACKS) {
            host.fail(Violation.TOO_MANY_PENDING_ACKS);
            return;
        }
        // A false before this one already ended the stream; carried on for whenHandledStored.
        deferredAcks = deferredAcks.thenCombine(stored, (previous, ok) -> previous && ok).handle((ok, failure) -> {
            boolean all = failure == null && ok;
            session.executor().execute(() -> {
                deferredAckCount--;
                answer.accept(all);
            });
            return all;
        });
    }

    @Override
    public CompletableFuture<Boolean> whenHandledStored() {
        return deferredAcks.thenCombine(host.whenStored(), (before, rest) -> before && rest);
    }

    private void sendAck(long h, boolean stored) {
        if (host.isEnded()) {
            return;
        }
        if (!stored) {
            // An <a h/> would tell the client these stanzas are safe (§4), and it would drop its copies. Instead
            // the stream ends with an error and without resumption (only a lost connection leaves a session
            // resumable, §5), so the client keeps what was not acknowledged and sends it again on its next session.
            host.fail(Violation.NOT_STORED);
            return;
        }
        // Built like every other element: an <a/> answers a client's <r/>, not each stanza, so a byte template
        // would save nothing measurable.
        host.send(new XMLElementBuilder("a", NS).addAttribute("h", Long.toString(h)).build());
    }

    /**
     * Records a stanza for XEP-0198. When the unacknowledged queue outgrows its bound (limits.resumption-buffer,
     * or {@link StreamManagement#MAX_UNACKED} stanzas): a detached session ends at once, its queue going to the
     * account's other resources or offline storage; an attached client is asked for an acknowledgement
     * ({@code <r/>}, §4), since a burst (offline messages, say) outgrows it before any could come back, and only
     * a client {@value #UNACKED_HARD_FACTOR} times over the bound (in bytes or in stanzas) is dropped (the session stays resumable, and
     * the client gets it all back on resumption).
     */
    private boolean recorded(Stanza stanza) {
        StreamManagement state = sm;
        Boolean within = state.sentUnlessSealed(stanza);
        if (within == null) {
            // Written by another session's thread that found this one just before it expired: rerouted like
            // the rest of the queue rather than lost (issue 17's slow-reader tests saw it).
            rerouteUnacknowledged(List.of(stanza));
            return true;
        }
        if (within || overflowed) {
            return true;
        }
        long bytes = state.unackedBytes();
        if (host.isEnded()) {
            overflowed = true;
            LOG.info("detached {} has {} bytes of unacknowledged stanzas; the session ends", host.describePeer(), bytes);
            if (state.resumptionId() != null) {
                resumption.expireNow(state.resumptionId());
            }
        } else if (bytes > UNACKED_HARD_FACTOR * resumptionBuffer
                || state.unackedCount() > UNACKED_HARD_FACTOR * StreamManagement.MAX_UNACKED) {
            // The same factor for the count as for the bytes: small stanzas reach the count bound first, and a
            // client must have been asked (the <r/> below) before it is dropped.
            overflowed = true;
            LOG.info("{} has not acknowledged {} bytes of stanzas; its connection is dropped", host.describePeer(), bytes);
            host.abort();
        } else if (!ackRequested) {
            ackRequested = true;
            host.send(new XMLElementBuilder("r", NS).build());
        }
        return true;
    }

    /** §5: takes over a detached (or not yet noticed dead) session of the same account. */
    private void resume(XMLElement element) {
        String previd = element.getAttributeValue("previd");
        Long h = counter(element.getAttributeValue("h"));
        Resumption.Resumable old = host.fullJid() != null || previd == null || h == null ? null
                : resumption.take(previd, session.getInitiatingEntity());
        if (old == null) {
            host.send(failed("item-not-found"));
            return;
        }
        session.holdOutput();
        old.handOver(session);
        if (registry.rebind(old.fullJid(), session).isEmpty()) {
            session.releaseOutput(List.of());
            host.send(failed("item-not-found"));
            return;
        }
        host.resumed(old.fullJid());
        sm = old.state();
        String before = LOG.isDebugEnabled() ? sm.toString() : null;
        List<Stanza> again = sm.takeUnacknowledged(h);
        if (before != null) {
            LOG.debug("{} resumes with h={}; before: {}; {} stanzas to send again", host.fullJid().getFullQualifiedName(),
                    h, before, again.size());
        }
        session.recordOutbound(this::recorded);
        resumption.attached(previd, this);
        // <resumed h/> acknowledges what the old stream handled (§5), so, as an <a/>, it waits for what those
        // stanzas stored: their writes were recorded on the old stream, whose pending answers died with it.
        long handled = sm.handledCount();
        afterStored(old.whenHandledStored(), stored -> {
            if (host.isEnded()) {
                return;
            }
            if (!stored) {
                // As sendAck: no acknowledgement, no resumption; the client keeps its copies for a new session.
                session.releaseOutput(again);
                host.fail(Violation.NOT_STORED);
                return;
            }
            host.send(new XMLElementBuilder("resumed", NS).addAttribute("previd", previd)
                    .addAttribute("h", Long.toString(handled)).build());
            session.releaseOutput(again);
            LOG.debug("{} resumed, {} stanzas sent again", host.fullJid().getFullQualifiedName(), again.size());
        });
    }

    /** {@code <failed/>} with a stanza error condition (§3, §5). */
    private static XMLElement failed(String condition) {
        return new XMLElementBuilder("failed", NS).startInnerElement(condition, NS_STANZAS).endInnerElement().build();
    }

    private static Long counter(String value) {
        try {
            long h = Long.parseLong(value);
            return h < 0 || h >= (1L << 32) ? null : h;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The stream ended: a lost connection of a resumable session leaves it detached, waiting for its client
     * (§5: bound, in its rooms, collecting what is sent to it) until resumed or timed out; any other end makes
     * it unresumable. True when the session was detached and must stay.
     */
    public boolean streamEnded(boolean connectionLost) {
        String id = sm == null ? null : sm.resumptionId();
        if (id == null) {
            return false;
        }
        if (connectionLost) {
            resumption.detached(id, this);
            LOG.debug("stream of {} lost; resumable for {} s", host.describePeer(), resumption.timeoutSeconds());
            return true;
        }
        resumption.forget(id);
        return false;
    }

    // ---- Resumption.Resumable: what a resuming stream takes over ----

    @Override
    public Entity fullJid() {
        return host.fullJid();
    }

    @Override
    public StreamManagement state() {
        return sm;
    }

    @Override
    public void handOver(org.apache.vysper.xmpp.writer.StanzaWriter next) {
        host.handOver(next);
    }

    /** The resumption timeout passed: end the session, and give its unacknowledged messages another way in. */
    @Override
    public CompletableFuture<Void> expire() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.executor().execute(() -> {
            try {
                // Unbound first, so that nothing more is delivered to this session; what arrived until then
                // is still recorded as unacknowledged and taken below.
                host.endSession();
                // Sealed, the recorder stays: what is still written to this session is rerouted in recorded().
                rerouteUnacknowledged(sm.takeAllAndSeal());
            } finally {
                done.complete(null);
            }
        });
        return done;
    }

    /** XEP-0198 §5, RFC 6121 §8.5.2: unacknowledged messages go to the account's other resources or offline. */
    private void rerouteUnacknowledged(List<Stanza> undelivered) {
        var relay = (LocalRelay) session.getServerRuntimeContext().getStanzaRelay();
        Entity fullJid = host.fullJid();
        for (Stanza stanza : undelivered) {
            if ("message".equals(stanza.getName()) && !StanzaErrors.isError(stanza)
                    && !stanza.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT).isEmpty()) {
                try {
                    relay.reroute(fullJid, stanza);
                } catch (RuntimeException e) {
                    LOG.warn("unacknowledged message for {} could not be rerouted: {}", fullJid, e.toString());
                }
            }
        }
    }
}
