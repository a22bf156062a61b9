package org.parley.server.admin;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Identity;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Item;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ItemRequestListener;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.routing.StanzaErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ad-hoc commands (XEP-0050) at the server's own address: the XEP-0133 service administration commands and
 * Parley's own ({@value #PARLEY}), for the accounts listed in {@code admins} only. Replaces Vysper's XEP-0050
 * module, whose command sessions were a shared map any requester could continue by id and never forgot.
 *
 * <p>Every stanza is authorised on its own: the requester's authenticated bare JID must be an admin on the
 * first request and on every continuation (an account removed from {@code admins} stops at its next step). A
 * command session belongs to the full JID that started it; another session's id, a made-up one or an expired
 * one gets {@code bad-request} + {@code <bad-sessionid/>} (XEP-0050 §4.6) — indistinguishable, so ids cannot be
 * probed. Sessions are few per admin ({@value #SESSIONS_PER_ADMIN}) and short-lived ({@link #SESSION_TTL}).
 */
public final class AdminCommands extends DefaultDiscoAwareModule
        implements ServerInfoRequestListener, ItemRequestListener {

    public static final String NS = "http://jabber.org/protocol/commands";
    /** XEP-0133's node prefix and FORM_TYPE. */
    public static final String XEP0133 = "http://jabber.org/protocol/admin";
    /** Parley's own commands: node prefix and FORM_TYPE. */
    public static final String PARLEY = "urn:parley:admin:0";
    static final Logger AUDIT = LoggerFactory.getLogger("org.parley.audit");
    private static final Logger LOG = LoggerFactory.getLogger(AdminCommands.class);
    static final int SESSIONS_PER_ADMIN = 16;
    static final Duration SESSION_TTL = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Set<Entity> admins;
    private final String domain;
    private final Clock clock;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, Pending> sessions = new ConcurrentHashMap<>();

    private record Pending(String id, String node, Entity owner, long expiresAt) {
    }

    /** @param admins bare JIDs (as configured in {@code admins}) */
    public AdminCommands(String domain, List<String> admins, Clock clock) {
        this.domain = domain;
        this.clock = clock;
        Set<Entity> set = ConcurrentHashMap.newKeySet();
        for (String a : admins) {
            set.add(EntityImpl.parseUnchecked(a.toLowerCase(Locale.ROOT)).getBareJID());
        }
        this.admins = Set.copyOf(set);
    }

    /** The XEP-0133 and Parley commands on {@code server}, for the accounts in {@code admins}. */
    public static AdminCommands of(ServerAccess server, List<String> admins) {
        return new AdminCommands(server.domain(), admins, Clock.systemUTC()).add(UserCommands.all(server))
                .add(RoomCommands.all(server)).add(ServiceCommands.all(server));
    }

    /** What this node does when another node of a cluster asks it (issue 19): end its sessions, reload. */
    public static OtherNodes.Local local(ServerAccess server) {
        return new OtherNodes.Local() {
            @Override
            public int endSessions(Entity jid, org.parley.server.parser.StreamErrorCondition condition, String text) {
                return Commands.endLocalSessions(server, jid, condition, text);
            }

            @Override
            public void reload(OtherNodes.Change what) {
                switch (what) {
                    case DISABLED_ACCOUNTS -> server.disabled().reload();
                    case MESSAGE_OF_THE_DAY -> {
                        List<Entity> online = new ArrayList<>();
                        for (Commands.SessionInfo i : Commands.sessions(server)) {
                            online.add(i.fullJid());
                        }
                        server.motd().reload(online);
                    }
                }
            }
        };
    }

    /** Adds commands (in the order disco#items lists them). */
    AdminCommands add(List<? extends Command> more) {
        for (Command c : more) {
            commands.put(c.node(), c);
        }
        return this;
    }

    /** Whether {@code user} (any JID of the account) is listed in {@code admins}. */
    public boolean isAdmin(Entity user) {
        return user != null && admins.contains(lower(user.getBareJID()));
    }

    private static Entity lower(Entity bare) {
        return EntityImpl.parseUnchecked(bare.getFullQualifiedName().toLowerCase(Locale.ROOT));
    }

    @Override
    public String getName() {
        return "Parley administration (XEP-0050, XEP-0133)";
    }

    @Override
    public String getVersion() {
        return "1.3";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    protected void addItemRequestListeners(List<ItemRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(NS, new Handler()));
    }

    /** XEP-0050 §2.2/§2.3: the feature, and per command node its identity (for admins only). */
    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        String node = request.getNode();
        if (node == null || node.isEmpty()) {
            return List.of(new Feature(NS));
        }
        Command c = commands.get(node);
        if (c == null || !isAdmin(request.getFrom())) {
            return null;
        }
        return List.of(new Identity("automation", "command-node", c.name()), new Feature(NS),
                new Feature("jabber:x:data"));
    }

    /** XEP-0050 §2.2: the commands this requester may run (none for non-admins). */
    @Override
    public List<Item> getItemsFor(InfoRequest request) {
        if (!NS.equals(request.getNode()) || request.getTo() != null && request.getTo().getNode() != null) {
            return null;
        }
        List<Item> items = new ArrayList<>();
        if (isAdmin(request.getFrom())) {
            Entity server = new EntityImpl(null, domain, null);
            for (Command c : commands.values()) {
                items.add(new Item(server, c.name(), c.node()));
            }
        }
        return items;
    }

    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "iq";
        }

        @Override
        public boolean verify(Stanza stanza) {
            XMLElement first = stanza.getFirstInnerElement();
            return "iq".equals(stanza.getName()) && first != null && "command".equals(first.getName())
                    && NS.equals(first.getNamespaceURI());
        }

        @Override
        public boolean isSessionRequired() {
            return true;
        }

        @Override
        public ResponseStanzaContainer execute(Stanza iq, ServerRuntimeContext runtime, boolean outbound,
                                               SessionContext session, SessionStateHolder state) {
            if (!StanzaErrors.isRequest(iq)) {
                return null;
            }
            Stanza reply;
            try {
                reply = answer(iq, session.getInitiatingEntity(), iq.getFrom());
            } catch (RuntimeException e) {
                LOG.error("admin command {} failed", iq.getFirstInnerElement().getAttributeValue("node"), e);
                reply = StanzaErrors.error(iq, StanzaErrorCondition.INTERNAL_SERVER_ERROR,
                        "the command failed on the server; see its log");
            }
            return new ResponseStanzaContainerImpl(reply);
        }
    }

    private Stanza answer(Stanza iq, Entity user, Entity from) {
        Entity to = iq.getTo();
        if (to != null && (to.getNode() != null || !domain.equals(to.getDomain()))) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
        if (!"set".equals(iq.getAttributeValue("type"))) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "commands are run with an IQ of type set");
        }
        XMLElement command = iq.getFirstInnerElement();
        String node = command.getAttributeValue("node");
        Command c = node == null ? null : commands.get(node);
        if (c == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such command");
        }
        // The session's authenticated account decides, never a 'from' the client wrote (the stream stamps it).
        Entity requester = from != null ? from : user;
        if (user == null || !isAdmin(user)) {
            AUDIT.info("admin action=refused node={}", node);
            return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN,
                    "only the server's administrators (the 'admins' setting) may run this command");
        }
        String action = command.getAttributeValue("action");
        String sessionId = command.getAttributeValue("sessionid");
        if (sessionId == null || sessionId.isEmpty()) {
            if (action != null && !"execute".equals(action)) {
                return commandError(iq, StanzaErrorCondition.BAD_REQUEST, "bad-action",
                        "a command starts with the execute action");
            }
            return start(iq, c, requester);
        }
        Pending pending = sessions.get(sessionId);
        long now = clock.millis();
        if (pending == null || !pending.owner().equals(requester) || !pending.node().equals(node)) {
            return commandError(iq, StanzaErrorCondition.BAD_REQUEST, "bad-sessionid", "no such command session");
        }
        if (now > pending.expiresAt()) {
            sessions.remove(sessionId);
            return commandError(iq, StanzaErrorCondition.NOT_ALLOWED, "session-expired",
                    "the command session expired; start the command again");
        }
        if ("cancel".equals(action)) {
            sessions.remove(sessionId);
            return response(iq, node, sessionId, "canceled", null, null, false);
        }
        if (action != null && !action.equals("execute") && !action.equals("complete") && !action.equals("next")) {
            return commandError(iq, StanzaErrorCondition.BAD_REQUEST, "bad-action", "this command has one stage");
        }
        XMLElement x = StanzaParsing.child(command, "x", Form.NS);
        if (x == null || !"submit".equals(x.getAttributeValue("type"))) {
            return commandError(iq, StanzaErrorCondition.BAD_REQUEST, "bad-payload", "a submitted data form is expected");
        }
        try {
            Command.Result result = c.run(requester, Form.values(x));
            sessions.remove(sessionId);
            return response(iq, node, sessionId, "completed", result.form(), result.note(), false);
        } catch (Command.Failure f) {
            // The session stays: the admin may correct the form and submit it again.
            return commandError(iq, f.condition, f.commandCondition, f.getMessage());
        }
    }

    private Stanza start(Stanza iq, Command c, Entity requester) {
        try {
            Form form = c.form(requester);
            if (form == null) {
                Command.Result result = c.run(requester, Map.of());
                return response(iq, c.node(), newId(), "completed", result.form(), result.note(), false);
            }
            String id = newId();
            evictFor(requester);
            sessions.put(id, new Pending(id, c.node(), requester, clock.millis() + SESSION_TTL.toMillis()));
            return response(iq, c.node(), id, "executing", form.build(), null, true);
        } catch (Command.Failure f) {
            return commandError(iq, f.condition, f.commandCondition, f.getMessage());
        }
    }

    /** Drops expired sessions and, beyond the per-admin bound, the requester's oldest. */
    private void evictFor(Entity requester) {
        long now = clock.millis();
        sessions.values().removeIf(p -> now > p.expiresAt());
        List<Pending> own = new ArrayList<>();
        for (Pending p : sessions.values()) {
            if (p.owner().equals(requester)) {
                own.add(p);
            }
        }
        own.sort((a, b) -> Long.compare(a.expiresAt(), b.expiresAt()));
        for (int i = 0; i <= own.size() - SESSIONS_PER_ADMIN; i++) {
            sessions.remove(own.get(i).id());
        }
    }

    /** Open command sessions (tests check the bound). */
    int openSessions() {
        return sessions.size();
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static Stanza response(Stanza iq, String node, String sessionId, String status, XMLElement form,
                                   String note, boolean executing) {
        StanzaBuilder b = StanzaErrors.result(iq);
        b.startInnerElement("command", NS).addAttribute("node", node).addAttribute("sessionid", sessionId)
                .addAttribute("status", status);
        if (executing) {
            b.startInnerElement("actions", NS).addAttribute("execute", "complete")
                    .startInnerElement("complete", NS).endInnerElement().endInnerElement();
        }
        if (note != null) {
            b.startInnerElement("note", NS).addAttribute("type", "info").addText(note).endInnerElement();
        }
        if (form != null) {
            b.addPreparedElement(form);
        }
        return b.endInnerElement().build();
    }

    private static Stanza commandError(Stanza iq, StanzaErrorCondition condition, String commandCondition,
                                       String text) {
        XMLElement specific = commandCondition == null ? null : new XMLElementBuilder(commandCondition, NS).build();
        return StanzaErrors.error(iq, condition, StanzaErrors.typeOf(condition), text, specific);
    }
}
