package org.parley.server.devicetokens;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.parley.server.storage.DocumentStore;

/**
 * Revocable per-device login tokens, so a browser (or any client) stays signed in without keeping the
 * password: issued after a login ({@link DeviceTokenModule}), presented with SASL {@code HT-SHA-256-NONE}
 * ({@link org.parley.server.sasl.TokenMechanism}), listed and revoked by the account's owner.
 *
 * <p>Only a SHA-256 of the value the client proves the token with is stored (plus the value the server
 * proves itself with), so a copy of the database does not let anyone log in. A token expires after
 * {@link #LIFETIME} without use; an account holds at most {@link #MAX_PER_ACCOUNT} (the least recently used
 * goes when another is issued). Kept as one small document per account in the {@link DocumentStore}, which
 * an account's deletion already clears, so no schema change is needed.
 */
public final class DeviceTokens {

    /** A token unused for this long stops working. */
    public static final Duration LIFETIME = Duration.ofDays(30);
    /** Tokens (devices) per account. */
    public static final int MAX_PER_ACCOUNT = 10;
    /** Longest device label kept, in characters. */
    public static final int MAX_NAME = 100;
    /** DocumentStore key: no space, so XEP-0049 private XML ("element namespace") can never address it. */
    static final String KEY = "parley:device-tokens";

    /** One device's token as stored (never the token itself). */
    public record Device(String id, String name, Instant created, Instant lastUsed, String initiatorHash,
                         String responder) {

        public Instant expires() {
            return lastUsed.plus(LIFETIME);
        }

        String line() {
            return String.join("\t", id, Base64.getEncoder().encodeToString(name.getBytes(StandardCharsets.UTF_8)),
                    created.toString(), lastUsed.toString(), initiatorHash, responder);
        }

        static Device parse(String line) {
            String[] f = line.split("\t", -1);
            return new Device(f[0], new String(Base64.getDecoder().decode(f[1]), StandardCharsets.UTF_8),
                    Instant.parse(f[2]), Instant.parse(f[3]), f[4], f[5]);
        }
    }

    /** A newly issued token: the secret is returned once, to the client, and never stored. */
    public record Issued(Device device, String secret) {
    }

    private final DocumentStore documents;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /** Read-modify-write of one account's document is serialised per account. */
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    public DeviceTokens(DocumentStore documents, Clock clock) {
        this.documents = Objects.requireNonNull(documents, "documents");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Issues a token for a device of {@code username}, labelled {@code name} (cut to {@link #MAX_NAME}). */
    public Issued issue(String username, String name) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] id = new byte[9];
        random.nextBytes(id);
        Instant now = clock.instant();
        String label = name == null || name.isBlank() ? "device" : name.strip();
        if (label.length() > MAX_NAME) {
            label = label.substring(0, MAX_NAME);
        }
        Device device = new Device(Base64.getUrlEncoder().withoutPadding().encodeToString(id), label, now, now,
                b64(sha256(hmac(secret, "Initiator"))), b64(hmac(secret, "Responder")));
        synchronized (lock(username)) {
            List<Device> devices = live(username);
            devices.sort(Comparator.comparing(Device::lastUsed));
            while (devices.size() >= MAX_PER_ACCOUNT) {
                devices.remove(0);
            }
            devices.add(device);
            save(username, devices);
        }
        return new Issued(device, secret);
    }

    /** The account's unexpired tokens, most recently used first. */
    public List<Device> list(String username) {
        synchronized (lock(username)) {
            List<Device> devices = live(username);
            devices.sort(Comparator.comparing(Device::lastUsed).reversed());
            return List.copyOf(devices);
        }
    }

    /** Revokes one token; false when the account has no such token. */
    public boolean revoke(String username, String id) {
        synchronized (lock(username)) {
            List<Device> devices = live(username);
            boolean removed = devices.removeIf(d -> d.id().equals(id));
            if (removed) {
                save(username, devices);
            }
            return removed;
        }
    }

    /**
     * Revokes every token of the account: a changed password (the owner's or an admin's reset) must also
     * sign out the devices the old one let in. Returns how many went.
     */
    public int revokeAll(String username) {
        synchronized (lock(username)) {
            int count = live(username).size();
            if (count > 0) {
                save(username, new ArrayList<>());
            }
            return count;
        }
    }

    /** For {@link org.parley.server.sasl.TokenLookup}: checks a presented token and renews its lifetime. */
    public Optional<byte[]> use(String username, byte[] initiator) {
        String hash = b64(sha256(initiator));
        synchronized (lock(username)) {
            List<Device> devices = live(username);
            for (int i = 0; i < devices.size(); i++) {
                Device d = devices.get(i);
                if (MessageDigest.isEqual(d.initiatorHash().getBytes(StandardCharsets.US_ASCII),
                        hash.getBytes(StandardCharsets.US_ASCII))) {
                    devices.set(i, new Device(d.id(), d.name(), d.created(), clock.instant(), d.initiatorHash(),
                            d.responder()));
                    save(username, devices);
                    return Optional.of(Base64.getDecoder().decode(d.responder()));
                }
            }
            return Optional.empty();
        }
    }

    private Object lock(String username) {
        return locks.computeIfAbsent(username, k -> new Object());
    }

    /** The stored tokens minus the expired ones (a damaged line is dropped rather than failing logins). */
    private List<Device> live(String username) {
        List<Device> devices = new ArrayList<>();
        Instant now = clock.instant();
        for (String line : documents.get(username, KEY).orElse("").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                Device d = Device.parse(line);
                if (d.expires().isAfter(now)) {
                    devices.add(d);
                }
            } catch (RuntimeException e) {
                // skip
            }
        }
        return devices;
    }

    private void save(String username, List<Device> devices) {
        if (devices.isEmpty()) {
            documents.delete(username, KEY);
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Device d : devices) {
            text.append(d.line()).append('\n');
        }
        documents.put(username, KEY, text.toString());
    }

    /** HMAC-SHA-256 keyed with the token's UTF-8 bytes, as XEP-0484's HT mechanisms define. */
    static byte[] hmac(String token, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static String b64(byte[] data) {
        return Base64.getEncoder().encodeToString(data);
    }
}
