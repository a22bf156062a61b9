package org.parley.server.sm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutionException;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumable streams (XEP-0198 §5) by their resumption id: attached while their connection lives, then
 * detached for at most the resumption timeout, during which a new connection of the same account may take
 * the session over; after it the session ends for good.
 */
public final class Resumption {

    private static final Logger LOG = LoggerFactory.getLogger(Resumption.class);
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** What a resumable stream offers to whoever resumes it. */
    public interface Resumable {
        /** The bound full JID. */
        Entity fullJid();

        StreamManagement state();

        /**
         * Completes true once everything the stanzas handled on this stream stored is committed, false if some
         * of it could not be (XEP-0198: an acknowledgement, {@code <resumed h/>} included, means stored).
         */
        CompletableFuture<Boolean> whenHandledStored();

        /**
         * Stops the old stream without ending its session, and sends whatever is still written to that session
         * to {@code next}: the new stream takes it over (or, in a cluster, the node it resumed on).
         */
        void handOver(org.apache.vysper.xmpp.writer.StanzaWriter next);

        /**
         * The timeout passed (or the server stops): end the session as if the stream had just ended; done
         * once its unacknowledged messages have been given another way in.
         */
        CompletableFuture<Void> expire();
    }

    private record Entry(Resumable stream, ScheduledFuture<?> expiry) {
    }

    private final Map<String, Entry> streams = new ConcurrentHashMap<>();
    /** Full JIDs of the sessions waiting without a connection (push notifications ask, XEP-0357). */
    private final Map<Entity, String> detachedJids = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Duration timeout;
    /** Told of each session that loses its connection, with what it had not acknowledged (push, XEP-0357). */
    private volatile BiConsumer<Entity, List<Stanza>>
            onDetached = (jid, unacked) -> { };

    /** The other nodes of a cluster, asked about ids not held here; null when the server runs alone. */
    private volatile RemoteResumption remote;

    public Resumption(ScheduledExecutorService timer, Duration timeout) {
        this.timer = timer;
        this.timeout = timeout;
    }

    /** Joins a cluster: resumption ids name this node, and ids held elsewhere are asked for there (issue 19). */
    public void setRemote(RemoteResumption remote) {
        this.remote = remote;
    }

    /** A fresh, unpredictable resumption id (§5), naming this node when it is part of a cluster. */
    public String newId() {
        byte[] bytes = new byte[15];
        RANDOM.nextBytes(bytes);
        String random = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        RemoteResumption r = remote;
        return r == null ? random : r.idPrefix() + random;
    }

    private void ended(String id) {
        RemoteResumption r = remote;
        if (r != null) {
            try {
                r.ended(id);
            } catch (RuntimeException e) {
                LOG.debug("resumption id {} not released in the cluster: {}", id, e.toString());
            }
        }
    }

    /** How long a detached session waits for its client, in whole seconds (the {@code max} of §5). */
    public long timeoutSeconds() {
        return Math.max(1, timeout.toSeconds());
    }

    /** Whether the session bound to {@code fullJid} lost its connection and waits to be resumed. */
    public boolean isDetached(Entity fullJid) {
        return detachedJids.containsKey(fullJid);
    }

    public void attached(String id, Resumable stream) {
        detachedJids.remove(stream.fullJid(), id);
        Entry old = streams.put(id, new Entry(stream, null));
        if (old != null && old.expiry() != null) {
            old.expiry().cancel(false);
        }
    }

    /**
     * Whom to tell when a session loses its connection, with the stanzas it had not acknowledged: a message that
     * reached the socket just before the phone went away is as unread as one that arrives after.
     */
    public void onDetached(BiConsumer<Entity, List<Stanza>> listener) {
        onDetached = listener;
    }

    /** The stream's connection is gone: keep the session for the timeout. */
    public void detached(String id, Resumable stream) {
        detachedJids.put(stream.fullJid(), id);
        try {
            onDetached.accept(stream.fullJid(), stream.state().unacknowledged());
        } catch (RuntimeException e) {
            LOG.warn("detached-session listener failed for {}: {}", stream.fullJid(), e.toString());
        }
        ScheduledFuture<?> expiry = timer.schedule(() -> {
            detachedJids.remove(stream.fullJid(), id);
            if (streams.remove(id) != null) {
                LOG.debug("resumption of {} timed out", stream.fullJid());
                stream.expire();
                ended(id);
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        streams.put(id, new Entry(stream, expiry));
    }

    /**
     * A detached session's queue overflowed (XEP-0198 §5 with a byte bound): it ends now, as its timeout would,
     * so that what it holds goes to offline storage instead of growing further. Nothing if it is attached.
     */
    public void expireNow(String id) {
        Entry e = streams.get(id);
        if (e == null || e.expiry() == null || !streams.remove(id, e)) {
            return;
        }
        e.expiry().cancel(false);
        LOG.info("detached session of {} ended: too much unacknowledged output", e.stream().fullJid());
        e.stream().expire();
        ended(id);
    }

    /** The stream ended cleanly: it can no longer be resumed. */
    public void forget(String id) {
        Entry e = streams.remove(id);
        if (e != null && e.expiry() != null) {
            e.expiry().cancel(false);
            detachedJids.remove(e.stream().fullJid(), id);
        }
        if (e != null) {
            ended(id);
        }
    }

    /**
     * The server is stopping: ends every detached session now, as its timeout would, so that what it never
     * delivered reaches offline storage before the database closes. Waits at most {@code wait}.
     */
    public void expireAll(Duration wait) {
        List<CompletableFuture<Void>> ending = new ArrayList<>();
        for (String id : List.copyOf(streams.keySet())) {
            Entry e = streams.get(id);
            if (e == null || e.expiry() == null || !streams.remove(id, e)) {
                continue; // attached: its connection is told about the shutdown and ends it
            }
            e.expiry().cancel(false);
            detachedJids.remove(e.stream().fullJid(), id);
            ended(id);
            try {
                ending.add(e.stream().expire());
            } catch (RuntimeException ex) {
                LOG.warn("detached session of {} could not be ended: {}", e.stream().fullJid(), ex.toString());
            }
        }
        if (ending.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(ending.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("ended {} detached sessions", ending.size());
        } catch (TimeoutException | ExecutionException e) {
            LOG.warn("ending {} detached sessions: {}", ending.size(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Takes over the stream {@code id} for {@code user} (its bare JID must match, §5): null when there is no
     * such stream, or it belongs to someone else. In a cluster, a stream held by another node is handed over
     * from there ({@link RemoteResumption#take}, bounded in time).
     */
    public Resumable take(String id, Entity user) {
        Resumable here = takeLocal(id, user);
        RemoteResumption r = remote;
        return here != null || r == null ? here : r.take(id, user);
    }

    /** {@link #take}, among the streams of this node only (what another node's request for a hand-over runs). */
    public Resumable takeLocal(String id, Entity user) {
        Entry e = streams.get(id);
        if (e == null || !e.stream().fullJid().getBareJID().equals(user.getBareJID())) {
            return null;
        }
        if (!streams.remove(id, e)) {
            return null;
        }
        if (e.expiry() != null) {
            e.expiry().cancel(false);
            detachedJids.remove(e.stream().fullJid(), id);
        }
        return e.stream();
    }
}
