package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Adding a contact in one step (RFC 6121 §3.4): the user pre-approves the contact when asking, so when
 * the contact accepts and asks back (as the web page does: subscribed, then subscribe) the server answers
 * the request itself and the user is not asked a second time.
 */
class PreApprovedAddContactTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("desk", "page");

    @Test
    void rfc6121_3_4_contactWhoAcceptsAndAsksBackIsApprovedWithoutAskingTheUserAgain() throws Exception {
        try (RawClient desk = RawClient.loggedIn(server, "desk"); RawClient page = RawClient.loggedIn(server, "page")) {
            for (RawClient c : new RawClient[] {desk, page}) {
                c.send("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>").await("id=\"r\"");
                c.send("<presence/>");
                c.clear();
            }
            // The adding side: roster item, pre-approval, request (what Smack's preApproveAndCreateEntry sends).
            desk.send("<iq type='set' id='add'><query xmlns='jabber:iq:roster'><item jid='page@localhost'/></query></iq>")
                    .await("id=\"add\"");
            desk.send("<presence to='page@localhost' type='subscribed'/>");
            desk.send("<presence to='page@localhost' type='subscribe'/>");
            desk.await("approved=\"true\"");

            // The accepting side: approve, and ask back.
            page.await("type=\"subscribe\"");
            page.send("<presence to='desk@localhost' type='subscribed'/>");
            page.send("<presence to='desk@localhost' type='subscribe'/>");

            String deskSaw = desk.await("subscription=\"both\"");
            assertFalse(deskSaw.matches("(?s).*<presence[^>]*type=\"subscribe\".*"),
                    "the pre-approved request is answered by the server, not shown to the user: " + deskSaw);
            page.await("subscription=\"both\"");
            String pageSaw = page.await("from=\"desk@localhost/raw\"");
            assertTrue(pageSaw.contains("subscription=\"both\""), "§3.4: the user's presence follows: " + pageSaw);
        }
    }
}
