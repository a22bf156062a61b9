package org.parley.server.pubsub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each available resource wants to be notified of (XEP-0163 §4.2): the {@code <node>+notify} features
 * of its entity capabilities (XEP-0115). A presence carrying {@code <c/>} with an unknown {@code ver} makes
 * the server ask the resource for its disco#info ({@code node#ver}); a verified answer (the hash of
 * XEP-0115 §5.1 matches) is cached by {@code ver} for every later presence with the same capabilities, an
 * unverifiable one serves only that resource.
 *
 * <p>Whenever a resource starts asking for a node's notifications (first presence, or capabilities that
 * add a {@code +notify}), the listener is told, so the last published items can be sent.
 */
public final class EntityCaps {

    private static final Logger LOG = LoggerFactory.getLogger(EntityCaps.class);
    private static final String NOTIFY = "+notify";
    private static final int MAX_CACHED = 10_000;
    private static final int MAX_PENDING = 10_000;

    private record Pending(Entity jid, String ver, String hash) {
    }

    private final Entity server;
    private final Consumer<Stanza> sender;
    private final Predicate<Entity> available;
    private final BiConsumer<Entity, Set<String>> started;
    private final Map<String, Set<String>> verified = new ConcurrentHashMap<>();
    private final Map<Entity, Set<String>> notify = new ConcurrentHashMap<>();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /**
     * @param available whether a full JID is still an available resource
     * @param started   called with a full JID and the nodes it has just started asking notifications for
     */
    EntityCaps(Entity server, Consumer<Stanza> sender, Predicate<Entity> available,
               BiConsumer<Entity, Set<String>> started) {
        this.server = server;
        this.sender = sender;
        this.available = available;
        this.started = started;
    }

    /** The nodes whose notifications the resource asks for. */
    Set<String> notifyNodes(Entity fullJid) {
        return notify.getOrDefault(fullJid, Set.of());
    }

    /** An available presence broadcast by {@code fullJid}. */
    void presence(Entity fullJid, Stanza presence) {
        XMLElement c = PubSubXml.child(presence, "c", PubSubXml.CAPS);
        String ver = c == null ? null : c.getAttributeValue("ver");
        if (ver == null || c.getAttributeValue("node") == null) {
            update(fullJid, Set.of());
            return;
        }
        Set<String> known = verified.get(ver);
        if (known != null) {
            update(fullJid, known);
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            LOG.warn("too many unanswered capability queries; not asking {}", fullJid);
            return;
        }
        String id = "caps-" + UUID.randomUUID();
        pending.put(id, new Pending(fullJid, ver, c.getAttributeValue("hash")));
        Stanza query = new StanzaBuilder("iq", PubSubXml.CLIENT)
                .addAttribute("from", server.getFullQualifiedName())
                .addAttribute("to", fullJid.getFullQualifiedName())
                .addAttribute("type", "get").addAttribute("id", id)
                .startInnerElement("query", PubSubXml.DISCO_INFO)
                .addAttribute("node", c.getAttributeValue("node") + "#" + ver)
                .endInnerElement().build();
        sender.accept(query);
    }

    /** An IQ response addressed to the server; true when it answered one of our capability queries. */
    boolean response(Stanza iq) {
        String id = iq.getAttributeValue("id");
        Pending p = id == null ? null : pending.get(id);
        if (p == null || iq.getFrom() == null || !p.jid.equals(iq.getFrom())) {
            return false;
        }
        pending.remove(id);
        if (!"result".equals(iq.getAttributeValue("type"))) {
            update(p.jid, Set.of());
            return true;
        }
        XMLElement query = PubSubXml.child(iq, "query", PubSubXml.DISCO_INFO);
        if (query == null) {
            update(p.jid, Set.of());
            return true;
        }
        Set<String> features = new HashSet<>();
        for (XMLElement f : query.getInnerElementsNamed("feature", PubSubXml.DISCO_INFO)) {
            if (f.getAttributeValue("var") != null) {
                features.add(f.getAttributeValue("var"));
            }
        }
        Set<String> wanted = notifyOf(features);
        String computed = p.hash == null ? null : verificationString(query, p.hash);
        if (computed != null && computed.equals(p.ver)) {
            if (verified.size() >= MAX_CACHED) {
                verified.clear();
            }
            verified.put(p.ver, wanted);
        } else {
            LOG.debug("capabilities of {} do not match ver {}; used for that resource only", p.jid, p.ver);
        }
        update(p.jid, wanted);
        return true;
    }

    /** The resource is gone: forget what it wanted. */
    void departed(Entity fullJid) {
        notify.remove(fullJid);
        pending.values().removeIf(p -> p.jid.equals(fullJid));
    }

    private void update(Entity fullJid, Set<String> wanted) {
        if (!available.test(fullJid)) {
            return;
        }
        if (wanted.isEmpty()) { // a presence without caps, the usual case at login: nothing to start
            notify.put(fullJid, Set.of());
            return;
        }
        Set<String> nodes = wanted.stream().filter(f -> f.endsWith(NOTIFY)).map(f -> f.substring(0, f.length() - NOTIFY.length()))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        Set<String> before = notify.put(fullJid, nodes);
        Set<String> added = new TreeSet<>(nodes);
        if (before != null) {
            added.removeAll(before);
        }
        if (!added.isEmpty()) {
            started.accept(fullJid, added);
        }
    }

    private static Set<String> notifyOf(Set<String> features) {
        return Set.copyOf(features);
    }

    /** The XEP-0115 §5.1 verification string's hash, Base64; null for an unsupported hash function. */
    public static String verificationString(XMLElement query, String hash) {
        String algorithm = switch (hash) {
            case "sha-1" -> "SHA-1";
            case "sha-256" -> "SHA-256";
            case "sha-512" -> "SHA-512";
            default -> null;
        };
        if (algorithm == null) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        List<String> identities = new ArrayList<>();
        for (XMLElement i : query.getInnerElementsNamed("identity", PubSubXml.DISCO_INFO)) {
            String lang = i.getAttributeValue(NamespaceURIs.XML, "lang");
            identities.add(nz(i.getAttributeValue("category")) + "/" + nz(i.getAttributeValue("type")) + "/"
                    + nz(lang) + "/" + nz(i.getAttributeValue("name")));
        }
        identities.stream().sorted().forEach(i -> s.append(i).append('<'));
        query.getInnerElementsNamed("feature", PubSubXml.DISCO_INFO).stream()
                .map(f -> nz(f.getAttributeValue("var"))).sorted().forEach(f -> s.append(f).append('<'));
        List<XMLElement> forms = new ArrayList<>(query.getInnerElementsNamed("x", PubSubXml.DATA));
        forms.sort(Comparator.comparing(EntityCaps::formType));
        for (XMLElement form : forms) {
            s.append(formType(form)).append('<');
            List<XMLElement> fields = new ArrayList<>(form.getInnerElementsNamed("field", PubSubXml.DATA));
            fields.removeIf(f -> "FORM_TYPE".equals(f.getAttributeValue("var")));
            fields.sort(Comparator.comparing(f -> nz(f.getAttributeValue("var"))));
            for (XMLElement field : fields) {
                s.append(nz(field.getAttributeValue("var"))).append('<');
                field.getInnerElementsNamed("value", PubSubXml.DATA).stream().map(PubSubXml::text).sorted()
                        .forEach(v -> s.append(v).append('<'));
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance(algorithm).digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    private static String formType(XMLElement form) {
        for (XMLElement field : form.getInnerElementsNamed("field", PubSubXml.DATA)) {
            if ("FORM_TYPE".equals(field.getAttributeValue("var"))) {
                List<XMLElement> values = field.getInnerElementsNamed("value", PubSubXml.DATA);
                return values.isEmpty() ? "" : PubSubXml.text(values.get(0));
            }
        }
        return "";
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
