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
import org.parley.server.parser.StanzaParsing;
import org.parley.server.pubsub.PepHook;
import org.parley.server.pubsub.PepService;
import org.parley.server.storage.DocumentStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bookmarks kept in step across their three stores, whichever a client uses:
 * <ul>
 * <li>PEP Native Bookmarks (XEP-0402, node {@code urn:xmpp:bookmarks:1}, one item per room, §5.3
 *     {@code #compat});</li>
 * <li>the old {@code storage:bookmarks} element (XEP-0048) in private XML (XEP-0049), where Gajim and Smack's
 *     {@code BookmarkManager} keep it;</li>
 * <li>the same element on the PEP node {@code storage:bookmarks} (XEP-0048 §3.3 over XEP-0223, item
 *     {@code current}), which XEP-0411 (Bookmarks Conversion, {@code urn:xmpp:bookmarks-conversion:0}) has the
 *     server mirror from and to private XML, notifying the node's subscribers when a private-XML client writes
 *     (§3).</li>
 * </ul>
 * Private XML is the hub: a client's write to any of the three rewrites the other two. The URLs of XEP-0048
 * have no XEP-0402 form and are kept from the private-XML copy; XEP-0402 {@code <extensions/>} are kept on
 * the native items. So a room with autojoin follows the user from Gajim or Smack to Conversations and back.
 *
 * <p>The server publishes with the node configuration XEP-0402 §3.4 asks of clients ({@code whitelist}, as
 * many items as a node may keep), so only the account sees its bookmarks (XEP-0411 §5). Server-made changes
 * are not reported back to hooks ({@link PepHook}), so mirroring never loops. All directions run under one
 * lock: bookmark changes are rare and small.
 */
public final class BookmarkSync implements PepHook, PrivateXmlHandler.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(BookmarkSync.class);

    /** The XEP-0402 node. */
    public static final String NODE = Bookmark.PEP_NS;
    /** Advertised in the account's disco#info: the server converts to and from private XML (XEP-0402 §5.3). */
    public static final String COMPAT_FEATURE = NODE + "#compat";
    /** XEP-0402 §5.3: the XEP-0048 PEP node is converted as well (Monal looks for this one). */
    public static final String COMPAT_PEP_FEATURE = NODE + "#compat-pep";
    /** The XEP-0048 PEP node (XEP-0048 §3.3), mirrored from and to private XML by XEP-0411. */
    public static final String LEGACY_NODE = Bookmark.LEGACY_NS;
    /** XEP-0411 §2: advertised in the account's disco#info. */
    public static final String CONVERSION_FEATURE = "urn:xmpp:bookmarks-conversion:0";
    /** The item id XEP-0048 §3.3 and XEP-0223 use for a single-item private node. */
    static final String LEGACY_ITEM = "current";

    static final Map<String, String> NODE_CONFIG = Map.of(
            "pubsub#persist_items", "true",
            "pubsub#max_items", "max",
            "pubsub#send_last_published_item", "never",
            "pubsub#access_model", "whitelist");

    /** XEP-0223 §3's options for the single {@code storage:bookmarks} item. */
    static final Map<String, String> LEGACY_NODE_CONFIG = Map.of(
            "pubsub#persist_items", "true",
            "pubsub#max_items", "1",
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
        pep.addHook(sync, COMPAT_FEATURE, COMPAT_PEP_FEATURE, CONVERSION_FEATURE);
        privateXml.addListener(sync);
        return sync;
    }

    /**
     * XEP-0402 §3: the item id is the room's bare JID and the payload a {@code <conference/>}; XEP-0048 §3.3:
     * the {@code storage:bookmarks} node holds a {@code <storage/>}.
     */
    @Override
    public Refusal check(Entity account, String node, String itemId, XMLElement payload) {
        if (LEGACY_NODE.equals(node)) {
            return isLegacyStorage(payload) ? null : new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload",
                    "the storage:bookmarks node holds a <storage xmlns='" + LEGACY_NODE + "'/>");
        }
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

    /** A client changed the XEP-0402 node or the XEP-0048 PEP node: rewrite the other stores from it. */
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
                publishLegacy(account, storage);
            }
        } else if (LEGACY_NODE.equals(node)) {
            synchronized (this) {
                // The newest item is the bookmarks (max_items 1 unless a client chose otherwise); a node
                // emptied or deleted means no rooms, the private-XML URLs stay.
                XMLElement storage = pep.items(account, LEGACY_NODE).stream().map(PepService.PepItem::payload)
                        .filter(BookmarkSync::isLegacyStorage).findFirst()
                        .orElseGet(() -> Bookmark.legacyStorage(List.of(), legacy(account).orElse(null)));
                documents.put(account.getNode(), LEGACY_KEY, new Renderer(storage).getComplete());
                syncNative(account, storage);
            }
        }
    }

    /** A client stored private XML: if it is {@code storage:bookmarks}, bring both PEP copies in line. */
    @Override
    public void stored(Entity account, XMLElement fragment) {
        if (!isLegacyStorage(fragment)) {
            return;
        }
        synchronized (this) {
            syncNative(account, fragment);
            publishLegacy(account, fragment); // XEP-0411 §3: subscribers of storage:bookmarks are notified
        }
    }

    private static boolean isLegacyStorage(XMLElement e) {
        return e != null && Bookmark.LEGACY_ELEMENT.equals(e.getName()) && Bookmark.LEGACY_NS.equals(e.getNamespaceURI());
    }

    /** The XEP-0402 items made to match {@code storage}: published where new or changed, retracted where gone. */
    private void syncNative(Entity account, XMLElement storage) {
        Map<String, Bookmark> wanted = Bookmark.fromLegacy(storage);
        Map<String, PepService.PepItem> current = new LinkedHashMap<>();
        pep.items(account, NODE).forEach(item -> current.put(item.id(), item));
        wanted.forEach((jid, bookmark) -> {
            PepService.PepItem existing = current.get(jid);
            Bookmark old = existing == null ? null : Bookmark.fromPep(existing.id(), existing.payload());
            XMLElement payload = bookmark.withExtensions(old == null ? null : old.extensions()).toPep();
            if (existing == null || !same(payload, existing.payload())) {
                pep.publish(account, NODE, jid, payload, NODE_CONFIG);
            }
        });
        for (String id : current.keySet()) {
            if (!wanted.containsKey(id)) {
                pep.retract(account, NODE, id);
            }
        }
    }

    /** The XEP-0048 PEP item set to {@code storage}, unless it already is (no notification for nothing). */
    private void publishLegacy(Entity account, XMLElement storage) {
        List<PepService.PepItem> items = pep.items(account, LEGACY_NODE);
        if (items.isEmpty() || !same(storage, items.get(0).payload())) {
            pep.publish(account, LEGACY_NODE, LEGACY_ITEM, storage, LEGACY_NODE_CONFIG);
        }
    }

    private static boolean same(XMLElement a, XMLElement b) {
        return b != null && new Renderer(a).getComplete().equals(new Renderer(b).getComplete());
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
