package org.parley.server.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.session.ParleySession;
import org.parley.server.stream.XmppStream;

/** Building blocks shared by the command groups. */
final class Commands {

    private Commands() {
    }

    interface FormFn {
        Form form(Entity admin) throws Command.Failure;
    }

    interface RunFn {
        Command.Result run(Entity admin, Map<String, List<String>> values) throws Command.Failure;
    }

    /** A command from its node, name, form (null: runs at once) and action. */
    static Command of(String node, String name, FormFn form, RunFn run) {
        return new Command() {
            @Override
            public String node() {
                return node;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public Form form(Entity admin) throws Failure {
                return form == null ? null : form.form(admin);
            }

            @Override
            public Result run(Entity admin, Map<String, List<String>> values) throws Failure {
                return run.run(admin, values);
            }
        };
    }

    /** A JID from a form field, or bad-payload naming the field. */
    static Entity jid(String value, String label) throws Command.Failure {
        try {
            Entity e = EntityImpl.parse(value.strip());
            if (e.getDomain() == null || e.getDomain().isEmpty()) {
                throw new EntityFormatException("no domain");
            }
            return e;
        } catch (EntityFormatException | RuntimeException e) {
            throw Command.Failure.badPayload(label + ": '" + value + "' is not a valid address");
        }
    }

    /**
     * Addresses one jid-multi field may list: each costs a database look-up (and a delete or a session sweep), so
     * one stanza must not turn into tens of thousands of them.
     */
    static final int MAX_JIDS = 500;

    /** The JIDs of a jid-multi field (one to {@link #MAX_JIDS}), or bad-payload. */
    static List<Entity> jids(Map<String, List<String>> values, String var, String label) throws Command.Failure {
        List<Entity> out = new ArrayList<>();
        for (String v : values.getOrDefault(var, List.of())) {
            if (!v.isBlank()) {
                if (out.size() == MAX_JIDS) {
                    throw Command.Failure.badPayload(label + ": at most " + MAX_JIDS + " addresses at once");
                }
                out.add(jid(v, label));
            }
        }
        if (out.isEmpty()) {
            throw Command.Failure.badPayload(label + " is required");
        }
        return out;
    }

    /** An account of this server, or item-not-found / bad-payload. */
    static String localAccount(ServerAccess s, Entity jid) throws Command.Failure {
        if (jid.getNode() == null || !s.domain().equalsIgnoreCase(jid.getDomain())) {
            throw Command.Failure.badPayload(jid + " is not an account of " + s.domain());
        }
        String user = jid.getNode().toLowerCase(java.util.Locale.ROOT);
        if (!s.accounts().exists(user)) {
            throw Command.Failure.notFound("no account " + user + "@" + s.domain());
        }
        return user;
    }

    /** One authenticated stream: who, over what. */
    record SessionInfo(XmppStream stream, Entity fullJid, String transport, String address) {
    }

    static List<SessionInfo> sessions(ServerAccess s) {
        List<SessionInfo> out = new ArrayList<>();
        for (XmppStream stream : s.streams().get()) {
            ParleySession session = stream.session();
            if (session.getInitiatingEntity() == null) {
                continue;
            }
            Entity full = s.registry().bindingOf(session).map(b -> b.fullJid()).orElse(session.getInitiatingEntity());
            out.add(new SessionInfo(stream, full, session.transport().kind(), session.transport().remoteAddress()));
        }
        out.sort((a, b) -> a.fullJid().getFullQualifiedName().compareTo(b.fullJid().getFullQualifiedName()));
        return out;
    }

    /**
     * Ends the streams of {@code jid} (every session of a bare JID, or the one of a full JID) with a stream error
     * the client sees (RFC 6120 §4.9), on this node and, in a cluster, on the nodes holding the others; returns
     * how many.
     */
    static int endSessions(ServerAccess s, Entity jid, StreamErrorCondition condition, String text) {
        return endLocalSessions(s, jid, condition, text) + s.nodes().get().endSessions(jid, condition, text);
    }

    /** {@link #endSessions} on this node only. */
    static int endLocalSessions(ServerAccess s, Entity jid, StreamErrorCondition condition, String text) {
        int n = 0;
        for (SessionInfo info : sessions(s)) {
            boolean match = jid.isResourceSet() ? info.fullJid().equals(jid)
                    : info.fullJid().getBareJID().equals(jid.getBareJID());
            if (match) {
                XmppStream stream = info.stream();
                stream.session().executor().execute(() -> stream.streamError(condition, text));
                n++;
            }
        }
        return n;
    }
}
