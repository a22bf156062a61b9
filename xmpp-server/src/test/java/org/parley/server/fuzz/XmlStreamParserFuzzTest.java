package org.parley.server.fuzz;

import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;

/**
 * Coverage-guided fuzzing (Jazzer) of the XML stream parser, the first thing every byte from a client meets:
 * whatever the input, in whatever chunks, the parser reports events or a {@link StreamErrorException} (which
 * the stream turns into a stream error), never any other exception, and never holds more than its limits.
 *
 * <p>In a normal test run this replays the inputs under {@code src/test/resources/org/parley/server/fuzz/
 * XmlStreamParserFuzzTestInputs/} (regression mode, milliseconds). To fuzz: {@code JAZZER_FUZZ=1 ./mvnw -pl
 * xmpp-server test -Dtest=XmlStreamParserFuzzTest} (stops after {@code maxDuration}: every build fuzzes this
 * long in the module's {@code fuzz} surefire execution; raise it for a longer run). A crash is written as a new
 * input file there and from then on replayed as a regression test.
 */
class XmlStreamParserFuzzTest {

    private static final byte[] HEADER = ("<stream:stream xmlns='jabber:client' "
            + "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static final XmlStreamListener IGNORE = new XmlStreamListener() {
        @Override
        public void streamOpened(Map<String, String> attributes) {
        }

        @Override
        public void element(Stanza element) {
            element.getInnerFragments(); // touch the tree
        }

        @Override
        public void streamClosed() {
        }
    };

    @FuzzTest(maxDuration = "3s")
    void streamParserOnlyReportsEventsOrStreamErrors(FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 2);
        XmlStreamParser parser = switch (mode) {
            case 0 -> XmlStreamParser.forStream(IGNORE, 4096);
            case 1 -> XmlStreamParser.forWrapper(IGNORE, 4096, "http://jabber.org/protocol/httpbind", "body");
            default -> XmlStreamParser.forFrames(IGNORE, 4096);
        };
        try {
            if (mode == 0 && data.consumeBoolean()) {
                parser.feed(HEADER, 0, HEADER.length);
            }
            while (data.remainingBytes() > 0) {
                byte[] chunk = data.consumeBytes(data.consumeInt(1, 512));
                parser.feed(chunk, 0, chunk.length);
            }
            if (mode != 0) {
                parser.endOfInput();
            }
        } catch (StreamErrorException expected) {
            // the stream would end with this error: the correct outcome for bad input
        }
    }
}
