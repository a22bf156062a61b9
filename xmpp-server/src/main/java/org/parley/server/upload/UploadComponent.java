package org.parley.server.upload;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.routing.ServiceComponent;
import org.parley.server.routing.StanzaErrors;

/**
 * The HTTP File Upload service (XEP-0363) at {@code upload.<domain>}: answers disco#info (§3: identity
 * store/file, the namespace, and the {@code max-file-size} form of XEP-0128) and slot requests (§4) from
 * the server's own users, with the errors of §5. The files themselves go over HTTP to the web gateway.
 */
public final class UploadComponent extends ServiceComponent {

    private static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    private static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
    private static final String DATA = "jabber:x:data";

    private final HttpUploads uploads;
    private volatile String domain;

    public UploadComponent(String subdomain, HttpUploads uploads) {
        super(subdomain, "HTTP File Upload");
        this.uploads = uploads;
    }

    @Override
    public String getName() {
        return "Parley HTTP File Upload (XEP-0363)";
    }

    @Override
    public String getVersion() {
        return "1.1.0";
    }

    @Override
    protected void started(ServerRuntimeContext runtime) {
        this.domain = runtime.getServerEnitity().getDomain();
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
        boolean noNode = query == null || query.getAttributeValue("node") == null;
        if (DISCO_INFO.equals(ns) && get && noNode) {
            return info(iq);
        }
        if (DISCO_ITEMS.equals(ns) && get && noNode) {
            return StanzaErrors.result(iq).startInnerElement("query", DISCO_ITEMS).endInnerElement().build();
        }
        if ("urn:xmpp:ping".equals(ns) && get) {
            return StanzaErrors.result(iq).build();
        }
        if (HttpUploads.NS.equals(ns) && "request".equals(query.getName())) {
            return get ? slot(iq, query) : StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST,
                    "a slot request is an iq of type get (XEP-0363 §4)");
        }
        return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
    }

    /** XEP-0363 §3, Example 2. */
    private Stanza info(Stanza iq) {
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("query", DISCO_INFO);
        b.startInnerElement("identity", DISCO_INFO).addAttribute("category", "store").addAttribute("type", "file")
                .addAttribute("name", "HTTP File Upload").endInnerElement();
        for (String feature : new String[] {HttpUploads.NS, DISCO_INFO, DISCO_ITEMS, "urn:xmpp:ping"}) {
            b.startInnerElement("feature", DISCO_INFO).addAttribute("var", feature).endInnerElement();
        }
        // XEP-0128 extended information: the largest file a slot is given for.
        b.startInnerElement("x", DATA).addAttribute("type", "result")
                .startInnerElement("field", DATA).addAttribute("var", "FORM_TYPE").addAttribute("type", "hidden")
                .startInnerElement("value", DATA).addText(HttpUploads.NS).endInnerElement().endInnerElement()
                .startInnerElement("field", DATA).addAttribute("var", "max-file-size")
                .startInnerElement("value", DATA).addText(Long.toString(uploads.settings().maxFileSize()))
                .endInnerElement().endInnerElement()
                .endInnerElement();
        return b.endInnerElement().build();
    }

    /** XEP-0363 §4; errors as §5. */
    private Stanza slot(Stanza iq, XMLElement request) {
        if (!domain.equals(iq.getFrom().getDomain()) || iq.getFrom().getNode() == null) {
            return error(iq, StanzaErrorCondition.NOT_ALLOWED, StanzaErrorType.CANCEL,
                    "Only users of " + domain + " may upload files here", null);
        }
        String owner = iq.getFrom().getBareJID().getFullQualifiedName();
        HttpUploads.SlotResult slot = uploads.requestSlot(owner, request.getAttributeValue("filename"),
                request.getAttributeValue("size"), request.getAttributeValue("content-type"));
        if (slot.refusal() != null) {
            return switch (slot.refusal()) {
                case BAD_REQUEST -> error(iq, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY, slot.text(), null);
                case FILE_TOO_LARGE -> error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY,
                        slot.text(), b -> b.startInnerElement("file-too-large", HttpUploads.NS)
                                .startInnerElement("max-file-size", HttpUploads.NS)
                                .addText(Long.toString(uploads.settings().maxFileSize()))
                                .endInnerElement().endInnerElement());
                case QUOTA -> error(iq, StanzaErrorCondition.RESOURCE_CONSTRAINT, StanzaErrorType.WAIT, slot.text(), null);
                case NOT_ALLOWED -> error(iq, StanzaErrorCondition.NOT_ALLOWED, StanzaErrorType.CANCEL, slot.text(), null);
                case UNAVAILABLE -> error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, StanzaErrorType.WAIT,
                        slot.text(), null);
            };
        }
        return StanzaErrors.result(iq).startInnerElement("slot", HttpUploads.NS)
                .startInnerElement("put", HttpUploads.NS).addAttribute("url", slot.put().toString()).endInnerElement()
                .startInnerElement("get", HttpUploads.NS).addAttribute("url", slot.get().toString()).endInnerElement()
                .endInnerElement().build();
    }

    /**
     * An error carrying the request (as XEP-0363 §5's examples do) and, inside {@code <error/>}, the
     * application-specific element {@code extra} adds.
     */
    private static Stanza error(Stanza iq, StanzaErrorCondition condition, StanzaErrorType type, String text,
                                java.util.function.Consumer<StanzaBuilder> extra) {
        StanzaBuilder b = new StanzaBuilder("iq", NamespaceURIs.JABBER_CLIENT)
                .addAttribute("from", iq.getAttributeValue("to"))
                .addAttribute("to", iq.getAttributeValue("from"))
                .addAttribute("type", "error");
        if (iq.getAttributeValue("id") != null) {
            b.addAttribute("id", iq.getAttributeValue("id"));
        }
        b.addPreparedElement(iq.getFirstInnerElement());
        b.startInnerElement("error", NamespaceURIs.JABBER_CLIENT).addAttribute("type", type.value());
        b.startInnerElement(condition.value(), NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS).endInnerElement();
        if (text != null) {
            b.startInnerElement("text", NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS)
                    .addAttribute(NamespaceURIs.XML, "lang", "en").addText(text).endInnerElement();
        }
        if (extra != null) {
            extra.accept(b);
        }
        return b.endInnerElement().build();
    }
}
