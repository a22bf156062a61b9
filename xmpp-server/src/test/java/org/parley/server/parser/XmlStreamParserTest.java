package org.parley.server.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.junit.jupiter.api.Test;

/** The TCP stream parser, in particular dropping its reader between elements and resuming with a fresh one. */
class XmlStreamParserTest {

    private static final String HEADER = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' "
            + "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='urn:example:x'>";
    private static final String STANZAS = "<message to='a@localhost' id='1'><body>one &amp; two</body></message>"
            + "\n <iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq>  "
            + "<presence><x:thing x:attr='v'>text</x:thing></presence>"
            + "<message id='3' xmlns:y='urn:example:y'><y:z/><body>caf\u00e9 \u2603</body></message> ";

    private static final class Recorder implements XmlStreamListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void streamOpened(Map<String, String> attributes) {
            events.add("open " + attributes.get("to"));
        }

        @Override
        public void element(Stanza element) {
            events.add(new Renderer(element).getComplete());
        }

        @Override
        public void streamClosed() {
            events.add("close");
        }
    }

    private static List<String> parse(List<byte[]> chunks) throws StreamErrorException {
        Recorder recorder = new Recorder();
        XmlStreamParser parser = XmlStreamParser.forStream(recorder, 10_000);
        for (byte[] chunk : chunks) {
            parser.feed(chunk, 0, chunk.length);
        }
        return recorder.events;
    }

    private static List<byte[]> split(byte[] all, Random random, int maxChunk) {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < all.length; ) {
            int n = Math.min(all.length - i, 1 + random.nextInt(maxChunk));
            byte[] chunk = new byte[n];
            System.arraycopy(all, i, chunk, 0, n);
            chunks.add(chunk);
            i += n;
        }
        return chunks;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anyChunkingGivesTheSameElements() throws Exception {
        byte[] all = utf8(HEADER + STANZAS + STANZAS + "</stream:stream>");
        List<String> whole = parse(List.of(all));
        assertEquals(10, whole.size(), whole.toString());
        assertEquals("open localhost", whole.get(0));
        assertEquals("close", whole.get(9));
        assertTrue(whole.get(3).contains("urn:example:x"), whole.get(3)); // the header's prefix, on a stanza
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            assertEquals(whole, parse(split(all, random, 1 + round % 40)), "round " + round);
        }
        // one stanza per chunk: the reader is dropped and recreated between each
        List<byte[]> perStanza = new ArrayList<>();
        perStanza.add(utf8(HEADER));
        for (String stanza : STANZAS.split("(?<=</message>)|(?<=</iq>)|(?<=</presence>)")) {
            perStanza.add(utf8(stanza));
        }
        perStanza.add(utf8("</stream:stream>"));
        List<String> events = parse(perStanza);
        assertEquals(whole.subList(0, 5), events.subList(0, 5));
        assertEquals("close", events.get(events.size() - 1));
    }

    @Test
    void anIdleStreamHoldsNoReader() throws Exception {
        Recorder recorder = new Recorder();
        XmlStreamParser parser = XmlStreamParser.forStream(recorder, 10_000);
        feed(parser, HEADER);
        feed(parser, "<presence/>");
        assertFalse(parser.holdsReader(), "dropped after a complete element");
        feed(parser, " ");
        assertFalse(parser.holdsReader(), "a whitespace keepalive does not bring it back for good");
        feed(parser, "<message id='a'><bo");
        assertTrue(parser.holdsReader(), "kept while an element is incomplete");
        feed(parser, "dy>hi</body></message><pres");
        assertTrue(parser.holdsReader(), "kept while the next element has begun");
        feed(parser, "ence/>\n");
        assertFalse(parser.holdsReader());
        feed(parser, "</stream:stream>");
        assertEquals(List.of("open localhost", "<presence></presence>",
                "<message id=\"a\"><body>hi</body></message>", "<presence></presence>", "close"),
                recorder.events.stream().map(e -> e.replace(" xmlns=\"jabber:client\"", "")).toList());
    }

    @Test
    void rulesStillApplyAfterTheReaderWasDropped() throws Exception {
        XmlStreamParser parser = XmlStreamParser.forStream(new Recorder(), 100);
        feed(parser, HEADER);
        feed(parser, "<presence/>");
        StreamErrorException tooLarge = assertThrows(StreamErrorException.class,
                () -> feed(parser, "<message><body>" + "x".repeat(200) + "</body></message>"));
        assertEquals(StreamErrorCondition.POLICY_VIOLATION, tooLarge.condition());

        XmlStreamParser second = XmlStreamParser.forStream(new Recorder(), 100);
        feed(second, HEADER);
        feed(second, "<presence/>");
        feed(second, "<message><body>" + "x".repeat(60)); // within the limit so far
        assertThrows(StreamErrorException.class, () -> feed(second, "x".repeat(60) + "</body></message>"));

        XmlStreamParser third = XmlStreamParser.forStream(new Recorder(), 1000);
        feed(third, HEADER);
        feed(third, "<presence/>");
        assertEquals(StreamErrorCondition.RESTRICTED_XML,
                assertThrows(StreamErrorException.class, () -> feed(third, "<!-- no -->")).condition());

        XmlStreamParser fourth = XmlStreamParser.forStream(new Recorder(), 1000);
        feed(fourth, HEADER);
        feed(fourth, "<presence/>");
        assertFalse(fourth.holdsReader());
        assertEquals(StreamErrorCondition.NOT_WELL_FORMED,
                assertThrows(StreamErrorException.class, () -> feed(fourth, "<a></b><c/>")).condition());

        XmlStreamParser kept = XmlStreamParser.forStream(new Recorder(), 1000);
        feed(kept, HEADER); // the same input in one chunk: the reader is never dropped
        assertEquals(StreamErrorCondition.NOT_WELL_FORMED,
                assertThrows(StreamErrorException.class, () -> feed(kept, "<presence/><a></b><c/>")).condition());

    }

    private static void feed(XmlStreamParser parser, String xml) throws StreamErrorException {
        byte[] bytes = utf8(xml);
        parser.feed(bytes, 0, bytes.length);
    }
}
