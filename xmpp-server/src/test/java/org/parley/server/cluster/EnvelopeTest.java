package org.parley.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.junit.jupiter.api.Test;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.Redelivery;
import org.parley.server.routing.RoutedStanza;

/**
 * The byte form a stanza takes between cluster nodes (issue 19): what one node encodes the other decodes, and
 * bytes that are not an envelope fail as IllegalArgumentException only, which the receiving task logs as one
 * line and drops (ParleyCluster.received), never anything that would escape onto a worker or Hazelcast thread.
 */
class EnvelopeTest {

    private static final String XML = "<message xmlns=\"jabber:client\" from=\"dave@localhost/desk\""
            + " to=\"erin@localhost\" type=\"chat\"><body>m0</body></message>";

    @Test
    void whatOneNodeEncodesTheOtherDecodes() {
        RoutedStanza routed = new RoutedStanza(StanzaParsing.parse(XML), EntityImpl.parseUnchecked("dave@localhost/desk"),
                EntityImpl.parseUnchecked("erin@localhost"), null);
        byte[] bytes = ParleyCluster.Envelope.encode(routed, EntityImpl.parseUnchecked("erin@localhost/phone"), true);
        assertTrue(ParleyCluster.Envelope.answerFailures(bytes));
        RoutedStanza back = ParleyCluster.Envelope.decode(bytes);
        assertEquals("dave@localhost/desk", back.from().getFullQualifiedName());
        assertEquals("erin@localhost/phone", back.to().getFullQualifiedName(), "the receiver the sender chose");
        assertEquals(StanzaSerializer.toXml(routed.stanza()), StanzaSerializer.toXml(back.stanza()));
        assertFalse(back.stanza() instanceof Redelivery);
        assertNull(back.origin(), "the origin session stays on its node");
    }

    @Test
    void aServerMadeRedeliveryKeepsItsMarkAndNoSender() {
        RoutedStanza routed = new RoutedStanza(new Redelivery(StanzaParsing.parse(XML)), null,
                EntityImpl.parseUnchecked("erin@localhost"), null);
        byte[] bytes = ParleyCluster.Envelope.encode(routed, routed.to(), false);
        assertFalse(ParleyCluster.Envelope.answerFailures(bytes));
        RoutedStanza back = ParleyCluster.Envelope.decode(bytes);
        assertInstanceOf(Redelivery.class, back.stanza());
        assertNull(back.from());
    }

    @Test
    void bytesThatAreNoEnvelopeFailAsIllegalArgument() {
        byte[][] malformed = {
                new byte[0],
                new byte[] {0},
                bytes("\u0001dave@localhost"), // no end of 'from'
                bytes("\u0000dave@localhost\u0000erin@localhost"), // no end of 'to'
                bytes("\u0000\u0000\u0000" + XML), // empty 'to'
                bytes("\u0000dave@@localhost\u0000erin@localhost\u0000" + XML), // malformed 'from'
                bytes("\u0000\u0000erin@localhost\u0000<message><body>"), // truncated stanza
                bytes("\u0000\u0000erin@localhost\u0000" + XML + XML), // two stanzas
                bytes("\u0000\u0000erin@localhost\u0000not xml"),
        };
        for (byte[] b : malformed) {
            assertThrows(IllegalArgumentException.class, () -> ParleyCluster.Envelope.decode(b),
                    () -> new String(b, StandardCharsets.UTF_8));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
