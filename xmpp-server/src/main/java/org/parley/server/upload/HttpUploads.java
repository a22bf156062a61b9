package org.parley.server.upload;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.parley.server.config.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of HTTP File Upload (XEP-0363), shared by the XMPP side ({@link UploadComponent}: slot
 * requests) and the HTTP side (the web gateway: PUT and GET).
 *
 * <p>A slot is a fresh random id (128 bits from {@link SecureRandom}, so URLs cannot be guessed, §8) and a
 * token in the PUT URL's query: the expiry, size, content type and uploader, signed with HMAC-SHA256 under
 * a key kept in the data directory. No slot state is held in memory, so slots survive a restart and cannot
 * be exhausted; a PUT is accepted only with a valid signature, before the expiry, with exactly the signed
 * size and content type (§6), and only once (the id must not be stored or in flight yet).
 */
public final class HttpUploads {

    /** XEP-0363's namespace. */
    public static final String NS = "urn:xmpp:http:upload:0";
    /** The gateway path below which uploads are served. */
    public static final String PATH = "/upload";

    private static final Logger LOG = LoggerFactory.getLogger(HttpUploads.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{22}");
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\\s*;.*)?");
    private static final int MAX_FILENAME_BYTES = 255;
    private static final int MAX_TYPE_LENGTH = 255;
    private static final String OCTET_STREAM = "application/octet-stream";

    private final ServerSettings.Upload settings;
    private final FileStore store;
    private final byte[] key;
    /** The signing key in use: this node's {@link #key}, or the cluster's once {@link #shareKey}d (issue 19). */
    private volatile java.util.function.Supplier<byte[]> signingKey;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /** Slots whose PUT is running: a second PUT to one of them is refused. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Bytes of running PUTs per owner, counted against the quota with what is stored. */
    private final Map<String, Long> reserved = new ConcurrentHashMap<>();
    private volatile URI baseUrl;

    public HttpUploads(ServerSettings.Upload settings, FileStore store, byte[] key, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.key = key.clone();
        this.signingKey = () -> this.key;
        this.clock = clock;
        this.baseUrl = settings.publicUrl();
    }

    /** The data-directory store and a signing key kept beside it ({@code <root>/slot-key}, created once). */
    public static HttpUploads inDirectory(ServerSettings.Upload settings, Path root, Clock clock) throws IOException {
        Files.createDirectories(root);
        Path keyFile = root.resolve("slot-key");
        byte[] key;
        if (Files.exists(keyFile)) {
            key = Files.readAllBytes(keyFile);
        } else {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.write(keyFile, key, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
        }
        if (key.length < 32) {
            throw new IOException(keyFile + " is damaged (shorter than 32 bytes); delete it to make a new one");
        }
        return new HttpUploads(settings, new DirectoryFileStore(root), key, clock);
    }

    /**
     * Signs and checks slots from now on with the key {@code shared} supplies (asked at every slot and PUT; a
     * cluster's key, so a slot issued by one node is accepted by every node's gateway).
     */
    public void shareKey(java.util.function.Supplier<byte[]> shared) {
        this.signingKey = shared;
    }

    /** This node's own key (from its data directory): what it offers a cluster that has none yet. Never logged. */
    public byte[] localKey() {
        return key.clone();
    }

    /** Told the size of each file stored (metrics: parley_upload_bytes_total). */
    private volatile java.util.function.LongConsumer uploaded = size -> { };

    public void countUploads(java.util.function.LongConsumer counter) {
        this.uploaded = counter;
    }

    public ServerSettings.Upload settings() {
        return settings;
    }

    public FileStore store() {
        return store;
    }

    /**
     * Where the web gateway serves {@link #PATH}, used when {@code upload.public-url} is not set; the gateway
     * calls this once it knows its port.
     */
    public void gatewayAt(URI gatewayUpload) {
        if (settings.publicUrl() == null) {
            this.baseUrl = gatewayUpload;
        }
    }

    /** The URL prefix of every slot, or null while no gateway is known. */
    public URI baseUrl() {
        return baseUrl;
    }

    // ---- slot requests (XEP-0363 §4, §5) ----

    /** Why a slot is refused, with the stanza error condition XEP-0363 §5 names. */
    public enum Refusal { BAD_REQUEST, FILE_TOO_LARGE, QUOTA, NOT_ALLOWED, UNAVAILABLE }

    /** A slot, or the reason there is none ({@code text} for the error's text). */
    public record SlotResult(URI put, URI get, Refusal refusal, String text) {
        static SlotResult refused(Refusal refusal, String text) {
            return new SlotResult(null, null, refusal, text);
        }
    }

    /**
     * A slot for {@code owner} (a local user's bare JID): fails with {@link Refusal#BAD_REQUEST} for a missing
     * or unusable filename, size or content type, {@link Refusal#FILE_TOO_LARGE} above
     * {@code upload.max-file-size} and {@link Refusal#QUOTA} when the user's stored files plus this one would
     * exceed {@code upload.quota}.
     */
    public SlotResult requestSlot(String owner, String filename, String sizeText, String contentType) {
        URI base = baseUrl;
        if (base == null) {
            return SlotResult.refused(Refusal.UNAVAILABLE,
                    "no HTTP listener for uploads (http.port, upload.public-url)");
        }
        String name = filename(filename);
        if (name == null) {
            return SlotResult.refused(Refusal.BAD_REQUEST, "a filename of 1-" + MAX_FILENAME_BYTES + " bytes is required");
        }
        long size;
        try {
            size = sizeText == null ? -1 : Long.parseLong(sizeText.strip());
        } catch (NumberFormatException e) {
            size = -1;
        }
        if (size < 0) {
            return SlotResult.refused(Refusal.BAD_REQUEST, "a size in bytes (a whole number, 0 or more) is required");
        }
        String type = contentType == null || contentType.isBlank() ? "" : contentType.strip();
        if (!type.isEmpty() && (type.length() > MAX_TYPE_LENGTH || !MEDIA_TYPE.matcher(type).matches()
                || type.chars().anyMatch(c -> c < 0x20 || c > 0x7e))) {
            return SlotResult.refused(Refusal.BAD_REQUEST, "content-type is not a media type such as image/jpeg");
        }
        if (size > settings.maxFileSize()) {
            return SlotResult.refused(Refusal.FILE_TOO_LARGE,
                    "File too large. The maximum file size is " + settings.maxFileSize() + " bytes");
        }
        if (settings.quota() > 0) {
            long used;
            try {
                used = store.usage(owner) + reserved.getOrDefault(owner, 0L);
            } catch (IOException e) {
                LOG.warn("upload: cannot measure the files of {}: {}", owner, e.toString());
                return SlotResult.refused(Refusal.UNAVAILABLE, "the file store is not available");
            }
            if (used + size > settings.quota()) {
                return SlotResult.refused(Refusal.QUOTA, "Quota reached: " + used + " of " + settings.quota()
                        + " bytes are in use; delete files or wait for older ones to expire");
            }
        }
        String id = newId();
        long expiry = clock.instant().plus(settings.slotExpiry()).getEpochSecond();
        String payload = expiry + "\n" + size + "\n" + type + "\n" + owner;
        String token = b64(payload.getBytes(StandardCharsets.UTF_8)) + "." + b64(mac(id, name, payload));
        String path = base.toString() + "/" + id + "/" + encodePathSegment(name);
        return new SlotResult(URI.create(path + "?token=" + token), URI.create(path), null, null);
    }

    /** The filename a slot is made for: path separators and characters URLs make ambiguous replaced. */
    static String filename(String requested) {
        if (requested == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        requested.strip().codePoints().forEach(c -> {
            boolean unsafe = c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '%' || c == ';' || c == '?'
                    || c == '#' || Character.getType(c) == Character.FORMAT;
            b.appendCodePoint(unsafe ? '_' : c);
        });
        String name = b.toString();
        if (name.equals(".") || name.equals("..")) {
            name = "_";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        return name.isEmpty() || bytes > MAX_FILENAME_BYTES ? null : name;
    }

    private String newId() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return b64(bytes);
    }

    // ---- PUT (XEP-0363 §6) ----

    /** The HTTP answer to a PUT: a status code and a one-line reason for errors. */
    public record PutResult(int status, String message) {
    }

    /**
     * Checks and stores one PUT to {@code /upload/<id>/<filename>?token=...}. {@code contentLength} is -1 when
     * the request had none. The body is read only when everything else is in order.
     */
    public PutResult put(String id, String filename, String token, long contentLength, String contentType,
                         InputStream body) {
        Slot slot = verify(id, filename, token);
        if (slot == null) {
            return new PutResult(403, "not a valid upload slot (wrong or damaged URL)");
        }
        if (clock.instant().getEpochSecond() > slot.expiry) {
            return new PutResult(403, "the upload slot expired; request a new one");
        }
        if (contentLength < 0) {
            return new PutResult(411, "Content-Length is required");
        }
        if (contentLength != slot.size) {
            return new PutResult(contentLength > slot.size ? 413 : 400, "Content-Length " + contentLength
                    + " does not match the slot's size " + slot.size);
        }
        String putType = contentType == null ? "" : contentType.strip();
        String stored;
        if (slot.type.isEmpty()) {
            stored = putType.isEmpty() || !MEDIA_TYPE.matcher(putType).matches() ? OCTET_STREAM : putType;
        } else {
            if (!baseType(putType).equals(baseType(slot.type))) {
                return new PutResult(415, "Content-Type " + (putType.isEmpty() ? "(none)" : putType)
                        + " does not match the slot's " + slot.type);
            }
            stored = slot.type;
        }
        if (!inFlight.add(id)) {
            return new PutResult(409, "this slot is being used by another upload");
        }
        boolean reservedBytes = false;
        try {
            if (store.exists(id)) {
                return new PutResult(409, "this slot was used already; request a new one");
            }
            if (settings.quota() > 0) {
                synchronized (reserved) {
                    long used = store.usage(slot.owner) + reserved.getOrDefault(slot.owner, 0L);
                    if (used + slot.size > settings.quota()) {
                        return new PutResult(413, "upload quota exceeded");
                    }
                    reserved.merge(slot.owner, slot.size, Long::sum);
                    reservedBytes = true;
                }
            }
            store.put(new FileStore.StoredFile(id, slot.owner, filename, stored, slot.size, clock.instant()), body);
            uploaded.accept(slot.size);
            return new PutResult(201, null);
        } catch (FileStore.SizeMismatch e) {
            return new PutResult(400, e.getMessage());
        } catch (FileAlreadyExistsException e) {
            return new PutResult(409, "this slot was used already; request a new one");
        } catch (IOException e) {
            // An aborted request body, or the disk: nothing was stored either way.
            LOG.debug("upload {} failed: {}", id, e.toString());
            return new PutResult(500, "the upload did not complete");
        } finally {
            if (reservedBytes) {
                synchronized (reserved) {
                    reserved.computeIfPresent(slot.owner, (o, n) -> n - slot.size == 0 ? null : n - slot.size);
                }
            }
            inFlight.remove(id);
        }
    }

    private record Slot(long expiry, long size, String type, String owner) {
    }

    /** The signed slot of a PUT URL, or null when the id, filename or signature do not match. */
    private Slot verify(String id, String filename, String token) {
        if (id == null || !ID.matcher(id).matches() || filename == null || token == null) {
            return null;
        }
        int dot = token.indexOf('.');
        if (dot < 0) {
            return null;
        }
        try {
            Base64.Decoder d = Base64.getUrlDecoder();
            String payload = new String(d.decode(token.substring(0, dot)), StandardCharsets.UTF_8);
            byte[] signature = d.decode(token.substring(dot + 1));
            if (!MessageDigest.isEqual(signature, mac(id, filename, payload))) {
                return null;
            }
            String[] parts = payload.split("\n", 4);
            return new Slot(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2], parts[3]);
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
    }

    // ---- GET ----

    /** The stored file at {@code /upload/<id>/<filename>}, if any (the filename must match too). */
    public Optional<FileStore.StoredFile> find(String id, String filename) throws IOException {
        if (id == null || !ID.matcher(id).matches()) {
            return Optional.empty();
        }
        return store.find(id).filter(f -> f.filename().equals(filename));
    }

    public InputStream open(FileStore.StoredFile file) throws IOException {
        return store.open(file.id());
    }

    // ---- housekeeping ----

    /** An account was deleted: so are its files. */
    public void deleteFilesOf(String owner) {
        try {
            int n = store.deleteOwner(owner);
            if (n > 0) {
                LOG.info("upload: {} files of deleted account {} removed", n, owner);
            }
        } catch (IOException e) {
            LOG.error("upload: could not delete the files of {}: {}", owner, e.toString());
        }
    }

    /** {@code upload.retention}: deletes files older than it; returns how many. */
    public int purgeOlderThan(Duration age) throws IOException {
        return store.deleteOlderThan(clock.instant().minus(age));
    }

    private static String baseType(String type) {
        int semicolon = type.indexOf(';');
        return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private byte[] mac(String id, String filename, String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signingKey.get(), "HmacSHA256"));
            return mac.doFinal((id + "\n" + filename + "\n" + payload).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** RFC 3986 percent-encoding of one path segment (URLEncoder is for forms: '+' becomes %20 here). */
    static String encodePathSegment(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
