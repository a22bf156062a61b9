package org.parley.server.pubsub;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.pubsub.PubSubXml.Failure;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.PubSubStore.StoredItem;
import org.parley.server.storage.PubSubStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes of one publish-subscribe address and the XEP-0060 protocol on them: an account's personal
 * eventing service (XEP-0163, {@code pep}: the account owns every node, default access model
 * {@code presence}) or the pubsub component (nodes owned by who created them, default {@code open}).
 *
 * <p>Requests on one address are serialised by its lock; notifications are sent after it is released.
 */
final class PubSubService {

    private static final Logger LOG = LoggerFactory.getLogger(PubSubService.class);

    /** What a service needs from the server around it. */
    interface Environment {
        PubSubStore store();

        /** The owner's roster subscription to {@code contact}: none, to, from or both. */
        String subscription(Entity owner, Entity contact);

        /** Whether the bare JID is an account of this server (who may create nodes on the service). */
        boolean isLocalUser(Entity bareJid);

        void send(Stanza stanza);

        /**
         * PEP only: the available resources of the owner and of its contacts with a presence subscription
         * whose entity capabilities ask for notifications of {@code node} (XEP-0163 §4.2).
         */
        Collection<Entity> interested(Entity owner, String node);

        /** Largest pubsub#max_items an owner may configure. */
        int itemLimit();

        /** Largest item payload, in bytes of its XML (limits.pubsub-item-size). */
        default int itemBytes() {
            return Integer.MAX_VALUE;
        }

        /** Items one account's PEP nodes may hold together (limits.pubsub-items-per-account). */
        default int itemsPerAccount() {
            return Integer.MAX_VALUE;
        }

        /** PEP nodes of one account, or pubsub service nodes one account owns (limits.pubsub-nodes-per-account). */
        default int nodesPerAccount() {
            return Integer.MAX_VALUE;
        }

        /** pubsub#max_items of a new node. */
        int defaultMaxItems(boolean pep);

        /** PEP only: null when a client may publish this item, else why not ({@link PepHook#check}). */
        default PepHook.Refusal check(Entity service, String node, String itemId, XMLElement payload) {
            return null;
        }

        /** PEP only: a client's request changed the node ({@link PepHook#changed}). */
        default void changed(Entity service, String node) {
        }
    }

    private final Entity address;
    private final String key;
    private final boolean pep;
    private final Environment env;
    private final Map<String, PubSubNode> nodes = new LinkedHashMap<>();

    PubSubService(Entity address, boolean pep, Environment env) {
        this.address = address;
        this.key = address.getFullQualifiedName();
        this.pep = pep;
        this.env = env;
        for (PubSubStore.StoredNode stored : env.store().nodes(key)) {
            PubSubNode node = new PubSubNode(stored.node(), defaults().restore(stored.settings()));
            node.affiliations.putAll(stored.affiliations());
            node.subscriptions.addAll(stored.subscriptions());
            nodes.put(stored.node(), node);
        }
    }

    Entity address() {
        return address;
    }

    private NodeConfig defaults() {
        return NodeConfig.defaults(pep, env.defaultMaxItems(pep), env.itemLimit());
    }

    // ------------------------------------------------------------------ requests

    /**
     * Answers one pubsub IQ request ({@code <pubsub/>} in the pubsub or pubsub#owner namespace) sent by
     * {@code requester} (a full JID); notifications it causes are sent before returning.
     */
    Stanza handle(Stanza iq, Entity requester) {
        List<Stanza> out = new ArrayList<>();
        Stanza reply;
        try {
            synchronized (this) {
                reply = dispatch(iq, requester, out);
            }
        } catch (Failure f) {
            reply = PubSubXml.error(iq, f);
        }
        out.forEach(env::send);
        String changed = pep && !StanzaErrors.isError(reply) ? changedNode(iq) : null;
        if (changed != null) {
            env.changed(address, changed);
        }
        return reply;
    }

    /** The node a successful request changed (publish, retract, purge, delete), or null. */
    private static String changedNode(Stanza iq) {
        XMLElement pubsub = iq.getFirstInnerElement();
        if (!"set".equals(iq.getAttributeValue("type")) || pubsub == null || pubsub.getInnerElements().isEmpty()) {
            return null;
        }
        XMLElement action = pubsub.getInnerElements().get(0);
        boolean owner = PubSubXml.OWNER.equals(pubsub.getNamespaceURI());
        boolean changes = owner ? "delete".equals(action.getName()) || "purge".equals(action.getName())
                : "publish".equals(action.getName()) || "retract".equals(action.getName());
        return changes ? action.getAttributeValue("node") : null;
    }

    private Stanza dispatch(Stanza iq, Entity requester, List<Stanza> out) {
        XMLElement pubsub = iq.getFirstInnerElement();
        if (pubsub == null || !"pubsub".equals(pubsub.getName()) || pubsub.getInnerElements().isEmpty()) {
            throw Failure.badRequest(null, "expected <pubsub/> with an action");
        }
        boolean set = "set".equals(iq.getAttributeValue("type"));
        boolean owner = PubSubXml.OWNER.equals(pubsub.getNamespaceURI());
        XMLElement action = pubsub.getInnerElements().get(0);
        Entity bare = requester.getBareJID();
        String name = action.getName();
        if (!owner) {
            if (set) {
                return switch (name) {
                    case "create" -> create(iq, action, PubSubXml.child(pubsub, "configure", PubSubXml.PUBSUB), bare);
                    case "publish" -> publish(iq, action, PubSubXml.child(pubsub, "publish-options", PubSubXml.PUBSUB),
                            bare, out);
                    case "retract" -> retract(iq, action, bare, out);
                    case "subscribe" -> subscribe(iq, action, requester, out);
                    case "unsubscribe" -> unsubscribe(iq, action, requester);
                    case "options" -> throw Failure.unsupported("subscription-options");
                    default -> throw Failure.badRequest(null, "unknown pubsub action <" + name + "/>");
                };
            }
            return switch (name) {
                case "items" -> items(iq, action, bare);
                case "subscriptions" -> ownSubscriptions(iq, action, bare);
                case "affiliations" -> ownAffiliations(iq, action, bare);
                case "options" -> throw Failure.unsupported("subscription-options");
                default -> throw Failure.badRequest(null, "unknown pubsub request <" + name + "/>");
            };
        }
        if (set) {
            return switch (name) {
                case "configure" -> configure(iq, action, bare, out);
                case "delete" -> delete(iq, action, bare, out);
                case "purge" -> purge(iq, action, bare, out);
                case "affiliations" -> setAffiliations(iq, action, bare);
                case "subscriptions" -> throw Failure.unsupported("manage-subscriptions");
                default -> throw Failure.badRequest(null, "unknown pubsub#owner action <" + name + "/>");
            };
        }
        return switch (name) {
            case "configure" -> configuration(iq, action, bare);
            case "default" -> {
                StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.OWNER)
                        .startInnerElement("default", PubSubXml.OWNER);
                defaults().render(b);
                yield b.endInnerElement().endInnerElement().build();
            }
            case "affiliations" -> affiliations(iq, action, bare);
            case "subscriptions" -> throw Failure.unsupported("manage-subscriptions");
            default -> throw Failure.badRequest(null, "unknown pubsub#owner request <" + name + "/>");
        };
    }

    // ------------------------------------------------------------------ access

    private String affiliationOf(PubSubNode node, Entity bare) {
        if (pep && bare.equals(address)) {
            return PubSubNode.OWNER;
        }
        return node.affiliation(bare.getFullQualifiedName());
    }

    private boolean isServiceOwner(Entity bare) {
        return pep && bare.equals(address);
    }

    private List<Entity> ownersOf(PubSubNode node) {
        if (pep) {
            return List.of(address);
        }
        List<Entity> owners = new ArrayList<>();
        node.affiliations.forEach((jid, aff) -> {
            if (PubSubNode.OWNER.equals(aff)) {
                owners.add(EntityImpl.parseUnchecked(jid));
            }
        });
        return owners;
    }

    /** Null when {@code bare} may subscribe and retrieve items (XEP-0060 §4.5), else the error to answer. */
    private Failure accessDenied(PubSubNode node, Entity bare) {
        String aff = affiliationOf(node, bare);
        if (PubSubNode.OUTCAST.equals(aff)) {
            return Failure.forbidden("you are blocked from this node");
        }
        if (PubSubNode.OWNER.equals(aff) || PubSubNode.PUBLISHER.equals(aff)) {
            return null;
        }
        return switch (node.config.accessModel()) {
            case "open" -> null;
            case "presence" -> {
                for (Entity owner : ownersOf(node)) {
                    String s = env.subscription(owner, bare);
                    if ("from".equals(s) || "both".equals(s)) {
                        yield null;
                    }
                }
                // XEP-0060 §6.1.3.2 / §6.5.9.x
                yield new Failure(StanzaErrorCondition.NOT_AUTHORIZED, StanzaErrorType.AUTH,
                        "presence-subscription-required", null, null);
            }
            case "whitelist" -> PubSubNode.MEMBER.equals(aff) || "publish-only".equals(aff) ? null
                    : new Failure(StanzaErrorCondition.NOT_ALLOWED, StanzaErrorType.CANCEL, "closed-node", null, null);
            default -> Failure.forbidden(null);
        };
    }

    private boolean mayPublish(PubSubNode node, Entity bare) {
        String aff = affiliationOf(node, bare);
        if (PubSubNode.OWNER.equals(aff) || PubSubNode.PUBLISHER.equals(aff) || "publish-only".equals(aff)) {
            return true;
        }
        if (pep || PubSubNode.OUTCAST.equals(aff)) {
            return false; // XEP-0163 §2.2: one publisher per node, the account
        }
        return switch (node.config.publishModel()) {
            case "open" -> true;
            case "subscribers" -> node.subscriptions.stream().anyMatch(s -> bareOf(s).equals(bare));
            default -> false;
        };
    }

    private boolean mayCreate(Entity bare) {
        return pep ? isServiceOwner(bare) : env.isLocalUser(bare);
    }

    private PubSubNode existing(XMLElement action) {
        String name = nodeName(action);
        PubSubNode node = nodes.get(name);
        if (node == null) {
            throw Failure.itemNotFound("no node '" + name + "'");
        }
        return node;
    }

    private static String nodeName(XMLElement action) {
        String name = action.getAttributeValue("node");
        if (name == null || name.isEmpty()) {
            throw Failure.badRequest("nodeid-required", null);
        }
        return name;
    }

    private void requireOwner(PubSubNode node, Entity bare) {
        if (!PubSubNode.OWNER.equals(affiliationOf(node, bare))) {
            throw Failure.forbidden("only an owner of the node may do this");
        }
    }

    private static Entity bareOf(String jid) {
        return EntityImpl.parseUnchecked(jid).getBareJID();
    }

    // ------------------------------------------------------------------ create, configure, delete (§8)

    private Stanza create(Stanza iq, XMLElement action, XMLElement configure, Entity bare) {
        if (!mayCreate(bare)) {
            throw Failure.forbidden(pep ? "only the account may create nodes on its PEP service"
                    : "only local users may create nodes");
        }
        String name = action.getAttributeValue("node");
        if (name == null || name.isEmpty()) {
            name = UUID.randomUUID().toString(); // instant node, §8.1.2
        }
        if (nodes.containsKey(name)) {
            throw new Failure(StanzaErrorCondition.CONFLICT, null, "node '" + name + "' exists");
        }
        requireNodeRoom(bare);
        NodeConfig config = defaults();
        if (configure != null) {
            XMLElement x = PubSubXml.child(configure, "x", PubSubXml.DATA);
            config = config.with(NodeConfig.formValues(x));
        }
        PubSubNode node = new PubSubNode(name, config);
        if (!pep) {
            node.affiliations.put(bare.getFullQualifiedName(), PubSubNode.OWNER);
        }
        nodes.put(name, node);
        save(node);
        return StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("create", PubSubXml.PUBSUB).addAttribute("node", name).endInnerElement()
                .endInnerElement().build();
    }

    private Stanza configuration(Stanza iq, XMLElement action, Entity bare) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.OWNER)
                .startInnerElement("configure", PubSubXml.OWNER).addAttribute("node", node.name);
        node.config.render(b);
        return b.endInnerElement().endInnerElement().build();
    }

    private Stanza configure(Stanza iq, XMLElement action, Entity bare, List<Stanza> out) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        XMLElement x = PubSubXml.child(action, "x", PubSubXml.DATA);
        if (x == null) {
            throw Failure.badRequest(null, "a configuration form is required");
        }
        if ("cancel".equals(x.getAttributeValue("type"))) {
            return StanzaErrors.result(iq).build();
        }
        if (!"submit".equals(x.getAttributeValue("type"))) {
            throw Failure.badRequest(null, "the form must be of type submit");
        }
        NodeConfig updated = node.config.with(NodeConfig.formValues(x));
        node.config = updated;
        save(node);
        if (!updated.persistItems()) {
            env.store().purge(key, node.name);
        } else {
            env.store().trim(key, node.name, updated.maxItems());
        }
        return StanzaErrors.result(iq).build();
    }

    private Stanza delete(Stanza iq, XMLElement action, Entity bare, List<Stanza> out) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        if (node.config.notifyDelete()) {
            for (Entity to : recipients(node)) {
                out.add(event(to, b -> b.startInnerElement("delete", PubSubXml.EVENT)
                        .addAttribute("node", node.name).endInnerElement()));
            }
        }
        nodes.remove(node.name);
        env.store().deleteNode(key, node.name);
        return StanzaErrors.result(iq).build();
    }

    private Stanza purge(Stanza iq, XMLElement action, Entity bare, List<Stanza> out) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        if (!node.config.persistItems()) {
            throw Failure.unsupported("persistent-items");
        }
        env.store().purge(key, node.name);
        if (node.config.deliverNotifications()) {
            for (Entity to : recipients(node)) {
                out.add(event(to, b -> b.startInnerElement("purge", PubSubXml.EVENT)
                        .addAttribute("node", node.name).endInnerElement()));
            }
        }
        return StanzaErrors.result(iq).build();
    }

    private Stanza affiliations(Stanza iq, XMLElement action, Entity bare) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.OWNER)
                .startInnerElement("affiliations", PubSubXml.OWNER).addAttribute("node", node.name);
        Map<String, String> all = new LinkedHashMap<>();
        if (pep) {
            all.put(key, PubSubNode.OWNER);
        }
        all.putAll(node.affiliations);
        all.forEach((jid, aff) -> b.startInnerElement("affiliation", PubSubXml.OWNER).addAttribute("jid", jid)
                .addAttribute("affiliation", aff).endInnerElement());
        return b.endInnerElement().endInnerElement().build();
    }

    private Stanza setAffiliations(Stanza iq, XMLElement action, Entity bare) {
        PubSubNode node = existing(action);
        requireOwner(node, bare);
        Map<String, String> changed = new LinkedHashMap<>(node.affiliations);
        for (XMLElement a : action.getInnerElementsNamed("affiliation", PubSubXml.OWNER)) {
            String jid = a.getAttributeValue("jid");
            String aff = a.getAttributeValue("affiliation");
            if (jid == null || aff == null || !PubSubNode.AFFILIATIONS.contains(aff)) {
                throw Failure.badRequest(null, "each <affiliation/> needs a jid and a known affiliation");
            }
            Entity who;
            try {
                who = EntityImpl.parse(jid).getBareJID();
            } catch (EntityFormatException e) {
                throw new Failure(StanzaErrorCondition.JID_MALFORMED, null, jid);
            }
            if (pep && who.equals(address)) {
                throw new Failure(StanzaErrorCondition.NOT_ACCEPTABLE, null, "the account always owns its PEP nodes");
            }
            if ("none".equals(aff)) {
                changed.remove(who.getFullQualifiedName());
            } else {
                changed.put(who.getFullQualifiedName(), aff);
            }
        }
        if (!pep && !changed.containsValue(PubSubNode.OWNER)) {
            throw new Failure(StanzaErrorCondition.NOT_ACCEPTABLE, null, "a node keeps at least one owner");
        }
        node.affiliations.clear();
        node.affiliations.putAll(changed);
        save(node);
        return StanzaErrors.result(iq).build();
    }

    // ------------------------------------------------------------------ publish, retract, items (§7, §6.5)

    private Stanza publish(Stanza iq, XMLElement action, XMLElement publishOptions, Entity bare, List<Stanza> out) {
        String name = nodeName(action);
        Map<String, List<String>> options = publishOptions == null ? Map.of()
                : NodeConfig.formValues(PubSubXml.child(publishOptions, "x", PubSubXml.DATA));
        if (pep) {
            vet(name, action);
        }
        PubSubNode node = nodes.get(name);
        if (node == null) {
            // Auto-create (XEP-0060 §7.1.4, XEP-0163 §3), configured by the publish-options (§7.1.5).
            if (!mayCreate(bare)) {
                throw pep ? Failure.forbidden("only the account publishes to its PEP service")
                        : Failure.itemNotFound("no node '" + name + "'");
            }
            if (pep) {
                requireItemRoom(name, null, action); // before the node is made: a refusal leaves nothing behind
            }
            requireNodeRoom(bare);
            NodeConfig config = defaults();
            if (!options.isEmpty()) {
                try {
                    config = config.with(options);
                } catch (Failure f) {
                    throw preconditionNotMet(f.getMessage());
                }
                String unmet = config.unmetPrecondition(options);
                if (unmet != null) {
                    throw preconditionNotMet(unmet + " is not supported");
                }
            }
            node = new PubSubNode(name, config);
            if (!pep) {
                node.affiliations.put(bare.getFullQualifiedName(), PubSubNode.OWNER);
            }
            nodes.put(name, node);
            save(node);
        } else {
            if (!mayPublish(node, bare)) {
                throw Failure.forbidden("you may not publish to this node");
            }
            String unmet = node.config.unmetPrecondition(options);
            if (unmet != null) {
                throw preconditionNotMet(unmet + " does not match the node's configuration");
            }
            if (pep) {
                requireItemRoom(name, node, action);
            }
        }
        List<XMLElement> items = action.getInnerElementsNamed("item", PubSubXml.PUBSUB);
        if (items.size() > 1) {
            throw Failure.badRequest("invalid-payload", "publish one item at a time");
        }
        XMLElement item = items.isEmpty() ? null : items.get(0);
        List<XMLElement> payloads = item == null ? List.of() : item.getInnerElements();
        NodeConfig config = node.config;
        boolean persistent = config.persistItems();
        boolean payloadNode = config.deliverPayloads();
        // §7.1.3.6: the request must match the node's event type.
        if (!persistent && !payloadNode && item != null) {
            throw Failure.badRequest("item-forbidden", "a transient notification-only node takes no item");
        }
        if ((persistent || payloadNode) && item == null) {
            throw Failure.badRequest("item-required", null);
        }
        if (payloadNode && payloads.isEmpty()) {
            throw Failure.badRequest("payload-required", null);
        }
        if (payloads.size() > 1) {
            throw Failure.badRequest("invalid-payload", "an item holds one payload element");
        }
        String id = item == null || item.getAttributeValue("id") == null || item.getAttributeValue("id").isEmpty()
                ? UUID.randomUUID().toString() : item.getAttributeValue("id");
        XMLElement payload = payloads.isEmpty() ? null : payloads.get(0);
        String payloadXml = payload == null ? null : new Renderer(payload).getComplete(); // measured, then stored
        if (payloadXml != null && payloadXml.getBytes(StandardCharsets.UTF_8).length > env.itemBytes()) {
            // XEP-0060 §7.1.3.6 (issue 17, limits.pubsub-item-size).
            throw new Failure(StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY, "payload-too-big", null,
                    "items may hold at most " + env.itemBytes() + " bytes");
        }
        if (persistent) {
            env.store().publish(key, name, new StoredItem(id, bare.getFullQualifiedName(), payloadXml),
                    config.maxItems());
        }
        if (config.deliverNotifications()) {
            XMLElement delivered = payloadNode ? payload : null;
            for (Entity to : recipients(node)) {
                out.add(itemEvent(to, name, id, delivered));
            }
        }
        return StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("publish", PubSubXml.PUBSUB).addAttribute("node", name)
                .startInnerElement("item", PubSubXml.PUBSUB).addAttribute("id", id).endInnerElement()
                .endInnerElement().endInnerElement().build();
    }

    /**
     * Issue 17, limits.pubsub-nodes-per-account: one more node than the quota (PEP: the account's nodes; the pubsub
     * service: the nodes {@code bare} owns) is refused. XEP-0060 names no error for this; like its other local
     * quota (§6.1.3.9, too many subscriptions) it is {@code policy-violation}, with the pubsub#errors condition
     * its schema defines for it, {@code max-nodes-exceeded}.
     */
    private void requireNodeRoom(Entity bare) {
        int quota = env.nodesPerAccount();
        String owner = bare.getFullQualifiedName();
        long held = pep ? nodes.size()
                : nodes.values().stream().filter(n -> PubSubNode.OWNER.equals(n.affiliations.get(owner))).count();
        if (held >= quota) {
            throw Failure.policyViolation("max-nodes-exceeded",
                    "an account may have at most " + quota + " nodes; delete one first");
        }
    }

    /**
     * Issue 17, limits.pubsub-items-per-account (PEP): a publish that would add an item while the account's nodes
     * hold the quota is refused ({@code policy-violation} as in {@link #requireNodeRoom}, with
     * {@code max-items-exceeded}). Replacing an item (same id: §7.1.3, "re-publication is equivalent to
     * modification") and publishing to a full node (its oldest item goes) add nothing and are always allowed. One
     * indexed count per publish; the rest only at the quota.
     */
    private void requireItemRoom(String name, PubSubNode node, XMLElement action) {
        int quota = env.itemsPerAccount();
        Map<String, Integer> counts = env.store().itemCounts(key);
        long total = counts.values().stream().mapToLong(Integer::longValue).sum();
        if (total < quota) {
            return;
        }
        if (node != null) {
            if (!node.config.persistItems() || counts.getOrDefault(name, 0) >= node.config.maxItems()) {
                return;
            }
            List<XMLElement> items = action.getInnerElementsNamed("item", PubSubXml.PUBSUB);
            String id = items.size() == 1 ? items.get(0).getAttributeValue("id") : null;
            if (id != null && !id.isEmpty() && !env.store().items(key, name, Set.of(id)).isEmpty()) {
                return;
            }
        }
        throw Failure.policyViolation("max-items-exceeded",
                "an account's nodes may hold at most " + quota + " items; retract some first");
    }

    /** Lets the server's other features refuse an item before anything (even an auto-created node) is stored. */
    private void vet(String node, XMLElement action) {
        List<XMLElement> items = action.getInnerElementsNamed("item", PubSubXml.PUBSUB);
        if (items.size() != 1 || items.get(0).getInnerElements().size() > 1) {
            return; // refused below with the generic errors
        }
        XMLElement item = items.get(0);
        XMLElement payload = item.getInnerElements().isEmpty() ? null : item.getInnerElements().get(0);
        PepHook.Refusal refusal = env.check(address, node, item.getAttributeValue("id"), payload);
        if (refusal != null) {
            throw new Failure(refusal.condition(), refusal.pubsubCondition(), refusal.text());
        }
    }

    private static Failure preconditionNotMet(String text) {
        return new Failure(StanzaErrorCondition.CONFLICT, StanzaErrorType.CANCEL, "precondition-not-met", null, text);
    }

    private Stanza retract(Stanza iq, XMLElement action, Entity bare, List<Stanza> out) {
        PubSubNode node = existing(action);
        List<XMLElement> items = action.getInnerElementsNamed("item", PubSubXml.PUBSUB);
        if (items.isEmpty() || items.get(0).getAttributeValue("id") == null) {
            throw Failure.badRequest("item-required", null);
        }
        String aff = affiliationOf(node, bare);
        if (!PubSubNode.OWNER.equals(aff) && !PubSubNode.PUBLISHER.equals(aff)) {
            throw Failure.forbidden("only owners and publishers may retract");
        }
        if (!node.config.persistItems()) {
            throw Failure.unsupported("persistent-items");
        }
        List<String> retracted = new ArrayList<>();
        for (XMLElement item : items) {
            String id = item.getAttributeValue("id");
            if (id == null || !env.store().retract(key, node.name, id)) {
                if (retracted.isEmpty()) {
                    throw Failure.itemNotFound("no item '" + id + "'");
                }
                continue;
            }
            retracted.add(id);
        }
        String notifyAttr = action.getAttributeValue("notify");
        boolean notify = notifyAttr == null ? node.config.notifyRetract()
                : "true".equals(notifyAttr) || "1".equals(notifyAttr);
        if (notify && node.config.deliverNotifications()) {
            for (Entity to : recipients(node)) {
                out.add(event(to, b -> {
                    b.startInnerElement("items", PubSubXml.EVENT).addAttribute("node", node.name);
                    retracted.forEach(id -> b.startInnerElement("retract", PubSubXml.EVENT).addAttribute("id", id)
                            .endInnerElement());
                    b.endInnerElement();
                }));
            }
        }
        return StanzaErrors.result(iq).build();
    }

    private Stanza items(Stanza iq, XMLElement action, Entity bare) {
        PubSubNode node = existing(action);
        Failure denied = accessDenied(node, bare);
        if (denied != null) {
            throw denied;
        }
        Set<String> ids = new LinkedHashSet<>();
        for (XMLElement item : action.getInnerElementsNamed("item", PubSubXml.PUBSUB)) {
            if (item.getAttributeValue("id") != null) {
                ids.add(item.getAttributeValue("id"));
            }
        }
        int max = Integer.MAX_VALUE;
        String maxAttr = action.getAttributeValue("max_items");
        if (maxAttr != null) {
            try {
                max = Integer.parseInt(maxAttr.trim());
            } catch (NumberFormatException e) {
                throw Failure.badRequest(null, "max_items must be a number");
            }
        }
        List<StoredItem> found = !node.config.persistItems() ? List.of()
                : ids.isEmpty() ? env.store().items(key, node.name, max) : env.store().items(key, node.name, ids);
        if (!ids.isEmpty() && found.isEmpty()) {
            throw Failure.itemNotFound("no such item");
        }
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("items", PubSubXml.PUBSUB).addAttribute("node", node.name);
        for (StoredItem item : found) {
            b.startInnerElement("item", PubSubXml.PUBSUB).addAttribute("id", item.id());
            XMLElement payload = parse(item);
            if (payload != null) {
                b.addPreparedElement(payload);
            }
            b.endInnerElement();
        }
        return b.endInnerElement().endInnerElement().build();
    }

    // ------------------------------------------------------------------ subscriptions (§6.1, §6.2)

    private Stanza subscribe(Stanza iq, XMLElement action, Entity requester, List<Stanza> out) {
        String name = nodeName(action);
        Entity jid = jidAttribute(action);
        if (!jid.getBareJID().equals(requester.getBareJID())) {
            throw Failure.badRequest("invalid-jid", "you may only subscribe yourself");
        }
        PubSubNode node = nodes.get(name);
        if (node == null) {
            throw Failure.itemNotFound("no node '" + name + "'");
        }
        Failure denied = accessDenied(node, jid.getBareJID());
        if (denied != null) {
            throw denied;
        }
        node.subscriptions.add(jid.getFullQualifiedName());
        save(node);
        if (node.config.sendLastOnSubscribe() && node.config.persistItems() && node.config.deliverNotifications()) {
            lastItem(node, jid).ifPresent(out::add);
        }
        return StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("subscription", PubSubXml.PUBSUB).addAttribute("node", name)
                .addAttribute("jid", jid.getFullQualifiedName()).addAttribute("subscription", "subscribed")
                .endInnerElement().endInnerElement().build();
    }

    private Stanza unsubscribe(Stanza iq, XMLElement action, Entity requester) {
        PubSubNode node = existing(action);
        Entity jid = jidAttribute(action);
        if (!jid.getBareJID().equals(requester.getBareJID())) {
            throw Failure.forbidden("you may only unsubscribe yourself");
        }
        if (!node.subscriptions.remove(jid.getFullQualifiedName())) {
            throw new Failure(StanzaErrorCondition.UNEXPECTED_REQUEST, StanzaErrorType.CANCEL, "not-subscribed", null,
                    null);
        }
        save(node);
        return StanzaErrors.result(iq).build();
    }

    private static Entity jidAttribute(XMLElement action) {
        String jid = action.getAttributeValue("jid");
        if (jid == null) {
            throw Failure.badRequest("jid-required", null);
        }
        try {
            return EntityImpl.parse(jid);
        } catch (EntityFormatException e) {
            throw Failure.badRequest("invalid-jid", null);
        }
    }

    private Stanza ownSubscriptions(Stanza iq, XMLElement action, Entity bare) {
        String only = action.getAttributeValue("node");
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("subscriptions", PubSubXml.PUBSUB);
        for (PubSubNode node : nodes.values()) {
            if (only != null && !only.equals(node.name)) {
                continue;
            }
            for (String s : node.subscriptions) {
                if (bareOf(s).equals(bare)) {
                    b.startInnerElement("subscription", PubSubXml.PUBSUB).addAttribute("node", node.name)
                            .addAttribute("jid", s).addAttribute("subscription", "subscribed").endInnerElement();
                }
            }
        }
        return b.endInnerElement().endInnerElement().build();
    }

    private Stanza ownAffiliations(Stanza iq, XMLElement action, Entity bare) {
        String only = action.getAttributeValue("node");
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("pubsub", PubSubXml.PUBSUB)
                .startInnerElement("affiliations", PubSubXml.PUBSUB);
        for (PubSubNode node : nodes.values()) {
            String aff = affiliationOf(node, bare);
            if ((only == null || only.equals(node.name)) && !"none".equals(aff)) {
                b.startInnerElement("affiliation", PubSubXml.PUBSUB).addAttribute("node", node.name)
                        .addAttribute("affiliation", aff).endInnerElement();
            }
        }
        return b.endInnerElement().endInnerElement().build();
    }

    // ------------------------------------------------------------------ notifications

    /** Who gets notifications of the node: its subscribers, and for PEP the interested contacts (§4.3). */
    private Set<Entity> recipients(PubSubNode node) {
        Set<Entity> result = new LinkedHashSet<>();
        Set<Entity> explicit = new LinkedHashSet<>();
        for (String s : node.subscriptions) {
            Entity jid = EntityImpl.parseUnchecked(s);
            if (accessDenied(node, jid.getBareJID()) == null) {
                result.add(jid);
                explicit.add(jid.getBareJID());
            }
        }
        if (pep) {
            for (Entity full : env.interested(address, node.name)) {
                if (!explicit.contains(full.getBareJID()) && accessDenied(node, full.getBareJID()) == null) {
                    result.add(full);
                }
            }
        }
        return result;
    }

    private Stanza itemEvent(Entity to, String node, String id, XMLElement payload) {
        return event(to, b -> {
            b.startInnerElement("items", PubSubXml.EVENT).addAttribute("node", node)
                    .startInnerElement("item", PubSubXml.EVENT).addAttribute("id", id);
            if (payload != null) {
                b.addPreparedElement(payload);
            }
            b.endInnerElement().endInnerElement();
        });
    }

    private Stanza event(Entity to, java.util.function.Consumer<StanzaBuilder> content) {
        StanzaBuilder b = new StanzaBuilder("message", PubSubXml.CLIENT)
                .addAttribute("from", key)
                .addAttribute("to", to.getFullQualifiedName())
                .addAttribute("type", "headline")
                .addAttribute("id", UUID.randomUUID().toString());
        b.startInnerElement("event", PubSubXml.EVENT);
        content.accept(b);
        b.endInnerElement();
        return b.build();
    }

    private Optional<Stanza> lastItem(PubSubNode node, Entity to) {
        List<StoredItem> last = env.store().items(key, node.name, 1);
        if (last.isEmpty()) {
            return Optional.empty();
        }
        StoredItem item = last.get(0);
        return Optional.of(itemEvent(to, node.name, item.id(), node.config.deliverPayloads() ? parse(item) : null));
    }

    /**
     * The last published item of each of these nodes that {@code to} may see (XEP-0163 §4.3.4: sent when a
     * contact becomes available or starts asking for notifications of the node).
     */
    List<Stanza> lastItems(Entity to, Set<String> nodeNames) {
        List<Stanza> out = new ArrayList<>();
        synchronized (this) {
            for (String name : nodeNames) {
                PubSubNode node = nodes.get(name);
                if (node != null && node.config.persistItems() && node.config.deliverNotifications()
                        && node.config.sendLastOnPresence() && accessDenied(node, to.getBareJID()) == null) {
                    lastItem(node, to).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the server's own changes

    /** Every stored item of the node, newest first (none when it does not exist). */
    synchronized List<StoredItem> allItems(String name) {
        PubSubNode node = nodes.get(name);
        return node == null || !node.config.persistItems() ? List.of() : env.store().items(key, name, env.itemLimit());
    }

    /**
     * Publishes an item on the owner's behalf, creating the node or bringing its configuration to
     * {@code config} first (form fields as in publish-options), and notifies as a client's publish would.
     * Not reported to {@link Environment#changed}: the caller is the mirror that would be told.
     */
    void publishAsOwner(String name, String id, XMLElement payload, Map<String, List<String>> config) {
        List<Stanza> out = new ArrayList<>();
        synchronized (this) {
            PubSubNode node = nodes.get(name);
            NodeConfig wanted = (node == null ? defaults() : node.config).with(config);
            if (node == null) {
                node = new PubSubNode(name, wanted);
                nodes.put(name, node);
                save(node);
            } else if (!wanted.values().equals(node.config.values())) {
                node.config = wanted;
                save(node);
            }
            if (node.config.persistItems()) {
                env.store().publish(key, name, new StoredItem(id, key,
                        payload == null ? null : new Renderer(payload).getComplete()), node.config.maxItems());
            }
            if (node.config.deliverNotifications()) {
                XMLElement delivered = node.config.deliverPayloads() ? payload : null;
                for (Entity to : recipients(node)) {
                    out.add(itemEvent(to, name, id, delivered));
                }
            }
        }
        out.forEach(env::send);
    }

    /** Retracts an item on the owner's behalf (with notifications); false when there was none. */
    boolean retractAsOwner(String name, String id) {
        List<Stanza> out = new ArrayList<>();
        synchronized (this) {
            PubSubNode node = nodes.get(name);
            if (node == null || !env.store().retract(key, name, id)) {
                return false;
            }
            if (node.config.notifyRetract() && node.config.deliverNotifications()) {
                for (Entity to : recipients(node)) {
                    out.add(event(to, b -> b.startInnerElement("items", PubSubXml.EVENT).addAttribute("node", name)
                            .startInnerElement("retract", PubSubXml.EVENT).addAttribute("id", id).endInnerElement()
                            .endInnerElement()));
                }
            }
        }
        out.forEach(env::send);
        return true;
    }

    /** Parses a stored payload (null when it has none or is unreadable). */
    XMLElement payloadOf(StoredItem item) {
        return parse(item);
    }

    // ------------------------------------------------------------------ discovery

    /** The node, when it exists and {@code bare} may see it. */
    synchronized Optional<NodeConfig> visibleNode(String name, Entity bare) {
        PubSubNode node = nodes.get(name);
        if (node == null || accessDenied(node, bare) != null) {
            return Optional.empty();
        }
        return Optional.of(node.config);
    }

    /** Names (and titles) of the nodes {@code bare} may see. */
    synchronized Map<String, String> visibleNodes(Entity bare) {
        Map<String, String> result = new LinkedHashMap<>();
        for (PubSubNode node : nodes.values()) {
            if (accessDenied(node, bare) == null) {
                result.put(node.name, node.config.values().get(NodeConfig.TITLE));
            }
        }
        return result;
    }

    private void save(PubSubNode node) {
        env.store().saveNode(node.snapshot(key));
    }

    private XMLElement parse(StoredItem item) {
        if (item.payload() == null) {
            return null;
        }
        try {
            return StanzaParsing.parse(item.payload());
        } catch (IllegalArgumentException e) {
            LOG.warn("stored item {} of {} / {} is unreadable: {}", item.id(), key, item.id(), e.getMessage());
            return null;
        }
    }
}
