package org.parley.server.mam;

import java.util.List;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.parley.server.retract.Retraction;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.StanzaErrors;

/**
 * The user archive of XEP-0313 as a Vysper module: queries and preferences on one's own account, and
 * {@code urn:xmpp:mam:2} among the account's disco#info features (§7), which is how clients find it.
 */
public final class MamModule extends DefaultDiscoAwareModule implements InfoRequestListener {

    private final MessageArchive archive;

    public MamModule(MessageArchive archive) {
        this.archive = archive;
    }

    @Override
    public String getName() {
        return "Parley message archive (XEP-0313)";
    }

    @Override
    public String getVersion() {
        return "1.1";
    }

    @Override
    protected void addInfoRequestListeners(List<InfoRequestListener> listeners) {
        listeners.add(this);
    }

    /** Account disco#info (a bare JID of this server): the archive's features. */
    @Override
    public List<InfoElement> getInfosFor(InfoRequest request) {
        Entity to = request.getTo();
        if (to == null || to.getNode() == null || to.isResourceSet()
                || request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        // The account identity itself (account/registered) comes from the PEP service's listener.
        // XEP-0424 §5-6: retractions are archived and retracted messages become tombstones.
        return List.of(new Feature(MessageArchive.MAM2), new Feature(MessageArchive.MAM1),
                new Feature(Retraction.NS), new Feature(Retraction.TOMBSTONE_FEATURE));
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        Handler handler = new Handler();
        dictionaries.add(new NamespaceHandlerDictionary(MessageArchive.MAM2, handler));
        dictionaries.add(new NamespaceHandlerDictionary(MessageArchive.MAM1, handler));
    }

    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "iq";
        }

        @Override
        public boolean verify(Stanza stanza) {
            XMLElement first = stanza.getFirstInnerElement();
            return "iq".equals(stanza.getName()) && first != null
                    && (MessageArchive.MAM2.equals(first.getNamespaceURI()) || MessageArchive.MAM1.equals(first.getNamespaceURI()));
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
            Entity owner = session.getInitiatingEntity().getBareJID();
            Entity to = iq.getTo();
            if (to != null && !to.getBareJID().equals(owner)) {
                // Another account's archive is not ours to show (XEP-0313 §4.1).
                return reply(StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only your own archive"));
            }
            XMLElement payload = iq.getFirstInnerElement();
            boolean set = "set".equals(iq.getAttributeValue("type"));
            return switch (payload.getName()) {
                case "query" -> reply(archive.query(iq, payload, owner, session.getResponseWriter()::write));
                case "prefs" -> reply(archive.preferencesRequest(iq, payload, set));
                default -> reply(StanzaErrors.error(iq, StanzaErrorCondition.FEATURE_NOT_IMPLEMENTED, null));
            };
        }

        private ResponseStanzaContainer reply(Stanza stanza) {
            return new ResponseStanzaContainerImpl(stanza);
        }
    }
}
