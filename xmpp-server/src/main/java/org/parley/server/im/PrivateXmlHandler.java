package org.parley.server.im;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.storage.DocumentStore;

/**
 * Private XML storage, XEP-0049: each child of {@code <query xmlns='jabber:iq:private'/>} is stored whole
 * under the key {@code "<element> <namespace>"} and returned inside {@code <query/>} again; only the
 * owner can read or write it.
 */
public final class PrivateXmlHandler extends AccountIqHandler {

    static final String ELEMENT = "query";
    static final String NS = NamespaceURIs.PRIVATE_DATA;

    /** Namespaces a stored fragment may not use (XEP-0049 §3). */
    private static final Set<String> RESERVED = Set.of(NamespaceURIs.JABBER_CLIENT, NamespaceURIs.JABBER_SERVER,
            NamespaceURIs.PRIVATE_DATA);

    /** Told of each fragment a client stored, after it was stored (XEP-0411 mirrors bookmarks to PEP). */
    public interface Listener {
        void stored(Entity account, XMLElement fragment);
    }

    private final DocumentStore store;
    private final int maxBytes;
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile int maxItems = Integer.MAX_VALUE;

    /** @param maxBytes the largest fragment accepted, in bytes of its UTF-8 XML text */
    public PrivateXmlHandler(DocumentStore store, int maxBytes) {
        super(ELEMENT, NS);
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        this.store = store;
        this.maxBytes = maxBytes;
    }

    /** Caps the fragments one account may store (issue 17, limits.private-xml-items). */
    public void limitItems(int items) {
        this.maxItems = items;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** The {@link DocumentStore} key of a fragment: its element name and namespace. */
    public static String key(String elementName, String namespace) {
        return elementName + " " + namespace;
    }

    @Override
    protected Stanza handleGet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        Entity requester = requester(stanza, sessionContext);
        if (!ownerOnly(stanza, requester)) {
            return error(stanza, StanzaErrorCondition.FORBIDDEN, StanzaErrorType.CANCEL);
        }
        List<XMLElement> children = stanza.getFirstInnerElement().getInnerElements();
        if (children.size() != 1) {
            // One namespace per get (XEP-0049 §2); an empty get is bad-format, i.e. bad-request (XEP-0086).
            return error(stanza, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY);
        }
        XMLElement wanted = children.get(0);
        if (!acceptableNamespace(wanted)) {
            return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
        }
        String ns = wanted.getNamespaceURI();
        Optional<XMLElement> stored = store.get(requester.getNode(), key(wanted.getName(), ns))
                .flatMap(xml -> parseStored(xml, wanted.getName(), ns, requester.getNode()));
        StanzaBuilder reply = result(stanza, sessionContext).startInnerElement(ELEMENT, NS);
        if (stored.isPresent()) {
            reply.addPreparedElement(stored.get());
        } else {
            // Nothing stored: the requested element comes back empty (XEP-0049 §2).
            reply.startInnerElement(wanted.getName(), ns).endInnerElement();
        }
        return reply.endInnerElement().build();
    }

    @Override
    protected Stanza handleSet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        Entity requester = requester(stanza, sessionContext);
        if (!ownerOnly(stanza, requester)) {
            return error(stanza, StanzaErrorCondition.FORBIDDEN, StanzaErrorType.CANCEL);
        }
        List<XMLElement> children = stanza.getFirstInnerElement().getInnerElements();
        if (children.isEmpty()) {
            // "At least one child element with a proper namespace MUST be included" (XEP-0049 §2).
            return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
        }
        // Check everything before storing anything: a refused set changes nothing.
        Map<String, String> toStore = new LinkedHashMap<>();
        List<XMLElement> stored = new java.util.ArrayList<>();
        for (XMLElement child : children) {
            if (!acceptableNamespace(child)) {
                return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
            }
            String xml = new Renderer(child).getComplete();
            if (xml.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
                return error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY);
            }
            toStore.put(key(child.getName(), child.getNamespaceURI()), xml);
            stored.add(child);
        }
        if (maxItems < Integer.MAX_VALUE) {
            // Private XML keys are "<element> <namespace>": the space tells them from the vCard's and others'.
            long added = toStore.keySet().stream().filter(k -> store.get(requester.getNode(), k).isEmpty()).count();
            if (added > 0 && store.count(requester.getNode(), " ") + added > maxItems) {
                return error(stanza, StanzaErrorCondition.RESOURCE_CONSTRAINT, StanzaErrorType.WAIT);
            }
        }
        toStore.forEach((key, xml) -> store.put(requester.getNode(), key, xml));
        for (XMLElement child : stored) {
            for (Listener listener : listeners) {
                listener.stored(requester.getBareJID(), child);
            }
        }
        return result(stanza, sessionContext).build();
    }

    /** Requests must come from an account and address it (no 'to', or its own bare JID). */
    private static boolean ownerOnly(IQStanza stanza, Entity requester) {
        return requester != null && requester.getNode() != null && addressedToSelf(stanza, requester);
    }

    private static boolean acceptableNamespace(XMLElement element) {
        String ns = element.getNamespaceURI();
        return ns != null && !ns.isEmpty() && !RESERVED.contains(ns);
    }
}
