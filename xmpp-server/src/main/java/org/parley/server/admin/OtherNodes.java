package org.parley.server.admin;

import java.util.List;

import org.apache.vysper.xmpp.addressing.Entity;
import org.parley.server.parser.StreamErrorCondition;

/**
 * The other nodes of a cluster as the admin commands see them (issue 19): the sessions they serve, a way to end
 * them, and news of what an administrator changed that nodes keep in memory. {@link #NONE} when the server runs
 * alone.
 */
public interface OtherNodes {

    /** A session bound on another node: its full JID and the node's cluster address. */
    record RemoteSession(Entity fullJid, String node) {
    }

    /** A member of the cluster: its address, whether it is this node, how many sessions and rooms it serves. */
    record Member(String address, boolean self, int sessions, int rooms) {
    }

    /** What an administrator changed in the database that every node also keeps in memory. */
    enum Change { DISABLED_ACCOUNTS, MESSAGE_OF_THE_DAY }

    /** What this node does when another node asks (the receiving end of {@link #endSessions} and {@link #changed}). */
    interface Local {
        /** Ends this node's sessions of {@code jid} (a bare JID: all of them); returns how many. */
        int endSessions(Entity jid, StreamErrorCondition condition, String text);

        /** Reads {@code what} again from the database (and acts on it, e.g. tells online sessions the new MOTD). */
        void reload(Change what);
    }

    /** Sessions bound on the other nodes. */
    List<RemoteSession> sessions();

    /** Asks the nodes holding sessions of {@code jid} to end them; returns how many sessions they hold. */
    int endSessions(Entity jid, StreamErrorCondition condition, String text);

    /** Tells the other nodes to reload {@code what}. */
    void changed(Change what);

    /** Every member, this node included, in the cluster's order (the oldest first); empty when alone. */
    List<Member> members();

    OtherNodes NONE = new OtherNodes() {
        @Override
        public List<RemoteSession> sessions() {
            return List.of();
        }

        @Override
        public int endSessions(Entity jid, StreamErrorCondition condition, String text) {
            return 0;
        }

        @Override
        public void changed(Change what) {
        }

        @Override
        public List<Member> members() {
            return List.of();
        }
    };
}
