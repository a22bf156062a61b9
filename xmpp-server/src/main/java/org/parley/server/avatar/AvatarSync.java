package org.parley.server.avatar;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.im.VcardTempHandler;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.pubsub.PepHook;
import org.parley.server.pubsub.PepService;
import org.parley.server.storage.DocumentStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Avatars, both kinds and the conversion between them (XEP-0398):
 * <ul>
 * <li>User Avatar on PEP (XEP-0084): a publish to {@code urn:xmpp:avatar:data} must be an accepted image no
 * larger than the cap, with the SHA-1 of its bytes as item id; a publish to {@code urn:xmpp:avatar:metadata}
 * copies that image into the vCard's PHOTO (an empty metadata removes it).</li>
 * <li>vCard-based avatars (XEP-0153): a vCard PHOTO is checked the same way; storing one publishes the data
 * and metadata items (notifying as XEP-0398 §3.2 asks); removing it publishes an empty metadata.</li>
 * <li>The hash in presence (XEP-0398 §4): every available presence a user sends, broadcast or directed (MUC
 * joins too), carries {@code <x xmlns='vcard-temp:x:update'><photo>hash</photo></x>} for the user's current
 * avatar, unless the client sent an empty {@code <photo/>} (it has not loaded the vCard yet).</li>
 * </ul>
 * Mirrored writes go straight to the stores, not through the protocol handlers, so they never echo back.
 */
public final class AvatarSync implements PepHook, VcardTempHandler.Hook {

    private static final Logger LOG = LoggerFactory.getLogger(AvatarSync.class);

    static final String DATA_NODE = "urn:xmpp:avatar:data";
    static final String METADATA_NODE = "urn:xmpp:avatar:metadata";
    static final String VCARD_NS = "vcard-temp";
    static final String UPDATE_NS = "vcard-temp:x:update";
    /** XEP-0398 §2: advertised on the account. */
    public static final String FEATURE = "urn:xmpp:pep-vcard-conversion:0";

    private final PepService pep;
    private final DocumentStore documents;
    private final int maxBytes;
    /** The current avatar hash by account ("" for none), filled on first use from the vCard. */
    private final Map<String, String> hashes = new ConcurrentHashMap<>();

    public AvatarSync(PepService pep, DocumentStore documents, int maxBytes) {
        this.pep = pep;
        this.documents = documents;
        this.maxBytes = maxBytes;
    }

    /** Wires the conversion into PEP and vcard-temp and advertises it. */
    public static AvatarSync install(PepService pep, VcardTempHandler vcards, DocumentStore documents, int maxBytes) {
        AvatarSync sync = new AvatarSync(pep, documents, maxBytes);
        pep.addHook(sync, FEATURE);
        vcards.addHook(sync);
        return sync;
    }

    // ------------------------------------------------------------------ PEP (XEP-0084)

    @Override
    public Refusal check(Entity account, String node, String itemId, XMLElement payload) {
        if (!DATA_NODE.equals(node)) {
            return null;
        }
        if (payload == null || !"data".equals(payload.getName()) || !DATA_NODE.equals(payload.getNamespaceURI())) {
            return new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload",
                    "avatar data is a <data xmlns='" + DATA_NODE + "'/>");
        }
        AvatarImage image;
        try {
            image = AvatarImage.decode(StanzaParsing.text(payload), maxBytes);
        } catch (AvatarImage.Refused r) {
            // XEP-0060 §7.1.3.4 for the size, §7.1.3.6 for a payload that is not what the node takes.
            return r.tooLarge ? new Refusal(StanzaErrorCondition.NOT_ACCEPTABLE, "payload-too-big", r.getMessage())
                    : new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload", r.getMessage());
        }
        if (!image.sha1().equalsIgnoreCase(itemId)) {
            return new Refusal(StanzaErrorCondition.BAD_REQUEST, "invalid-payload",
                    "the item id of avatar data is the SHA-1 of the image (XEP-0084 §4.2)");
        }
        return null;
    }

    /** XEP-0398 §3.1: a new metadata item puts the image it names into the vCard. */
    @Override
    public void changed(Entity account, String node) {
        if (!METADATA_NODE.equals(node)) {
            return;
        }
        synchronized (this) {
            List<PepService.PepItem> items = pep.items(account, METADATA_NODE);
            XMLElement metadata = items.isEmpty() ? null : items.get(0).payload();
            XMLElement info = metadata == null ? null : localInfo(metadata);
            if (info == null) {
                if (metadata == null || metadata.getInnerElements().isEmpty()) {
                    writePhoto(account, null); // XEP-0084 §4.5: avatar publishing disabled
                }
                return;
            }
            String id = info.getAttributeValue("id");
            Optional<AvatarImage> image = pep.items(account, DATA_NODE).stream()
                    .filter(item -> item.id().equalsIgnoreCase(id) && item.payload() != null)
                    .findFirst().flatMap(item -> decodeQuietly(StanzaParsing.text(item.payload())));
            if (image.isEmpty() || !image.get().sha1().equalsIgnoreCase(id)) {
                LOG.debug("metadata {} of {} names no stored image; vCard unchanged", id, account);
                return;
            }
            writePhoto(account, image.get());
        }
    }

    /** XEP-0398 §3.1: the info without a url (the image on the data node). */
    private static XMLElement localInfo(XMLElement metadata) {
        for (XMLElement info : metadata.getInnerElementsNamed("info", METADATA_NODE)) {
            if (info.getAttributeValue("url") == null && info.getAttributeValue("id") != null) {
                return info;
            }
        }
        return null;
    }

    private void writePhoto(Entity account, AvatarImage image) {
        String user = account.getNode();
        XMLElement old = documents.get(user, VcardTempHandler.KEY).flatMap(AvatarSync::parse).orElse(null);
        StanzaBuilder b = new StanzaBuilder("vCard", VCARD_NS);
        if (old != null) {
            for (XMLElement child : old.getInnerElements()) {
                if (!"PHOTO".equals(child.getName())) {
                    b.addPreparedElement(child);
                }
            }
        }
        if (image != null) {
            b.startInnerElement("PHOTO", VCARD_NS)
                    .startInnerElement("TYPE", VCARD_NS).addText(image.type()).endInnerElement()
                    .startInnerElement("BINVAL", VCARD_NS).addText(image.base64()).endInnerElement()
                    .endInnerElement();
        }
        Stanza vcard = b.build();
        if (vcard.getInnerElements().isEmpty()) {
            documents.delete(user, VcardTempHandler.KEY);
        } else {
            documents.put(user, VcardTempHandler.KEY, new Renderer(vcard).getComplete());
        }
        hashes.put(user, image == null ? "" : image.sha1());
    }

    // ------------------------------------------------------------------ vCard (XEP-0153)

    @Override
    public String refusal(Entity account, XMLElement vcard) {
        return photoRefusal(vcard, maxBytes);
    }

    /** XEP-0398 §3.2: a vCard PHOTO becomes the PEP avatar; a PHOTO removed disables it. */
    @Override
    public void stored(Entity account, XMLElement before, XMLElement after) {
        String binval = after == null ? null : binval(after);
        synchronized (this) {
            if (binval == null) {
                hashes.put(account.getNode(), "");
                if (before != null && binval(before) != null) {
                    pep.publish(account, METADATA_NODE, "current", new StanzaBuilder("metadata", METADATA_NODE).build(),
                            Map.of());
                }
                return;
            }
            Optional<AvatarImage> decoded = decodeQuietly(binval);
            if (decoded.isEmpty()) {
                return; // refused before storing; cannot happen
            }
            AvatarImage image = decoded.get();
            hashes.put(account.getNode(), image.sha1());
            List<PepService.PepItem> current = pep.items(account, METADATA_NODE);
            XMLElement info = current.isEmpty() || current.get(0).payload() == null ? null
                    : localInfo(current.get(0).payload());
            if (info != null && image.sha1().equalsIgnoreCase(info.getAttributeValue("id"))) {
                return; // the same image: nothing to announce
            }
            pep.publish(account, DATA_NODE, image.sha1(), new StanzaBuilder("data", DATA_NODE)
                    .addText(image.base64()).build(), Map.of());
            StanzaBuilder metadata = new StanzaBuilder("metadata", METADATA_NODE);
            metadata.startInnerElement("info", METADATA_NODE).addAttribute("id", image.sha1())
                    .addAttribute("bytes", Integer.toString(image.bytes().length)).addAttribute("type", image.type());
            if (image.width() > 0 && image.height() > 0) {
                metadata.addAttribute("width", Integer.toString(image.width()))
                        .addAttribute("height", Integer.toString(image.height()));
            }
            metadata.endInnerElement();
            pep.publish(account, METADATA_NODE, image.sha1(), metadata.build(), Map.of());
        }
    }

    /** Null when the vCard's PHOTO (if any) is an accepted image within {@code maxBytes}, else why not. */
    public static String photoRefusal(XMLElement vcard, int maxBytes) {
        String binval = binval(vcard);
        if (binval == null) {
            return null;
        }
        try {
            AvatarImage.decode(binval, maxBytes);
            return null;
        } catch (AvatarImage.Refused r) {
            return r.getMessage();
        }
    }

    /** The SHA-1 of the vCard's PHOTO (XEP-0153 §3.1), or "" when it has none. */
    public static String photoHash(XMLElement vcard) {
        String binval = vcard == null ? null : binval(vcard);
        if (binval == null) {
            return "";
        }
        try {
            return AvatarImage.decode(binval, Integer.MAX_VALUE / 2).sha1();
        } catch (AvatarImage.Refused r) {
            return "";
        }
    }

    private static String binval(XMLElement vcard) {
        XMLElement photo = StanzaParsing.child(vcard, "PHOTO", VCARD_NS);
        XMLElement binval = photo == null ? null : StanzaParsing.child(photo, "BINVAL", VCARD_NS);
        if (binval == null) {
            return null;
        }
        String text = StanzaParsing.text(binval);
        return text.isBlank() ? null : text;
    }

    // ------------------------------------------------------------------ presence (XEP-0398 §4)

    /** The account is gone: forget its cached hash (a new account of that name starts without an avatar). */
    public void forget(String user) {
        hashes.remove(user);
    }

    /** The account's current avatar hash, "" when it has none. */
    public String hash(Entity account) {
        return hashes.computeIfAbsent(account.getNode(), user -> documents.get(user, VcardTempHandler.KEY)
                .flatMap(AvatarSync::parse).map(AvatarSync::binval).flatMap(this::decodeQuietly)
                .map(AvatarImage::sha1).orElse(""));
    }

    /**
     * An available presence from {@code sender} with the avatar hash put in: an absent or photo-less
     * {@code vcard-temp:x:update} gets the server's hash, an empty {@code <photo/>} stays, and a hash the
     * client sent is replaced by the current one (the server knows best which avatar is stored).
     */
    public Stanza withHash(Entity sender, Stanza presence) {
        if (!"presence".equals(presence.getName()) || presence.getAttributeValue("type") != null
                || sender == null || sender.getNode() == null) {
            return presence;
        }
        XMLElement update = StanzaParsing.child(presence, "x", UPDATE_NS);
        XMLElement photo = update == null ? null : StanzaParsing.child(update, "photo", UPDATE_NS);
        if (photo != null && StanzaParsing.text(photo).isBlank()) {
            return presence;
        }
        String hash = hash(sender);
        if (hash.isEmpty() && update == null) {
            return presence; // no avatar known and nothing claimed: leave the presence as the client sent it
        }
        if (photo != null && hash.equalsIgnoreCase(StanzaParsing.text(photo).trim())) {
            return presence;
        }
        StanzaBuilder b = new StanzaBuilder(presence.getName(), presence.getNamespaceURI());
        presence.getAttributes().forEach(b::addAttribute);
        for (XMLElement child : presence.getInnerElements()) {
            if (child != update) {
                b.addPreparedElement(child);
            }
        }
        b.startInnerElement("x", UPDATE_NS).startInnerElement("photo", UPDATE_NS);
        if (!hash.isEmpty()) {
            b.addText(hash);
        }
        b.endInnerElement().endInnerElement();
        return b.build();
    }

    private Optional<AvatarImage> decodeQuietly(String base64) {
        try {
            return Optional.of(AvatarImage.decode(base64, Integer.MAX_VALUE / 2));
        } catch (AvatarImage.Refused r) {
            return Optional.empty();
        }
    }

    private static Optional<XMLElement> parse(String xml) {
        try {
            return Optional.of(StanzaParsing.parse(xml));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
