package org.parley.server.bookmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.im.PrivateXmlHandler;
import org.parley.server.pubsub.PepHook;
import org.parley.server.pubsub.PepService;
import org.parley.server.storage.DocumentStore;
import org.parley.server.stream.StanzaParsing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEP Native Bookmarks (XEP-0402) kept in step with the old private-XML bookmarks (XEP-0048 over XEP-0049,
 * the conversion of XEP-0411 and XEP-0402 §5.3 {@code #compat}): storing {@code storage:bookmarks} in private
 * XML publishes, updates and retracts the items of {@code urn:xmpp:bookmarks:1} (so XEP-0402 clients get
 * notified), and a client's publish or retract there rewrites the private-XML copy, keeping its URLs. So a
 * room with autojoin follows the user from Gajim or Smack to Conversations and back.
 *
 * <p>The server publishes with the node configuration XEP-0402 §3.4 asks of clients ({@code whitelist}, as
 * many items as a node may keep). Both directions run under one lock: bookmark changes are rare and small.
 */
public final class BookmarkSync implements PepHook, PrivateXmlHandler.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(BookmarkSync.class);

    /** The XEP-0402 node. */
    public static final String NODE = Bookmark.PEP_NS;
    /** Advertised in the account's disco#info: the server converts to and from private XML (XEP-0402 §5.3). */
    public static final String COMPAT_FEATURE = NODE + "#compat";

    static final Map<String, String> NODE_CONFIG = Map.of(
            "pubsub#persist_items", "true",
            "pubsub#max_items", "max",
            "pubsub#send_last_published_item", "never",
            "pubsub#access_model", "whitelist");

    private static final String LEGACY_KEY = PrivateXmlHandler.key(Bookmark.LEGACY_ELEMENT, Bookmark.LEGACY_NS);

    private final PepService pep;
    private final DocumentStore documents;

    public BookmarkSync(PepService pep, DocumentStore documents) {
        this.pep = pep;
        this.documents = documents;
    }

    /** Wires the conversion into both stores. */
    public static BookmarkSync install(PepService pep, PrivateXmlHandler privateXml, DocumentStore documents) {
        BookmarkSync sync = new BookmarkSync(pep, documents);
        pep.addHook(sync, COMPAT_FEATURE);
        privateXml.addListener(sync);
        return sync;
    }

    /** XEP-0402 §3: the item id is the room's bare JID and the payload a {@code <conference/>}. */
    @Override
    public Refusal check(Entity account, String node, String itemId, XMLElement payload) {
        if (!NODE.equals(node)) {
            return null;
        }
        if (Bookmark.roomJid(itemId) == null) {
            return new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload",
                    "the item id of a bookmark is the room's bare JID");
        }
        if (Bookmark.fromPep(itemId, payload) == null) {
            return new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload",
                    "a bookmark is a <conference xmlns='" + NODE + "'/>");
        }
        return null;
    }

    /** A client changed the XEP-0402 node: rewrite the private-XML copy from its items. */
    @Override
    public void changed(Entity account, String node) {
        if (NODE.equals(node)) {
            synchronized (this) {
                List<Bookmark> bookmarks = new ArrayList<>();
                for (PepService.PepItem item : pep.items(account, NODE)) {
                    Bookmark b = Bookmark.fromPep(item.id(), item.payload());
                    if (b != null) {
                        bookmarks.add(b);
                    }
                }
                Collections.reverse(bookmarks); // oldest first, as a list a user built up reads
                XMLElement storage = Bookmark.legacyStorage(bookmarks, legacy(account).orElse(null));
                documents.put(account.getNode(), LEGACY_KEY, new Renderer(storage).getComplete());
            }
        }
    }

    /** A client stored private XML: if it is {@code storage:bookmarks}, bring the XEP-0402 items in line. */
    @Override
    public void stored(Entity account, XMLElement fragment) {
        if (!Bookmark.LEGACY_ELEMENT.equals(fragment.getName()) || !Bookmark.LEGACY_NS.equals(fragment.getNamespaceURI())) {
            return;
        }
        synchronized (this) {
            Map<String, Bookmark> wanted = Bookmark.fromLegacy(fragment);
            Map<String, PepService.PepItem> current = new LinkedHashMap<>();
            pep.items(account, NODE).forEach(item -> current.put(item.id(), item));
            wanted.forEach((jid, bookmark) -> {
                PepService.PepItem existing = current.get(jid);
                Bookmark old = existing == null ? null : Bookmark.fromPep(existing.id(), existing.payload());
                XMLElement payload = bookmark.withExtensions(old == null ? null : old.extensions()).toPep();
                if (existing == null || existing.payload() == null
                        || !new Renderer(payload).getComplete().equals(new Renderer(existing.payload()).getComplete())) {
                    pep.publish(account, NODE, jid, payload, NODE_CONFIG);
                }
            });
            for (String id : current.keySet()) {
                if (!wanted.containsKey(id)) {
                    pep.retract(account, NODE, id);
                }
            }
        }
    }

    private Optional<XMLElement> legacy(Entity account) {
        return documents.get(account.getNode(), LEGACY_KEY).flatMap(xml -> {
            try {
                return Optional.of(StanzaParsing.parse(xml));
            } catch (IllegalArgumentException e) {
                LOG.warn("stored bookmarks of {} are unreadable: {}", account, e.getMessage());
                return Optional.empty();
            }
        });
    }
}
