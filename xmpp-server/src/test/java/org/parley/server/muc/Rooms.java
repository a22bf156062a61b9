package org.parley.server.muc;

import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jxmpp.jid.DomainBareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.jxmpp.stringprep.XmppStringprepException;

/** Shorthands for the chat service of the test server. */
final class Rooms {

    static final String SERVICE = "conference.localhost";

    private Rooms() {
    }

    static EntityBareJid jid(String room) throws XmppStringprepException {
        return JidCreate.entityBareFrom(room + "@" + SERVICE);
    }

    static DomainBareJid service() throws XmppStringprepException {
        return JidCreate.domainBareFrom(SERVICE);
    }

    static Resourcepart nick(String nick) throws XmppStringprepException {
        return Resourcepart.from(nick);
    }

    static MultiUserChat muc(XMPPConnection connection, String room) throws XmppStringprepException {
        return MultiUserChatManager.getInstanceFor(connection).getMultiUserChat(jid(room));
    }

    /** Creates an instant room (XEP-0045 §10.1.2) with {@code nick} as its owner. */
    static MultiUserChat created(XMPPConnection owner, String room, String nick) throws Exception {
        MultiUserChat muc = muc(owner, room);
        muc.create(nick(nick)).makeInstant();
        return muc;
    }
}
