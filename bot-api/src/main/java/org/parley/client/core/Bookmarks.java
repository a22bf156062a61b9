package org.parley.client.core;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;

import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.util.StringUtils;
import org.jivesoftware.smackx.bookmarks.BookmarkManager;
import org.jivesoftware.smackx.bookmarks.BookmarkedConference;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.pubsub.PayloadItem;
import org.jivesoftware.smackx.pubsub.PubSubElementType;
import org.jivesoftware.smackx.pubsub.ItemsExtension;
import org.jivesoftware.smackx.pubsub.packet.PubSub;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;

/**
 * The account's room bookmarks: XEP-0402 (PEP node {@code urn:xmpp:bookmarks:1}, what the web page uses) where
 * the server offers PEP, XEP-0048 private XML storage (XEP-0049) otherwise. Which one is detected by service
 * discovery on the account (XEP-0402 §4: {@code urn:xmpp:bookmarks:1#compat} means the server keeps both in
 * step), so the client works with servers that have either.
 */
final class Bookmarks {

    static final String NODE = "urn:xmpp:bookmarks:1";
    static final String COMPAT = "urn:xmpp:bookmarks:1#compat";
    private static final String PUBSUB = "http://jabber.org/protocol/pubsub";
    /** Bookmarks beyond this many are ignored (a client-side bound on what a server may send). */
    static final int MAX = 500;

    private final XMPPConnection connection;
    /** Whether bookmarks are written as XEP-0402 items (decided by the last {@link #list()}). */
    private volatile boolean modern;

    Bookmarks(XMPPConnection connection) {
        this.connection = connection;
    }

    XMPPConnection connection() {
        return connection;
    }

    /** Every bookmarked room; an account without any (or a server without storage) has none. */
    List<Bookmark> list() throws SmackException.NotConnectedException, InterruptedException,
            SmackException.NoResponseException, XMPPException.XMPPErrorException {
        BareJid account = connection.getUser().asBareJid();
        boolean pep = false;
        boolean compat = false;
        try {
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(connection).discoverInfo(account);
            pep = info.hasIdentity("pubsub", "pep");
            compat = info.containsFeature(COMPAT);
        } catch (XMPPException.XMPPErrorException e) {
            // no disco on the account: use private storage
        }
        if (pep) {
            try {
                List<Bookmark> found = readPep();
                if (!found.isEmpty() || compat) {
                    modern = true;
                    return found;
                }
            } catch (XMPPException.XMPPErrorException e) {
                if (e.getStanzaError().getCondition() != StanzaError.Condition.item_not_found) {
                    LoggerFactory.getLogger(Bookmarks.class).debug("XEP-0402 bookmarks not readable: {}", e.toString());
                }
            }
        }
        modern = compat;
        return readPrivate();
    }

    /** Adds (or replaces) a bookmark where {@link #list()} found the account's bookmarks. */
    void add(Bookmark bookmark) throws Exception {
        if (modern) {
            publishPep(bookmark);
        } else {
            BookmarkManager.getBookmarkManager(connection).addBookmarkedConference(
                    bookmark.name() == null ? bookmark.displayName() : bookmark.name(), JidCreate.entityBareFrom(bookmark.jid()),
                    bookmark.autojoin(), bookmark.nick() == null ? null : Resourcepart.from(bookmark.nick()),
                    bookmark.password());
        }
    }

    private List<Bookmark> readPrivate() throws SmackException.NotConnectedException, InterruptedException,
            SmackException.NoResponseException {
        try {
            List<Bookmark> result = new ArrayList<>();
            for (BookmarkedConference c : BookmarkManager.getBookmarkManager(connection).getBookmarkedConferences()) {
                if (result.size() == MAX) {
                    break;
                }
                result.add(new Bookmark(c.getJid().toString(), c.getName(), c.isAutoJoin(),
                        c.getNickname() == null ? null : c.getNickname().toString(), c.getPassword()));
            }
            return result;
        } catch (XMPPException.XMPPErrorException e) {
            return List.of(); // no private storage here: nothing bookmarked
        }
    }

    private List<Bookmark> readPep() throws SmackException.NotConnectedException, InterruptedException,
            SmackException.NoResponseException, XMPPException.XMPPErrorException {
        RawIq get = new RawIq("pubsub", PUBSUB, "<items node='" + NODE + "' max_items='" + MAX + "'/>");
        get.setType(IQ.Type.get);
        get.setTo(connection.getUser().asBareJid());
        IQ answer = connection.sendIqRequestAndWaitForResponse(get);
        List<Bookmark> result = new ArrayList<>();
        if (answer instanceof PubSub pubsub && pubsub.getExtension(PubSubElementType.ITEMS) instanceof ItemsExtension items) {
            for (Object item : items.getItems()) {
                if (result.size() == MAX) {
                    break;
                }
                if (item instanceof PayloadItem<?> payload && payload.getId() != null && payload.getPayload() != null) {
                    Bookmark parsed = parse(payload.getId(), payload.getPayload().toXML().toString());
                    if (parsed != null) {
                        result.add(parsed);
                    }
                }
            }
        }
        return result;
    }

    /** One {@code <conference xmlns='urn:xmpp:bookmarks:1'/>} (XEP-0402 §3), or null when it is not one. */
    static Bookmark parse(String roomJid, String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            javax.xml.parsers.DocumentBuilder parser = factory.newDocumentBuilder();
            parser.setErrorHandler(new org.xml.sax.helpers.DefaultHandler()); // throws, never prints to stderr
            Element conference = parser.parse(new InputSource(new StringReader(xml))).getDocumentElement();
            if (!"conference".equals(conference.getLocalName()) || !NODE.equals(conference.getNamespaceURI())) {
                return null;
            }
            String autojoin = conference.getAttribute("autojoin");
            String name = conference.getAttribute("name");
            return new Bookmark(roomJid, name.isEmpty() ? null : name, "true".equals(autojoin) || "1".equals(autojoin),
                    childText(conference, "nick"), childText(conference, "password"));
        } catch (Exception e) {
            return null; // a malformed item is skipped, the others still count
        }
    }

    private static String childText(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(e.getLocalName()) && NODE.equals(e.getNamespaceURI())) {
                String text = e.getTextContent().strip();
                return text.isEmpty() ? null : text;
            }
        }
        return null;
    }

    /** XEP-0402 §3.2: one item per room, with the publish options the XEP requires (private, kept, all items). */
    private void publishPep(Bookmark b) throws Exception {
        StringBuilder conference = new StringBuilder("<conference xmlns='").append(NODE).append("' autojoin='")
                .append(b.autojoin()).append('\'');
        if (b.name() != null) {
            conference.append(" name='").append(StringUtils.escapeForXmlAttributeApos(b.name())).append('\'');
        }
        conference.append('>');
        if (b.nick() != null) {
            conference.append("<nick>").append(StringUtils.escapeForXmlText(b.nick())).append("</nick>");
        }
        if (b.password() != null) {
            conference.append("<password>").append(StringUtils.escapeForXmlText(b.password())).append("</password>");
        }
        conference.append("</conference>");
        String inner = "<publish node='" + NODE + "'><item id='" + StringUtils.escapeForXmlAttributeApos(b.jid()) + "'>"
                + conference + "</item></publish>"
                + "<publish-options><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
                + "<field var='pubsub#persist_items'><value>true</value></field>"
                + "<field var='pubsub#max_items'><value>max</value></field>"
                + "<field var='pubsub#send_last_published_item'><value>never</value></field>"
                + "<field var='pubsub#access_model'><value>whitelist</value></field>"
                + "</x></publish-options>";
        RawIq set = new RawIq("pubsub", PUBSUB, inner);
        set.setType(IQ.Type.set);
        connection.sendIqRequestAndWaitForResponse(set);
    }
}
