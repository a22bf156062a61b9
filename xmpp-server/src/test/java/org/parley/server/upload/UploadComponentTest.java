package org.parley.server.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** The XMPP half of XEP-0363 at upload.localhost, as raw stanzas over a real connection. */
class UploadComponentTest {

    private static final long MAX = 10_000;

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> s.withUpload(new ServerSettings.Upload(true, "upload",
            MAX, 3 * MAX, Duration.ofMinutes(5), Duration.ZERO, URI.create("https://files.example.org/share"))),
            "alice", "quota");

    @Test
    void theServerListsTheServiceAndItAdvertisesItsMaximumFileSize_xep0363_3() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='items' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
            assertTrue(c.await("</iq>").contains("jid=\"upload.localhost\""), c.received());
            c.clear();
            c.send("<iq type='get' id='info' to='upload.localhost'>"
                    + "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            String info = c.await("</iq>");
            assertTrue(info.contains("category=\"store\"") && info.contains("type=\"file\""), info);
            assertTrue(info.contains("var=\"urn:xmpp:http:upload:0\""), info);
            assertTrue(info.matches("(?s).*<field var=\"max-file-size\"><value>10000</value></field>.*"), info);
            assertTrue(info.contains("<value>urn:xmpp:http:upload:0</value>"), info);
        }
    }

    @Test
    void aSlotRequestIsAnsweredWithPutAndGetUrls_xep0363_4() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='s1' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                    + "filename='très cool.jpg' size='2345' content-type='image/jpeg'/></iq>");
            String answer = c.await("</iq>");
            Matcher m = Pattern.compile("<put url=\"(https://files\\.example\\.org/share/[A-Za-z0-9_-]{22}/"
                    + "tr%C3%A8s%20cool\\.jpg)\\?token=[A-Za-z0-9_.-]+\"").matcher(answer);
            assertTrue(m.find(), answer);
            assertTrue(answer.contains("<get url=\"" + m.group(1) + "\""), answer);
            assertTrue(answer.contains("type=\"result\"") && answer.contains("id=\"s1\""), answer);
        }
    }

    @Test
    void aFileAboveTheMaximumIsRefusedWithFileTooLarge_xep0363_5() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='big' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                    + "filename='big.bin' size='10001'/></iq>");
            String answer = c.await("</iq>");
            assertTrue(answer.contains("type=\"error\""), answer);
            assertTrue(answer.contains("<error type=\"modify\"><not-acceptable"), answer);
            assertTrue(answer.contains("<file-too-large xmlns=\"urn:xmpp:http:upload:0\"><max-file-size>10000"
                    + "</max-file-size></file-too-large>"), answer);
            assertTrue(answer.contains("<request xmlns=\"urn:xmpp:http:upload:0\""), "the request is echoed: " + answer);
        }
    }

    @Test
    void malformedRequestsAreBadRequests() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            for (String request : new String[] {"size='10'", "filename='a' size='-3'", "filename='a' size='x'",
                "filename='a' size='3' content-type='not a type'"}) {
                c.clear();
                c.send("<iq type='get' id='bad' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                        + request + "/></iq>");
                assertTrue(c.await("</iq>").contains("<bad-request"), request + ": " + c.received());
            }
            c.clear();
            c.send("<iq type='set' id='set' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                    + "filename='a' size='1'/></iq>");
            assertTrue(c.await("</iq>").contains("<bad-request"), c.received());
        }
    }

    @Test
    void aUserOverTheQuotaGetsResourceConstraint_xep0363_5() throws Exception {
        HttpUploads uploads = server.server().uploads();
        for (int i = 0; i < 3; i++) {
            HttpUploads.SlotResult slot = uploads.requestSlot("quota@localhost", "f" + i, Long.toString(MAX), null);
            String[] path = slot.get().getPath().split("/");
            assertEquals(201, uploads.put(path[path.length - 2], path[path.length - 1],
                    slot.put().getQuery().substring(6), MAX, null, new ByteArrayInputStream(new byte[(int) MAX])).status());
        }
        try (RawClient c = RawClient.loggedIn(server, "quota")) {
            c.send("<iq type='get' id='q' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' "
                    + "filename='more.bin' size='1'/></iq>");
            String answer = c.await("</iq>");
            assertTrue(answer.contains("<error type=\"wait\"><resource-constraint"), answer);
        }
    }

    @Test
    void otherRequestsToTheServiceGetServiceUnavailable() throws Exception {
        try (RawClient c = RawClient.loggedIn(server, "alice")) {
            c.send("<iq type='get' id='v' to='upload.localhost'><query xmlns='jabber:iq:version'/></iq>");
            assertTrue(c.await("</iq>").contains("<service-unavailable"), c.received());
        }
    }
}
