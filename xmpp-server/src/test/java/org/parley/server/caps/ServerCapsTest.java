package org.parley.server.caps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.caps.CapsVersionAndHash;
import org.jivesoftware.smackx.caps.EntityCapsManager;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.disco.packet.DiscoverInfoView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** The server's entity capabilities in its stream features (XEP-0115 §6.3). */
class ServerCapsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    /** The {@code ver} in the features is the hash of the disco#info the server answers, as Smack computes it. */
    @Test
    void streamFeaturesCarryTheHashOfTheServersDiscoInfo() throws Exception {
        String features;
        try (RawClient raw = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            features = raw.openStream().await("</stream:features>");
        }
        Matcher c = Pattern.compile("<c xmlns=.http://jabber.org/protocol/caps. hash=.sha-1. node=.([^'\"]+). "
                + "ver=.([^'\"]+).(/>|></c>)").matcher(features);
        assertTrue(c.find(), "a <c/> stream feature: " + features);
        String ver = c.group(2);

        XMPPTCPConnection alice = server.login("alice");
        try {
            DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(JidCreate.from("localhost"));
            // Smack's own implementation of XEP-0115 §5 (package-private there): an independent check.
            Method generate = EntityCapsManager.class.getDeclaredMethod("generateVerificationString",
                    DiscoverInfoView.class, String.class);
            generate.setAccessible(true);
            CapsVersionAndHash expected = (CapsVersionAndHash) generate.invoke(null, info, "sha-1");
            assertEquals(expected.version, ver, "disco#info: " + info.toXML() + "\nfeatures: " + features);
        } finally {
            alice.disconnect();
        }
    }
}
