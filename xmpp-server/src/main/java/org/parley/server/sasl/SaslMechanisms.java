package org.parley.server.sasl;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The mechanisms Parley offers (RFC 6120 §6.4.1), strongest first so clients that pick the first one they
 * support choose well. PLAIN is listed only when the caller allows it (i.e. over TLS), and {@link #create}
 * refuses it otherwise, so a client cannot select an unadvertised mechanism.
 */
public final class SaslMechanisms {

    private final CredentialLookup lookup;
    private final String domain;
    private final int iterations;
    private final TokenLookup tokens;

    /**
     * @param lookup     where verifiers come from
     * @param domain     the served XMPP domain
     * @param iterations the iteration count new accounts get; shown to unknown users so they look real
     * @param tokens     per-device tokens for {@link TokenMechanism}; {@link TokenLookup#NONE} to not offer it
     */
    public SaslMechanisms(CredentialLookup lookup, String domain, int iterations, TokenLookup tokens) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.domain = Objects.requireNonNull(domain, "domain");
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        this.iterations = iterations;
    }

    /** Without device tokens. */
    public SaslMechanisms(CredentialLookup lookup, String domain, int iterations) {
        this(lookup, domain, iterations, TokenLookup.NONE);
    }

    /** With {@link Scram#DEFAULT_ITERATIONS}. */
    public SaslMechanisms(CredentialLookup lookup, String domain) {
        this(lookup, domain, Scram.DEFAULT_ITERATIONS);
    }

    /** The names to advertise in {@code <mechanisms/>}, strongest first. */
    public List<String> names(boolean plainAllowed) {
        List<String> names = new ArrayList<>(List.of(ScramHash.SHA_256.mechanism(), ScramHash.SHA_1.mechanism()));
        if (plainAllowed && tokens != TokenLookup.NONE) {
            names.add(TokenMechanism.NAME);
        }
        if (plainAllowed) {
            names.add(PlainMechanism.NAME);
        }
        return List.copyOf(names);
    }

    /**
     * A fresh mechanism for one attempt; empty when the name is not offered (answer with
     * {@link SaslFailure#INVALID_MECHANISM}). Names are matched exactly, as RFC 4422 §3.1 makes them upper case.
     */
    public Optional<SaslMechanism> create(String name, boolean plainAllowed) {
        if (ScramHash.SHA_256.mechanism().equals(name)) {
            return Optional.of(new ScramMechanism(ScramHash.SHA_256, lookup, domain, iterations));
        }
        if (ScramHash.SHA_1.mechanism().equals(name)) {
            return Optional.of(new ScramMechanism(ScramHash.SHA_1, lookup, domain, iterations));
        }
        if (TokenMechanism.NAME.equals(name) && plainAllowed && tokens != TokenLookup.NONE) {
            return Optional.of(new TokenMechanism(tokens));
        }
        if (PlainMechanism.NAME.equals(name) && plainAllowed) {
            return Optional.of(new PlainMechanism(lookup, domain, iterations));
        }
        return Optional.empty();
    }
}
