package org.parley.server.stream;

import java.util.function.Consumer;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.SessionContext;
import org.parley.server.config.ServerSettings;
import org.parley.server.guard.Guard;
import org.parley.server.metrics.ServerMetrics;
import org.parley.server.register.Registration;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.sasl.SaslMechanisms;
import org.parley.server.sm.Resumption;

/**
 * What every {@link XmppStream} shares: the server's domain and limits, SASL, registration, the session
 * registry and the dispatcher into Vysper's handlers.
 *
 * @param onResourceConflict ends a session whose resource a newer session takes over (RFC 6120 §7.7.2.2)
 * @param onAccountRemoved   ends every session of an account that was just deleted (XEP-0077 §3.2)
 * @param resumption         resumable streams (XEP-0198 §5)
 * @param durableWrites      what a stream waits for before it acknowledges stanzas (XEP-0198 §4)
 * @param metrics            counters of logins and stanzas (issue 20's /metrics)
 * @param guard              deadlines, per-address admission, authentication throttle and rates (issue 17)
 */
public record StreamEnvironment(String domain, boolean starttlsRequired, ServerSettings.Limits limits,
                                SaslMechanisms sasl, Registration registration, SessionRegistry registry,
                                StanzaDispatcher dispatcher, Consumer<SessionContext> onResourceConflict,
                                Consumer<Entity> onAccountRemoved, Resumption resumption,
                                DurableWrites durableWrites, ServerMetrics metrics, Guard guard) {
}
