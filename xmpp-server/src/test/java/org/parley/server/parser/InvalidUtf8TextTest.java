package org.parley.server.parser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.vysper.xmpp.stanza.Stanza;
import org.junit.jupiter.api.Test;

/**
 * RFC 6120 §11.6: invalid UTF-8 is a {@code <not-well-formed/>} stream error, also inside character data, which
 * Aalto decodes lazily and reports unchecked (the RFC 7395 frames fuzzer found it reaching the transport as a
 * raw exception).
 */
class InvalidUtf8TextTest {

    private static final XmlStreamListener IGNORE = new XmlStreamListener() {
        @Override
        public void streamOpened(Map<String, String> attributes) {
        }

        @Override
        public void element(Stanza element) {
            element.getInnerFragments();
        }

        @Override
        public void streamClosed() {
        }
    };

    @Test
    void rfc6120_11_6_invalidUtf8InTextIsNotWellFormed() {
        byte[] head = "<message xmlns='jabber:client'><body>CCCC".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "CCCC</body></message>".getBytes(StandardCharsets.US_ASCII);
        byte[] input = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, input, 0, head.length);
        input[head.length] = (byte) 0xC3; // a lead byte followed by 'C', not a continuation byte
        System.arraycopy(tail, 0, input, head.length + 1, tail.length);
        StreamErrorException refused = assertThrows(StreamErrorException.class, () -> {
            XmlStreamParser parser = XmlStreamParser.forFrames(IGNORE, 4096);
            parser.feed(input, 0, input.length);
            parser.endOfInput();
        });
        assertEquals(StreamErrorCondition.NOT_WELL_FORMED, refused.condition());
    }
}
