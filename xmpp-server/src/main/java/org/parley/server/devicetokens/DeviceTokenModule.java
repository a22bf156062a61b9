package org.parley.server.devicetokens;

import java.util.List;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
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
import org.parley.server.routing.StanzaErrors;

/**
 * Parley's device-token protocol, {@value #NS}, answered by the server for the user's own account:
 * <pre>
 *   set &lt;issue device='Firefox on Linux'/&gt;  → &lt;token id='…' secret='…' expires='…'/&gt;
 *   get &lt;list/&gt;                             → &lt;list&gt;&lt;device id name created last-used expires/&gt;…&lt;/list&gt;
 *   set &lt;revoke id='…'/&gt;                    → empty result, or item-not-found
 * </pre>
 * The secret is shown once; the client then logs in with SASL {@code HT-SHA-256-NONE}. Advertised in the
 * server's disco#info so clients can tell whether to ask.
 */
public final class DeviceTokenModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    public static final String NS = "urn:parley:device-tokens:0";

    private final DeviceTokens tokens;

    public DeviceTokenModule(DeviceTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public String getName() {
        return "Parley device tokens";
    }

    @Override
    public String getVersion() {
        return "0";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        return request.getNode() == null || request.getNode().isEmpty() ? List.of(new Feature(NS)) : null;
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(NS, new Handler()));
    }

    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "iq";
        }

        @Override
        public boolean verify(Stanza stanza) {
            XMLElement first = stanza.getFirstInnerElement();
            return "iq".equals(stanza.getName()) && first != null && NS.equals(first.getNamespaceURI());
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
            Entity user = session.getInitiatingEntity();
            Entity to = iq.getTo();
            if (user == null || to != null && !to.equals(user.getBareJID())
                    && !to.getFullQualifiedName().equalsIgnoreCase(user.getDomain())) {
                return reply(StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only for your own account"));
            }
            return reply(answer(iq, iq.getFirstInnerElement(), user.getNode()));
        }
    }

    private Stanza answer(Stanza iq, XMLElement request, String username) {
        String type = iq.getAttributeValue("type");
        switch (request.getName()) {
            case "issue" -> {
                if (!"set".equals(type)) {
                    break;
                }
                DeviceTokens.Issued issued = tokens.issue(username, request.getAttributeValue("device"));
                return StanzaErrors.result(iq).startInnerElement("token", NS)
                        .addAttribute("id", issued.device().id())
                        .addAttribute("secret", issued.secret())
                        .addAttribute("expires", issued.device().expires().toString())
                        .endInnerElement().build();
            }
            case "list" -> {
                if (!"get".equals(type)) {
                    break;
                }
                StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("list", NS);
                for (DeviceTokens.Device d : tokens.list(username)) {
                    result.startInnerElement("device", NS).addAttribute("id", d.id()).addAttribute("name", d.name())
                            .addAttribute("created", d.created().toString())
                            .addAttribute("last-used", d.lastUsed().toString())
                            .addAttribute("expires", d.expires().toString()).endInnerElement();
                }
                return result.endInnerElement().build();
            }
            case "revoke" -> {
                if (!"set".equals(type)) {
                    break;
                }
                String id = request.getAttributeValue("id");
                if (id == null || !tokens.revoke(username, id)) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such device token");
                }
                return StanzaErrors.result(iq).build();
            }
            default -> {
                return StanzaErrors.error(iq, StanzaErrorCondition.FEATURE_NOT_IMPLEMENTED,
                        "unknown request <" + request.getName() + "/>");
            }
        }
        return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "wrong IQ type for <" + request.getName() + "/>");
    }

    private static ResponseStanzaContainer reply(Stanza stanza) {
        return new ResponseStanzaContainerImpl(stanza);
    }
}
