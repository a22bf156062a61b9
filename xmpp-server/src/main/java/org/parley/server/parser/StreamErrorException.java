package org.parley.server.parser;

/** Raised when the peer's input must end the stream with a stream error (RFC 6120 §4.9). */
public final class StreamErrorException extends Exception {

    private static final long serialVersionUID = 1L;

    private final StreamErrorCondition condition;

    public StreamErrorException(StreamErrorCondition condition, String text) {
        super(text, null, false, false);
        this.condition = condition;
    }

    public StreamErrorCondition condition() {
        return condition;
    }
}
