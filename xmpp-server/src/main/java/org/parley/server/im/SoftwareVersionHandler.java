package org.parley.server.im;

import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;

/**
 * Software Version (XEP-0092) of the server: {@code Parley} and its own version (Vysper's module answered
 * with the embedded library's name). No {@code <os/>}: §4 leaves it optional and it only helps attackers.
 * Requests to users' full JIDs are relayed to their clients, which answer for themselves.
 */
final class SoftwareVersionHandler extends AccountIqHandler {

    static final String NS = "jabber:iq:version";

    private final String version;

    SoftwareVersionHandler(String version) {
        super("query", NS);
        this.version = version;
    }

    @Override
    protected Stanza handleGet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        if (stanza.getTo() != null && stanza.getTo().getNode() != null) {
            // An account's bare JID: the server does not answer for the user's clients (RFC 6121 §8.5.1).
            return error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, StanzaErrorType.CANCEL);
        }
        return result(stanza, sessionContext).startInnerElement("query", NS)
                .startInnerElement("name", NS).addText("Parley").endInnerElement()
                .startInnerElement("version", NS).addText(version).endInnerElement()
                .endInnerElement().build();
    }

    @Override
    protected Stanza handleSet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        return error(stanza, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY);
    }
}
