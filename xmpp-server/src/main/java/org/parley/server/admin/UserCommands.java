package org.parley.server.admin;

import static org.parley.server.admin.AdminCommands.AUDIT;
import static org.parley.server.admin.AdminCommands.PARLEY;
import static org.parley.server.admin.AdminCommands.XEP0133;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.accounts.AccountException;
import org.parley.server.accounts.AccountService;
import org.parley.server.parser.StreamErrorCondition;

/** Accounts and sessions: XEP-0133 §4.1–§4.7, the registered/online user counts and the online list, and Parley's search and session list. */
final class UserCommands {

    /** Rows a list answers at most; the note says when there were more. */
    static final int MAX_ROWS = 500;

    private UserCommands() {
    }

    static List<Command> all(ServerAccess s) {
        return List.of(
                Commands.of(XEP0133 + "#add-user", "Add a user", admin -> Form.form("Adding a user", XEP0133)
                                .required("accountjid", "jid-single", "The Jabber ID for the account to be added")
                                .required("password", "text-private", "The password for this account")
                                .required("password-verify", "text-private", "Retype password"),
                        (admin, v) -> addUser(s, v)),
                Commands.of(XEP0133 + "#delete-user", "Delete a user", admin -> Form.form("Deleting a user", XEP0133)
                                .required("accountjids", "jid-multi", "The Jabber ID(s) to delete"),
                        (admin, v) -> deleteUsers(s, v)),
                Commands.of(XEP0133 + "#disable-user", "Disable a user", admin -> Form.form("Disabling a user", XEP0133)
                                .required("accountjids", "jid-multi", "The Jabber ID(s) to disable"),
                        (admin, v) -> disable(s, v, true)),
                Commands.of(XEP0133 + "#reenable-user", "Re-enable a user", admin -> Form.form("Re-enabling a user", XEP0133)
                                .required("accountjids", "jid-multi", "The Jabber ID(s) to re-enable"),
                        (admin, v) -> disable(s, v, false)),
                Commands.of(XEP0133 + "#end-user-session", "End a user's sessions", admin -> Form.form(
                                "Ending a user's sessions", XEP0133).instructions("A bare JID ends all of the user's sessions, a full JID one.")
                                .required("accountjids", "jid-multi", "The Jabber ID(s) whose sessions end"),
                        (admin, v) -> endSessions(s, v)),
                Commands.of(XEP0133 + "#change-user-password", "Change a user's password", admin -> Form.form(
                                "Changing a user's password", XEP0133)
                                .required("accountjid", "jid-single", "The Jabber ID for this account")
                                .required("password", "text-private", "The password for this account"),
                        (admin, v) -> changePassword(s, v)),
                Commands.of(XEP0133 + "#get-registered-users-num", "Number of registered users", null,
                        (admin, v) -> Command.Result.form(Form.result("Number of registered users", XEP0133)
                                .fixed("registeredusersnum", "The number of registered users", s.accounts().count()))),
                Commands.of(XEP0133 + "#get-online-users-num", "Number of online users", null,
                        (admin, v) -> Command.Result.form(Form.result("Number of online users", XEP0133)
                                .fixed("onlineusersnum", "The number of online users", onlineUsers(s).size()))),
                Commands.of(XEP0133 + "#get-online-users-list", "List of online users", null,
                        (admin, v) -> onlineList(s)),
                Commands.of(PARLEY + "#users", "Find users", admin -> Form.form("Find users", PARLEY)
                                .text("query", "Part of the user name (empty: everyone)", ""),
                        (admin, v) -> search(s, v)),
                Commands.of(PARLEY + "#sessions", "A user's sessions", admin -> Form.form("A user's sessions", PARLEY)
                                .required("accountjid", "jid-single", "The Jabber ID of the account"),
                        (admin, v) -> sessionsOf(s, v)));
    }

    private static Command.Result addUser(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        Entity jid = Commands.jid(Command.single(v, "accountjid", "The Jabber ID"), "The Jabber ID");
        String password = Command.single(v, "password", "The password");
        if (!password.equals(Command.optional(v, "password-verify"))) {
            throw Command.Failure.badPayload("the two passwords differ");
        }
        if (jid.getNode() == null || !s.domain().equalsIgnoreCase(jid.getDomain())) {
            throw Command.Failure.badPayload("accounts can only be created in " + s.domain());
        }
        try {
            String user = s.accounts().create(jid.getNode(), password);
            AUDIT.info("admin action=add-user target={}@{}", user, s.domain());
            return Command.Result.note("Account " + user + "@" + s.domain() + " created.");
        } catch (AccountException e) {
            AUDIT.info("admin action=add-user target={} refused={}", jid.getBareJID(), e.getMessage());
            if (s.accounts().exists(jid.getNode())) {
                throw new Command.Failure(StanzaErrorCondition.CONFLICT, null, e.getMessage());
            }
            throw Command.Failure.badPayload(e.getMessage());
        }
    }

    private static Command.Result deleteUsers(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        List<String> users = new ArrayList<>();
        for (Entity jid : Commands.jids(v, "accountjids", "The Jabber ID(s)")) {
            users.add(Commands.localAccount(s, jid)); // all checked before anything is deleted
        }
        for (String user : users) {
            s.accounts().delete(user);
            s.disabled().forget(user);
            s.nodes().get().changed(OtherNodes.Change.DISABLED_ACCOUNTS);
            Commands.endSessions(s, bare(s, user), StreamErrorCondition.NOT_AUTHORIZED, "account removed");
            AUDIT.info("admin action=delete-user target={}@{}", user, s.domain());
        }
        return Command.Result.note("Deleted: " + String.join(", ", users) + ".");
    }

    private static Command.Result disable(ServerAccess s, Map<String, List<String>> v, boolean off)
            throws Command.Failure {
        List<String> users = new ArrayList<>();
        for (Entity jid : Commands.jids(v, "accountjids", "The Jabber ID(s)")) {
            users.add(Commands.localAccount(s, jid));
        }
        for (String user : users) {
            s.disabled().set(user, off);
            s.nodes().get().changed(OtherNodes.Change.DISABLED_ACCOUNTS); // before their sessions end: no re-login
            if (off) {
                // RFC 6120 §4.9.3.12: the client learns why and must not log in again by itself.
                Commands.endSessions(s, bare(s, user), StreamErrorCondition.NOT_AUTHORIZED,
                        "account disabled by an administrator");
            }
            AUDIT.info("admin action={} target={}@{}", off ? "disable-user" : "reenable-user", user, s.domain());
        }
        return Command.Result.note((off ? "Disabled: " : "Re-enabled: ") + String.join(", ", users) + ".");
    }

    private static Command.Result endSessions(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        int ended = 0;
        List<Entity> jids = Commands.jids(v, "accountjids", "The Jabber ID(s)");
        for (Entity jid : jids) {
            Commands.localAccount(s, jid);
        }
        for (Entity jid : jids) {
            Entity target = jid.isResourceSet() ? jid : jid.getBareJID();
            int n = Commands.endSessions(s, target, StreamErrorCondition.POLICY_VIOLATION,
                    "session ended by an administrator");
            ended += n;
            AUDIT.info("admin action=end-user-session target={} sessions={}", target, n);
        }
        return Command.Result.note(ended == 0 ? "No session was online." : ended + (ended == 1 ? " session" : " sessions") + " ended.");
    }

    private static Command.Result changePassword(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        Entity jid = Commands.jid(Command.single(v, "accountjid", "The Jabber ID"), "The Jabber ID");
        String user = Commands.localAccount(s, jid);
        String password = Command.single(v, "password", "The password");
        try {
            s.accounts().setPassword(user, password);
        } catch (AccountException e) {
            AUDIT.info("admin action=change-user-password target={}@{} refused={}", user, s.domain(), e.getMessage());
            throw Command.Failure.badPayload(e.getMessage());
        }
        AUDIT.info("admin action=change-user-password target={}@{}", user, s.domain());
        return Command.Result.note("Password of " + user + "@" + s.domain() + " changed.");
    }

    /** Sessions online per account (bare JID → count), on every node of a cluster. */
    private static Map<String, Integer> onlineUsers(ServerAccess s) {
        Map<String, Integer> online = new HashMap<>();
        for (Commands.SessionInfo i : Commands.sessions(s)) {
            online.merge(i.fullJid().getBareJID().getFullQualifiedName(), 1, Integer::sum);
        }
        for (OtherNodes.RemoteSession r : s.nodes().get().sessions()) {
            online.merge(r.fullJid().getBareJID().getFullQualifiedName(), 1, Integer::sum);
        }
        return online;
    }

    private static Command.Result onlineList(ServerAccess s) {
        List<String> users = new ArrayList<>(onlineUsers(s).keySet());
        users.sort(null);
        Form form = Form.result("Online users", XEP0133);
        form.field("onlineuserjids", "jid-multi", "The list of all online users", false,
                users.subList(0, Math.min(users.size(), MAX_ROWS)), Map.of());
        return Command.Result.form(form);
    }

    private static Command.Result search(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        String query = Command.optional(v, "query");
        if (query != null && query.length() > AccountService.MAX_USERNAME_BYTES) {
            throw Command.Failure.badPayload("the search is longer than any user name");
        }
        String q = query == null ? "" : query.toLowerCase(Locale.ROOT);
        Map<String, Integer> online = onlineUsers(s);
        Form form = Form.result("Users", PARLEY).columns("jid", "Address", "sessions", "Sessions online",
                "disabled", "Disabled");
        int matches = 0;
        for (String user : s.accounts().list()) {
            if (!q.isEmpty() && !user.contains(q)) {
                continue;
            }
            matches++;
            if (form.rowCount() < MAX_ROWS) {
                String jid = user + "@" + s.domain();
                form.row(jid, online.getOrDefault(jid, 0), s.disabled().isDisabled(user) ? "1" : "0");
            }
        }
        form.fixed("total", "Matching users", matches);
        return new Command.Result(form.build(), matches > MAX_ROWS
                ? "Showing the first " + MAX_ROWS + " of " + matches + "; narrow the search." : null);
    }

    private static Command.Result sessionsOf(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        Entity jid = Commands.jid(Command.single(v, "accountjid", "The Jabber ID"), "The Jabber ID");
        String user = Commands.localAccount(s, jid);
        Form form = Form.result("Sessions of " + user + "@" + s.domain(), PARLEY)
                .columns("jid", "Session", "transport", "Transport", "address", "From address");
        for (Commands.SessionInfo i : Commands.sessions(s)) {
            if (i.fullJid().getBareJID().equals(bare(s, user))) {
                form.row(i.fullJid().getFullQualifiedName(), i.transport(), i.address());
            }
        }
        for (OtherNodes.RemoteSession r : s.nodes().get().sessions()) {
            if (r.fullJid().getBareJID().equals(bare(s, user))) {
                // Transport and client address are known on the node holding the session; this one knows where.
                form.row(r.fullJid().getFullQualifiedName(), "node " + r.node(), "");
            }
        }
        return Command.Result.form(form);
    }

    private static Entity bare(ServerAccess s, String user) {
        return new org.apache.vysper.xmpp.addressing.EntityImpl(user, s.domain(), null);
    }
}
