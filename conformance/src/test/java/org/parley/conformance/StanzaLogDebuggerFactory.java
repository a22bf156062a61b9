package org.parley.conformance;

import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.debugger.JulDebugger;
import org.jivesoftware.smack.debugger.SmackDebugger;
import org.jivesoftware.smack.debugger.SmackDebuggerFactory;

/**
 * With {@code -Dsint.debug=true}: every stanza every SINT connection sends or receives goes to
 * {@code target/sint.log} (through Smack's {@link JulDebugger}, logged at FINE).
 */
public final class StanzaLogDebuggerFactory implements SmackDebuggerFactory {

    static final String LOGGER = JulDebugger.class.getName();

    @Override
    public SmackDebugger create(XMPPConnection connection) {
        return new JulDebugger(connection);
    }
}
