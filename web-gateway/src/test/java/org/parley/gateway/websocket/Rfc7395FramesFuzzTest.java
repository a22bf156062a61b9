package org.parley.gateway.websocket;

import java.util.Map;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;

/**
 * Coverage-guided fuzzing (Jazzer) of RFC 7395 framing: any WebSocket text message is delivered as an open, a
 * close or elements, or refused with a {@link StreamErrorException} (a stream error for the client), never
 * another exception. Regression inputs under {@code src/test/resources/org/parley/gateway/websocket/
 * Rfc7395FramesFuzzTestInputs/}; fuzzed for {@code maxDuration} in every build's {@code fuzz} execution.
 */
class Rfc7395FramesFuzzTest {

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

    @FuzzTest(maxDuration = "3s")
    void framesAreDeliveredOrRefused(byte[] message) {
        try {
            Rfc7395Frames.deliver(message, 4096, IGNORE);
        } catch (StreamErrorException refused) {
            // the stream ends with this error
        }
    }
}
