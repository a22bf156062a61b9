package org.parley.server.caps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.RecordingStanzaRelay;
import org.apache.vysper.xmpp.modules.servicediscovery.ServiceDiscoveryModule;
import org.apache.vysper.xmpp.server.DefaultServerRuntimeContext;
import org.junit.jupiter.api.Test;
import org.parley.server.im.ServerIdentityModule;

/**
 * The server's caps {@code ver} (XEP-0115 §6.3) is hashed again only when the disco#info changes, and then
 * always: a setting behind a feature (in-band registration switched at run time) and a module added after
 * start both change it, and switching back gives the first hash again.
 */
class ServerCapsMemoTest {

    @Test
    void verFollowsEveryChangeOfTheDiscoInfo() throws Exception {
        DefaultServerRuntimeContext runtime = new DefaultServerRuntimeContext(EntityImpl.parse("example.org"),
                new RecordingStanzaRelay());
        runtime.addModule(new ServiceDiscoveryModule());
        AtomicBoolean registration = new AtomicBoolean(false);
        runtime.addModule(new ServerIdentityModule(registration::get));
        ServerCaps caps = new ServerCaps(runtime);

        String closed = caps.ver();
        assertNotNull(closed);
        assertEquals(closed, caps.ver(), "the same disco#info, the same ver");

        registration.set(true); // XEP-0077's feature appears in disco#info
        String open = caps.ver();
        assertNotEquals(closed, open, "registration switched on changes the disco#info and so the ver");

        registration.set(false);
        assertEquals(closed, caps.ver(), "back to the first disco#info, back to its ver");

        runtime.addModule(new ServerIdentityModule(true)); // a module added at run time: more features
        assertNotEquals(closed, caps.ver(), "a module added after start changes the ver");
    }
}
