package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.ping.PingManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Protocol transcripts over raw sockets: what the server answers to exact bytes, including input no
 * well-behaved client library would send.
 */
class StreamTranscriptTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    /** Opens a stream, negotiates STARTTLS and authenticates with PLAIN; returns a bound client. */
    private static RawClient boundClient(String user) throws Exception {
        RawClient client = new RawClient(server.server().c2sPort());
        client.openStream().await("</stream:features>");
        client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").await("<proceed");
        client.upgradeToTls(server.clientSslContext());
        client.clear();
        client.openStream().await("</stream:features>");
        String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                .await("<success");
        client.clear();
        client.openStream().await("</stream:features>");
        client.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>raw</resource></bind></iq>").await("</iq>");
        client.clear();
        return client;
    }

    @Test
    void rfc6120_5_3_1_starttlsIsRequiredAndOfferedAlone() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            String features = client.openStream().await("</stream:features>");
            assertTrue(features.contains("<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required></required></starttls>"),
                    features);
            assertTrue(!features.contains("mechanisms"), "no SASL before TLS: " + features);
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHg=</auth>");
            client.await("<policy-violation");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }

    @Test
    void rfc6120_5_tlsOneTwoOrNewerAfterStarttlsThenScramOffered() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            client.openStream().await("</stream:features>");
            client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").await("<proceed");
            client.upgradeToTls(server.clientSslContext());
            assertTrue(client.negotiatedProtocol().matches("TLSv1\\.[23]"), client.negotiatedProtocol());
            client.clear();
            String features = client.openStream().await("</stream:features>");
            assertTrue(features.contains("<mechanism>SCRAM-SHA-256</mechanism>"), features);
            assertTrue(features.contains("<mechanism>SCRAM-SHA-1</mechanism>"), features);
            assertTrue(features.contains("<mechanism>PLAIN</mechanism>"), features);
            assertTrue(features.contains("iq-register"), features);
            String plain = Base64.getEncoder().encodeToString("\0alice\0secret-password".getBytes(StandardCharsets.UTF_8));
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                    .await("<success");
            client.clear();
            String bound = client.openStream().await("</stream:features>");
            assertTrue(bound.contains("<bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"></bind>"), bound);
            assertTrue(bound.contains("urn:xmpp:features:rosterver"), "RFC 6121 §2.6.1: " + bound);
            assertTrue(bound.contains("urn:xmpp:features:pre-approval"), "RFC 6121 §3.4: " + bound);
        }
    }

    @Test
    void xep0368_directTlsLogsIn() throws Exception {
        try (RawClient client = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            String features = client.openStream().await("</stream:features>");
            assertTrue(features.contains("SCRAM-SHA-256"), features);
            assertTrue(!features.contains("starttls"), "no STARTTLS on an encrypted stream");
            String plain = Base64.getEncoder().encodeToString("\0alice\0secret-password".getBytes(StandardCharsets.UTF_8));
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                    .await("<success");
        }
    }

    @Test
    void rfc6120_6_4_2_unknownMechanismIsInvalidMechanism() throws Exception {
        try (RawClient client = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            client.openStream().await("</stream:features>");
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-UNKNOWN'/>")
                    .await("<invalid-mechanism></invalid-mechanism>");
        }
    }

    @Test
    void rfc6120_4_4_closingTagIsAnsweredAtOnce() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("</stream:stream>");
            client.await("</stream:stream>", Duration.ofSeconds(3));
            assertTrue(client.awaitClosed(Duration.ofSeconds(3)), "server closes the TCP connection too");
        }
    }

    @Test
    void rfc6120_11_commentIsRestrictedXmlAndOthersKeepWorking() throws Exception {
        XMPPTCPConnection bystander = server.login("bob");
        try (RawClient client = boundClient("alice")) {
            client.send("<!-- hello -->");
            client.await("<restricted-xml xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"></restricted-xml>");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
            assertTrue(PingManager.getInstanceFor(bystander).pingMyServer(), "other sessions unaffected");
        } finally {
            bystander.disconnect();
        }
    }

    @Test
    void rfc6120_11_processingInstructionIsRestrictedXml() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<?evil instruction?>");
            client.await("<restricted-xml");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }

    @Test
    void rfc6120_11_entityReferenceIsRejected() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<message to='bob@localhost'><body>&xxe;</body></message>");
            String got = client.await("</stream:error>");
            assertTrue(got.contains("restricted-xml") || got.contains("not-well-formed"), got);
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }

    @Test
    void rfc6120_13_12_oversizedStanzaIsPolicyViolationAndOthersKeepWorking() throws Exception {
        XMPPTCPConnection bystander = server.login("bob");
        try (RawClient client = boundClient("alice")) {
            String big = "x".repeat(300 * 1024);
            client.send("<message to='bob@localhost'><body>" + big + "</body></message>");
            client.await("<policy-violation");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
            assertTrue(PingManager.getInstanceFor(bystander).pingMyServer(), "other sessions unaffected");
        } finally {
            bystander.disconnect();
        }
    }

    @Test
    void oversizedInputBeforeAuthenticationHitsTheSmallerLimit() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            client.openStream().await("</stream:features>");
            client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls' junk='" + "y".repeat(64 * 1024) + "'/>");
            client.await("<policy-violation");
        }
    }

    @Test
    void malformedXmlIsNotWellFormed() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<message><body></message>");
            client.await("<not-well-formed");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }

    @Test
    void rfc6120_8_1_2_1_spoofedFromIsInvalidFrom() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<message from='bob@localhost/x' to='bob@localhost'><body>hi</body></message>");
            client.await("<invalid-from");
        }
    }

    @Test
    void rfc6120_8_4_unknownIqToServerIsServiceUnavailable() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<iq type='get' id='u1' to='localhost'><query xmlns='urn:example:unknown'/></iq>");
            String reply = client.await("</iq>");
            assertTrue(reply.contains("type=\"error\"") || reply.contains("type='error'"), reply);
            assertTrue(reply.contains("service-unavailable"), reply);
        }
    }

    @Test
    void rfc6121_appendixE_sessionEstablishmentAfterBindingSucceeds() throws Exception {
        // Advertised as <optional/>, but older clients (Strophe.js among them) still send it and need a result.
        try (RawClient client = boundClient("alice")) {
            client.send("<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
            String reply = client.await("</iq>");
            assertTrue(reply.contains("id=\"sess1\"") && reply.contains("type=\"result\""), reply);
            assertTrue(!reply.contains("error"), reply);
        }
    }

    @Test
    void rfc6120_8_2_3_aResultSentToTheServerIsNeverAnswered() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<iq type='result' id='push-ack'/>");
            client.send("<iq type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            String got = client.await("id=\"after\"");
            assertTrue(!got.contains("push-ack"), "no reply to a result: " + got);
        }
    }

    @Test
    void rfc6120_8_2_3_iqWithoutPayloadIsBadRequest() throws Exception {
        try (RawClient client = boundClient("alice")) {
            client.send("<iq type='get' id='e1' to='localhost'/>");
            String reply = client.await("</iq>");
            assertTrue(reply.contains("bad-request"), reply);
        }
    }

    @Test
    void rfc6120_4_9_3_wrongHostIsHostUnknown() throws Exception {
        try (RawClient client = new RawClient(server.server().c2sPort())) {
            client.send("<stream:stream to='example.org' version='1.0' xmlns='jabber:client' "
                    + "xmlns:stream='http://etherx.jabber.org/streams'>");
            client.await("<host-unknown");
            assertTrue(client.awaitClosed(Duration.ofSeconds(10)));
        }
    }

    @Test
    void rfc6120_7_7_2_2_sameResourceReplacesTheOlderSession() throws Exception {
        try (RawClient first = boundClient("alice"); RawClient second = boundClient("alice")) {
            first.await("<conflict xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"></conflict>");
            assertTrue(first.awaitClosed(Duration.ofSeconds(10)));
            second.send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            assertEquals(true, second.await("</iq>").contains("result"));
        }
    }
}
