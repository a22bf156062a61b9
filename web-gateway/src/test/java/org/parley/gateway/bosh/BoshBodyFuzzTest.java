package org.parley.gateway.bosh;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of the BOSH request parser (XEP-0124 {@code <body/>}): any request body is
 * either parsed (attributes, payloads, or a payload error the session turns into a stream error) or refused as
 * {@link BoshBody.Malformed} (a 400), never another exception. Regression inputs live under
 * {@code src/test/resources/org/parley/gateway/bosh/BoshBodyFuzzTestInputs/}; the build fuzzes it for
 * {@code maxDuration} in web-gateway's {@code fuzz} surefire execution (see README "Limits and abuse protection").
 */
class BoshBodyFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void bodyParserParsesOrRefuses(byte[] request) {
        try {
            BoshBody body = BoshBody.parse(request, 4096, sid -> 2048);
            body.rid();
            body.ack();
            body.pause();
            body.isRestart();
            body.isEmpty();
        } catch (BoshBody.Malformed refused) {
            // answered with 400 Bad Request
        }
    }
}
