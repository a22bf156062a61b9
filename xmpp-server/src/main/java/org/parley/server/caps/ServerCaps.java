package org.parley.server.caps;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.ServerRuntimeContextService;
import org.apache.vysper.xmpp.modules.servicediscovery.collection.ServiceCollector;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServiceDiscoveryRequestException;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.pubsub.EntityCaps;
import org.parley.server.render.StanzaSerializer;

/**
 * The server's own entity capabilities (XEP-0115 §6.3): a {@code <c/>} stream feature whose {@code ver}
 * hashes the server's disco#info, so that a client which saw it before needs no disco#info round trip
 * at login. Collected from the same listeners that answer disco#info, every time (a module added at run
 * time changes it), and hashed again only when the collected disco#info differs from the last one.
 */
public final class ServerCaps implements ServerRuntimeContextService {

    public static final String NAME = "parley.server-caps";
    static final String NS = "http://jabber.org/protocol/caps";
    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    private static final String NODE = "https://parley.im/caps";
    /** The name Vysper's {@link ServiceCollector} registers under (the disco#info handler looks it up so). */
    private static final String COLLECTOR = "discoRequestListenerRegistry";

    private final ServerRuntimeContext runtime;
    private volatile Hashed hashed;

    public ServerCaps(ServerRuntimeContext runtime) {
        this.runtime = runtime;
    }

    @Override
    public String getServiceName() {
        return NAME;
    }

    /** The {@code <c/>} element for stream features, or "" when the disco#info cannot be collected. */
    public XMLElement streamFeature() {
        String ver = ver();
        return ver == null ? null : new XMLElementBuilder("c", NS).addAttribute("hash", "sha-1")
                .addAttribute("node", NODE).addAttribute("ver", ver).build();
    }

    /** XEP-0115 §5.1 verification string of the server's disco#info, SHA-1, Base64. */
    public String ver() {
        ServiceCollector collector = (ServiceCollector) runtime.getServerRuntimeContextService(COLLECTOR);
        if (collector == null) {
            return null;
        }
        Entity server = runtime.getServerEnitity();
        StanzaBuilder query = new StanzaBuilder("query", DISCO_INFO);
        try {
            for (InfoElement element : collector.processServerInfoRequest(new InfoRequest(server, server, null, "caps"))) {
                element.insertElement(query);
            }
        } catch (ServiceDiscoveryRequestException e) {
            return null;
        }
        XMLElement built = query.build();
        // The disco#info changes only when a module or a setting behind it does, yet every stream's features
        // ask for it: hash only when its rendering differs from the last one hashed.
        byte[] disco = StanzaSerializer.toBytes(built);
        Hashed last = hashed;
        if (last != null && java.util.Arrays.equals(last.disco, disco)) {
            return last.ver;
        }
        String ver = EntityCaps.verificationString(built, "sha-1");
        hashed = new Hashed(disco, ver);
        return ver;
    }

    /** The last disco#info hashed, as rendered, and its verification string. */
    private record Hashed(byte[] disco, String ver) {
    }

    /**
     * A disco#info request to the server for the node {@code <node>#<ver>} of its current caps (XEP-0115
     * §6.2: a client verifying the hash asks that way) as the request without a node, which is what the
     * hash was computed from; any other stanza unchanged.
     */
    public Stanza unversioned(Stanza stanza) {
        if (!"iq".equals(stanza.getName()) || !"get".equals(stanza.getAttributeValue("type"))
                || stanza.getInnerElements().size() != 1) {
            return stanza;
        }
        XMLElement query = stanza.getInnerElements().get(0);
        String node = query.getAttributeValue("node");
        if (node == null || !node.startsWith(NODE + "#") || !"query".equals(query.getName())
                || !DISCO_INFO.equals(query.getNamespaceURI()) || !node.equals(NODE + "#" + ver())) {
            return stanza;
        }
        StanzaBuilder copy = new StanzaBuilder("iq", stanza.getNamespaceURI());
        for (Attribute a : stanza.getAttributes()) {
            copy.addAttribute(a);
        }
        return copy.startInnerElement("query", DISCO_INFO).endInnerElement().build();
    }

    /** The caps of the server behind {@code runtime}, when registered. */
    public static ServerCaps of(ServerRuntimeContext runtime) {
        return (ServerCaps) runtime.getServerRuntimeContextService(NAME);
    }
}
