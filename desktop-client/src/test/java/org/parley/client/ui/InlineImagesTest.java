package org.parley.client.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.imageio.ImageIO;
import javax.swing.Icon;

import org.junit.jupiter.api.Test;

/**
 * Pictures inline in the message view and contacts' avatars: fetched in the background, decoded for real,
 * scaled; what is not a picture stays a link (or no icon). The fetchers here stand in for the client's HTTP
 * download and PEP avatar query, which the UI smoke test exercises against a real server.
 */
class InlineImagesTest {

    static byte[] png(int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    @Test
    void onlyAMessageThatIsJustAPicturesAddressIsAPictureLink() {
        assertTrue(InlineImages.isPictureLink("http://localhost:8080/upload/ab12/cat.PNG"));
        assertTrue(InlineImages.isPictureLink(" https://files.example.org/x/photo.jpeg?sig=1 "));
        assertFalse(InlineImages.isPictureLink("look: https://example.org/cat.png"), "text around it: a link only");
        assertFalse(InlineImages.isPictureLink("https://example.org/page.html"));
        assertFalse(InlineImages.isPictureLink("file:///etc/passwd.png"), "web addresses only");
    }

    @Test
    void aPictureIsFetchedOnceScaledAndThenShownUnderItsLink() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        byte[] big = png(960, 480);
        InlineImages images = new InlineImages((uri, max) -> {
            fetches.incrementAndGet();
            assertEquals(InlineImages.MAX_BYTES, max, "bounded");
            return big;
        });
        CountDownLatch ready = new CountDownLatch(1);
        Object view = new Object();
        images.whenReady(view, ready::countDown);
        String url = "http://localhost:8080/upload/ab/cat.png";
        List<Transcript.Line> lines = List.of(new Transcript.Line(Instant.now(), "bob", url, false, ""));

        assertFalse(Transcript.render(lines, images).contains("<img"), "not fetched yet: the link alone");
        assertTrue(ready.await(10, TimeUnit.SECONDS), "the view is told when the picture is ready");
        String html = Transcript.render(lines, images);
        assertTrue(html.contains("<a href='" + url + "'><img border='0' src='file:"), html);
        assertTrue(html.contains("width='240' height='120'"), "scaled to fit 240 pixels, aspect kept: " + html);
        InlineImages.Thumbnail thumbnail = images.thumbnail(url);
        assertNotNull(ImageIO.read(thumbnail.file().toFile()), "a real PNG on disk");
        assertEquals(1, fetches.get(), "fetched once");
    }

    @Test
    void somethingThatIsNoPictureStaysALink() throws Exception {
        InlineImages images = new InlineImages((uri, max) -> "<html>not a picture</html>".getBytes(StandardCharsets.UTF_8));
        CountDownLatch done = new CountDownLatch(1);
        images.whenReady(this, done::countDown);
        assertNull(images.thumbnail("https://example.org/fake.png"));
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertNull(images.thumbnail("https://example.org/fake.png"));
        assertFalse(Transcript.render(List.of(new Transcript.Line(Instant.now(), "eve", "https://example.org/fake.png",
                false, "")), images).contains("<img"));
    }

    @Test
    void avatarsAreSmallRoundIconsAndAFailedOneIsNone() throws Exception {
        AtomicInteger eveAsked = new AtomicInteger();
        AvatarIcons avatars = new AvatarIcons(jid -> switch (jid) {
            case "bob@localhost" -> png(96, 64);
            case "eve@localhost" -> {
                if (eveAsked.incrementAndGet() == 1) {
                    throw new IllegalStateException("forbidden"); // before she approved the subscription
                }
                yield png(32, 32);
            }
            default -> null;
        });
        CountDownLatch three = new CountDownLatch(3);
        avatars.whenReady(this, three::countDown);
        assertNull(avatars.icon("bob@localhost"));
        assertNull(avatars.icon("eve@localhost"));
        assertNull(avatars.icon("carol@localhost"));
        assertTrue(three.await(10, TimeUnit.SECONDS));
        Icon bob = avatars.icon("bob@localhost");
        assertNotNull(bob);
        assertEquals(AvatarIcons.SIDE, bob.getIconWidth());
        assertEquals(AvatarIcons.SIDE, bob.getIconHeight());
        assertNull(avatars.icon("eve@localhost"), "a failure shows no icon");
        assertNull(avatars.icon("carol@localhost"), "no avatar, no icon");
        assertEquals(1, eveAsked.get(), "not asked again while nothing changed");

        CountDownLatch again = new CountDownLatch(1);
        avatars.whenReady(this, again::countDown);
        assertNull(avatars.icon("eve@localhost", "both/true"), "her subscription changed: asked again");
        assertTrue(again.await(10, TimeUnit.SECONDS));
        assertNotNull(avatars.icon("eve@localhost", "both/true"));
        assertEquals(2, eveAsked.get());
    }

    @Test
    void aFloodOfPictureLinksFetchesAtMostMaxPictures() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        byte[] tiny = png(2, 2);
        InlineImages images = new InlineImages((uri, max) -> {
            fetches.incrementAndGet();
            return tiny;
        });
        CountDownLatch all = new CountDownLatch(InlineImages.MAX_PICTURES);
        images.whenReady(this, all::countDown);
        for (int i = 0; i < InlineImages.MAX_PICTURES + 20; i++) {
            images.thumbnail("https://example.org/flood/" + i + ".png");
        }
        assertTrue(all.await(60, TimeUnit.SECONDS), "the first " + InlineImages.MAX_PICTURES + " are fetched");
        assertNotNull(images.thumbnail("https://example.org/flood/0.png"));
        assertNull(images.thumbnail("https://example.org/flood/" + (InlineImages.MAX_PICTURES + 5) + ".png"), "a link");
        assertEquals(InlineImages.MAX_PICTURES, fetches.get(), "no more than that");
    }

    /** A PNG whose header claims {@code width} × {@code height} pixels (its pixel data is a 1×1 picture's). */
    static byte[] claimingPng(int width, int height) throws Exception {
        byte[] png = png(1, 1);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(png); // signature 8, IHDR length 4, type 4, then data
        b.putInt(16, width).putInt(20, height);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 4 + 13);
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeaderAndABigPictureIsDecodedSubsampled() throws Exception {
        byte[] bomb = claimingPng(50_000, 50_000); // 2.5 gigapixels in a few dozen bytes
        java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> Pictures.decode(new java.io.ByteArrayInputStream(bomb), InlineImages.MAX_SIDE, true));
        assertTrue(refused.getMessage().contains("50000 × 50000"), refused.getMessage());

        BufferedImage whole = Pictures.decode(new java.io.ByteArrayInputStream(png(960, 480)), 240, true);
        assertEquals(240, whole.getWidth(), "every 4th pixel: still 240 on the longer side");
        BufferedImage square = Pictures.decode(new java.io.ByteArrayInputStream(png(960, 480)), 24, false);
        assertEquals(24, square.getHeight(), "every 20th pixel: still 24 on the shorter side");
        assertNull(Pictures.decode(new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}), 24, false), "not a picture");
    }
}
