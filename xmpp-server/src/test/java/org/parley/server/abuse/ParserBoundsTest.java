package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.junit.jupiter.api.Test;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;

/**
 * Issue 17, parser rows: a partial stanza costs memory in proportion to its bytes (the tree being built is
 * accounted, and thousands of tiny elements end the stream long before the byte limit), and text arriving in
 * many pieces is collected in linear time.
 */
class ParserBoundsTest {

    private static final byte[] HEADER = ("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams'>").getBytes(StandardCharsets.UTF_8);

    private static final class Collect implements XmlStreamListener {
        final List<Stanza> elements = new ArrayList<>();

        @Override
        public void streamOpened(Map<String, String> attributes) {
        }

        @Override
        public void element(Stanza element) {
            elements.add(element);
        }

        @Override
        public void streamClosed() {
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void manyTinyElementsEndTheStreamLongBeforeTheByteLimit() throws Exception {
        int limit = 16 * 1024; // the pre-authentication limit
        XmlStreamParser parser = XmlStreamParser.forStream(new Collect(), limit);
        parser.feed(HEADER, 0, HEADER.length);
        parser.feed(bytes("<message>"), 0, 9);
        byte[] tiny = bytes("<a/>");
        int fed = 0;
        StreamErrorException error = null;
        try {
            while (fed < limit) {
                parser.feed(tiny, 0, tiny.length);
                fed += tiny.length;
            }
        } catch (StreamErrorException e) {
            error = e;
        }
        assertTrue(error != null, "the unfinished tree must be refused");
        assertEquals(StreamErrorCondition.POLICY_VIOLATION, error.condition());
        assertTrue(error.getMessage().contains("memory"), error.getMessage());
        // At most the budget (12 bytes of heap per byte of limit, at least 64 KiB) at ~160 bytes per element.
        assertTrue(fed < limit, "refused after " + fed + " bytes, under the " + limit + " byte limit");
    }

    @Test
    void ordinaryStanzasNearTheLimitStillPass() throws Exception {
        Collect collect = new Collect();
        XmlStreamParser parser = XmlStreamParser.forStream(collect, 16 * 1024);
        parser.feed(HEADER, 0, HEADER.length);
        StringBuilder form = new StringBuilder("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                + "<x xmlns='jabber:x:data' type='submit'>");
        for (int i = 0; form.length() < 15 * 1024; i++) {
            form.append("<field var='field-").append(i).append("'><value>value number ").append(i)
                    .append("</value></field>");
        }
        byte[] stanza = bytes(form.append("</x></query></iq>").toString());
        parser.feed(stanza, 0, stanza.length);
        assertEquals(1, collect.elements.size());
    }

    @Test
    void textInManyPiecesIsCollectedInLinearTime() throws Exception {
        Collect collect = new Collect();
        XmlStreamParser parser = XmlStreamParser.forStream(collect, 1024 * 1024);
        parser.feed(HEADER, 0, HEADER.length);
        parser.feed(bytes("<message><body>"), 0, 15);
        int length = 250_000;
        byte[] one = bytes("x");
        long started = System.nanoTime();
        for (int i = 0; i < length; i++) {
            parser.feed(one, 0, 1); // one text event per byte: quadratic concatenation would copy ~31 GB
        }
        byte[] end = bytes("</body></message>");
        parser.feed(end, 0, end.length);
        long millis = (System.nanoTime() - started) / 1_000_000;
        Stanza message = collect.elements.get(0);
        String text = ((XMLText) message.getFirstInnerElement().getInnerFragments().get(0)).getText();
        assertEquals(length, text.length());
        assertEquals(1, message.getFirstInnerElement().getInnerFragments().size(), "one text node");
        assertTrue(millis < 5_000, "250 000 one-byte pieces took " + millis + " ms");
    }

    @Test
    void theSizeLimitStillHolds() throws Exception {
        XmlStreamParser parser = XmlStreamParser.forStream(new Collect(), 10_000);
        parser.feed(HEADER, 0, HEADER.length);
        byte[] big = bytes("<message><body>" + "y".repeat(20_000));
        StreamErrorException e = assertThrows(StreamErrorException.class, () -> parser.feed(big, 0, big.length));
        assertEquals(StreamErrorCondition.POLICY_VIOLATION, e.condition());
    }
}
