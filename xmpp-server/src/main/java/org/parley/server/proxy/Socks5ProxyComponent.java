package org.parley.server.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.ServiceComponent;
import org.parley.server.routing.StanzaErrors;

/**
 * SOCKS5 Bytestreams proxy (XEP-0065) at {@code proxy.<domain>}: its disco#info says what it is (§4), a
 * streamhost query tells clients where the relay listens (§6.3.1 "network address"), and the initiator's
 * activation (§6.3.3) starts the relay of the pair of connections named by the stream's hash.
 */
public final class Socks5ProxyComponent extends ServiceComponent {

    static final String NS = "http://jabber.org/protocol/bytestreams";
    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";

    private final Socks5Relay relay;
    private final String host;

    /** @param host the address clients connect to, as told in the streamhost */
    public Socks5ProxyComponent(String subdomain, Socks5Relay relay, String host) {
        super(subdomain, "SOCKS5 Bytestreams proxy");
        this.relay = relay;
        this.host = host;
    }

    @Override
    public String getName() {
        return "Parley SOCKS5 bytestreams proxy (XEP-0065)";
    }

    @Override
    public String getVersion() {
        return "1.8";
    }

    @Override
    protected void started(ServerRuntimeContext runtime) {
    }

    @Override
    protected void handle(Stanza stanza) {
        if (!"iq".equals(stanza.getName())) {
            if ("message".equals(stanza.getName()) && StanzaErrors.answerable(stanza)) {
                send(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
            }
            return;
        }
        if (StanzaErrors.isRequest(stanza)) {
            send(answer(stanza));
        }
    }

    private Stanza answer(Stanza iq) {
        if (iq.getTo().getNode() != null || iq.getTo().isResourceSet()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
        XMLElement query = iq.getFirstInnerElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        boolean get = "get".equals(iq.getAttributeValue("type"));
        if (DISCO_INFO.equals(ns) && get) {
            if (query.getAttributeValue("node") != null) {
                return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, null);
            }
            return StanzaErrors.result(iq).startInnerElement("query", DISCO_INFO)
                    .startInnerElement("identity", DISCO_INFO).addAttribute("category", "proxy")
                    .addAttribute("type", "bytestreams").addAttribute("name", "SOCKS5 Bytestreams").endInnerElement()
                    .startInnerElement("feature", DISCO_INFO).addAttribute("var", NS).endInnerElement()
                    .startInnerElement("feature", DISCO_INFO).addAttribute("var", DISCO_INFO).endInnerElement()
                    .endInnerElement().build();
        }
        if (!NS.equals(ns) || !"query".equals(query.getName())) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
        if (get) {
            // §6.3.1: where the relay listens.
            return StanzaErrors.result(iq).startInnerElement("query", NS)
                    .startInnerElement("streamhost", NS).addAttribute("jid", serviceJid().getFullQualifiedName())
                    .addAttribute("host", host).addAttribute("port", Integer.toString(relay.port()))
                    .endInnerElement().endInnerElement().build();
        }
        return activate(iq, query);
    }

    /** §6.3.3: the initiator names the target; the hash of SID, initiator and target finds the connections. */
    private Stanza activate(Stanza iq, XMLElement query) {
        String sid = query.getAttributeValue("sid");
        XMLElement activate = null;
        for (XMLElement child : query.getInnerElements()) {
            if ("activate".equals(child.getName())) {
                activate = child;
            }
        }
        if (sid == null || sid.isEmpty() || activate == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "a 'sid' and <activate/> are needed");
        }
        Entity target;
        try {
            StringBuilder text = new StringBuilder();
            for (XMLText t : activate.getInnerTexts()) {
                text.append(t.getText());
            }
            target = EntityImpl.parse(text.toString().trim());
        } catch (EntityFormatException | RuntimeException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.JID_MALFORMED, "<activate/> names the target's JID");
        }
        String hash = hash(sid + iq.getFrom().getFullQualifiedName() + target.getFullQualifiedName());
        return switch (relay.activate(hash)) {
            case ACTIVATED -> StanzaErrors.result(iq).build();
            case UNKNOWN -> StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such bytestream");
            case INCOMPLETE -> StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE,
                    "both parties must be connected before the activation");
        };
    }

    /** §5.3.2: SHA-1 of SID + initiator JID + target JID, lower-case hex. */
    static String hash(String input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(input.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
