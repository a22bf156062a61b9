package org.parley.server.upload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings;

/**
 * The slot and PUT rules of XEP-0363 §4-§6 on a real data-directory store, with a clock the test moves
 * (slot expiry, retention). The HTTP and XMPP ends are tested in the web gateway's HttpFileUploadTest and
 * UploadComponentTest.
 */
class HttpUploadsTest {

    private static final String ALICE = "alice@localhost";
    private static final long MAX = 64 * 1024;
    private static final long QUOTA = 3 * MAX;

    @TempDir
    Path root;
    private final MovableClock clock = new MovableClock();
    private HttpUploads uploads;

    @BeforeEach
    void start() throws IOException {
        uploads = HttpUploads.inDirectory(new ServerSettings.Upload(true, "upload", MAX, QUOTA, Duration.ofMinutes(5),
                Duration.ZERO, URI.create("https://files.example.org/upload")), root, clock);
    }

    @Test
    void slotUrlsAreUnderThePublicUrlWithAFreshRandomIdAndTheEncodedFilename_xep0363_4() {
        HttpUploads.SlotResult a = slot("très cool.jpg", 10, "image/jpeg");
        HttpUploads.SlotResult b = slot("très cool.jpg", 10, "image/jpeg");
        assertTrue(a.get().toString().matches("https://files\\.example\\.org/upload/[A-Za-z0-9_-]{22}/tr%C3%A8s%20cool\\.jpg"),
                a.get().toString());
        assertTrue(a.put().toString().startsWith(a.get() + "?token="), a.put().toString());
        assertFalse(a.get().equals(b.get()), "every slot has its own id");
    }

    @Test
    void aPutWithTheSignedSizeAndTypeIsStoredOnceAndServed_xep0363_6() throws IOException {
        byte[] content = bytes(1000);
        HttpUploads.SlotResult slot = slot("a.bin", content.length, "application/octet-stream");
        // Smack sends "application/octet-stream;": parameters do not count.
        assertEquals(201, put(slot, content.length, "application/octet-stream;", content).status());
        var stored = uploads.find(id(slot), "a.bin").orElseThrow();
        assertEquals(ALICE, stored.owner());
        try (InputStream in = uploads.open(stored)) {
            assertArrayEquals(content, in.readAllBytes());
        }
        assertEquals(409, put(slot, content.length, "application/octet-stream", content).status(), "a slot is used once");
    }

    @Test
    void aPutAfterTheSlotExpiredIsRefused() {
        HttpUploads.SlotResult slot = slot("late.txt", 3, "text/plain");
        clock.advance(Duration.ofMinutes(5).plusSeconds(2));
        HttpUploads.PutResult result = put(slot, 3, "text/plain", "abc".getBytes());
        assertEquals(403, result.status());
        assertTrue(result.message().contains("expired"), result.message());
    }

    @Test
    void aPutWithAnotherSizeOrTypeThanTheSlotIsRefused_xep0363_6() {
        HttpUploads.SlotResult slot = slot("x.txt", 3, "text/plain");
        assertEquals(400, put(slot, 2, "text/plain", "ab".getBytes()).status());
        assertEquals(413, put(slot, 4, "text/plain", "abcd".getBytes()).status());
        assertEquals(411, uploads.put(id(slot), "x.txt", token(slot), -1, "text/plain", in("abc")).status());
        assertEquals(415, put(slot, 3, "text/html", "abc".getBytes()).status());
        assertEquals(415, put(slot, 3, null, "abc".getBytes()).status());
        assertEquals(201, put(slot, 3, "text/plain; charset=utf-8", "abc".getBytes()).status(), "the slot is still usable");
    }

    @Test
    void aTokenOfAnotherSlotOrForAnotherFilenameOrAlteredIsRefused() {
        HttpUploads.SlotResult mine = slot("mine.txt", 3, "text/plain");
        HttpUploads.SlotResult other = slot("mine.txt", 3, "text/plain");
        assertEquals(403, uploads.put(id(mine), "mine.txt", token(other), 3, "text/plain", in("abc")).status());
        assertEquals(403, uploads.put(id(mine), "yours.txt", token(mine), 3, "text/plain", in("abc")).status());
        String t = token(mine);
        String altered = (t.charAt(0) == 'A' ? 'B' : 'A') + t.substring(1);
        assertEquals(403, uploads.put(id(mine), "mine.txt", altered, 3, "text/plain", in("abc")).status());
        assertEquals(403, uploads.put(id(mine), "mine.txt", "garbage", 3, "text/plain", in("abc")).status());
        assertEquals(403, uploads.put(id(mine), "mine.txt", null, 3, "text/plain", in("abc")).status());
        assertEquals(403, uploads.put("../../etc/passwd", "mine.txt", t, 3, "text/plain", in("abc")).status());
    }

    @Test
    void anUploadThatEndsEarlyLeavesNoFileAndTheSlotCanBeRetried() throws IOException {
        byte[] content = bytes(200_000 % (int) MAX + 1000);
        HttpUploads.SlotResult slot = slot("cut.bin", content.length, null);
        InputStream cut = new ByteArrayInputStream(content, 0, content.length / 2);
        assertEquals(400, uploads.put(id(slot), "cut.bin", token(slot), content.length, null, cut).status());
        assertTrue(uploads.find(id(slot), "cut.bin").isEmpty());
        try (Stream<Path> left = Files.list(root.resolve("incoming"))) {
            assertEquals(0, left.count(), "no partial file is left");
        }
        assertEquals(201, put(slot, content.length, null, content).status());
        assertEquals("application/octet-stream", uploads.find(id(slot), "cut.bin").orElseThrow().contentType());
    }

    @Test
    void slotsBeyondTheMaximumSizeOrTheQuotaAreRefused_xep0363_5() {
        assertEquals(HttpUploads.Refusal.FILE_TOO_LARGE, slot("big", MAX + 1, null).refusal());
        for (int i = 0; i < 3; i++) {
            HttpUploads.SlotResult slot = slot("f" + i, MAX, null);
            assertEquals(201, put(slot, MAX, null, bytes((int) MAX)).status());
        }
        assertEquals(HttpUploads.Refusal.QUOTA, slot("one-more", 1, null).refusal());
        assertNull(uploads.requestSlot("bob@localhost", "bob's", "1", null).refusal(), "quota is per user");
    }

    @Test
    void aPutThatWouldExceedTheQuotaIsRefusedEvenWithAnEarlierSlot() {
        HttpUploads.SlotResult late = slot("late", MAX, null); // granted while there was room
        for (int i = 0; i < 3; i++) {
            assertEquals(201, put(slot("f" + i, MAX, null), MAX, null, bytes((int) MAX)).status());
        }
        assertEquals(413, put(late, MAX, null, bytes((int) MAX)).status());
    }

    @Test
    void badSlotRequestsAreRefusedAsBadRequests() {
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, null, "1", null).refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "  ", "1", null).refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "a", null, null).refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "a", "-1", null).refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "a", "ten", null).refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "a", "1", "no type").refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "a", "1", "text/plain\r\nX: y").refusal());
        assertEquals(HttpUploads.Refusal.BAD_REQUEST, uploads.requestSlot(ALICE, "é".repeat(128), "1", null).refusal());
    }

    @Test
    void filenamesLoseWhatWouldMakeTheUrlAmbiguous() {
        assertEquals("_etc_passwd", HttpUploads.filename("/etc/passwd"));
        assertEquals("a_b_c_d_e_f", HttpUploads.filename("a\\b%c;d?e#f"));
        assertEquals("_", HttpUploads.filename(".."));
        assertEquals("x_y", HttpUploads.filename("x\u202Ey"));
    }

    @Test
    void retentionAndAccountDeletionRemoveFiles() throws IOException {
        HttpUploads.SlotResult old = slot("old", 1, null);
        put(old, 1, null, new byte[1]);
        clock.advance(Duration.ofDays(10));
        HttpUploads.SlotResult recent = slot("recent", 1, null);
        put(recent, 1, null, new byte[1]);
        assertEquals(1, uploads.purgeOlderThan(Duration.ofDays(5)));
        assertTrue(uploads.find(id(old), "old").isEmpty());
        assertTrue(uploads.find(id(recent), "recent").isPresent());
        assertEquals(1, uploads.store().usage(ALICE));
        uploads.deleteFilesOf(ALICE);
        assertTrue(uploads.find(id(recent), "recent").isEmpty());
        assertEquals(0, uploads.store().usage(ALICE));
    }

    @Test
    void slotsSurviveARestartBecauseTheKeyIsKept() throws IOException {
        HttpUploads.SlotResult slot = slot("kept", 1, null);
        HttpUploads again = HttpUploads.inDirectory(uploads.settings(), root, clock);
        assertEquals(201, again.put(id(slot), "kept", token(slot), 1, null, in("x")).status());
    }

    private HttpUploads.SlotResult slot(String name, long size, String type) {
        return uploads.requestSlot(ALICE, name, Long.toString(size), type);
    }

    private HttpUploads.PutResult put(HttpUploads.SlotResult slot, long length, String type, byte[] content) {
        String path = slot.get().getPath();
        return uploads.put(id(slot), path.substring(path.lastIndexOf('/') + 1), token(slot), length, type,
                new ByteArrayInputStream(content));
    }

    private static String id(HttpUploads.SlotResult slot) {
        String[] parts = slot.get().getPath().split("/");
        return parts[parts.length - 2];
    }

    private static String token(HttpUploads.SlotResult slot) {
        return slot.put().getQuery().substring("token=".length());
    }

    private static InputStream in(String text) {
        return new ByteArrayInputStream(text.getBytes());
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** A clock the test moves forward. */
    private static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-12-06T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
