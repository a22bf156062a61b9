package org.parley.server.avatar;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * An avatar image as clients exchange it: base64 text in XEP-0084's {@code <data/>} or a vCard's
 * {@code <BINVAL/>}, identified by the SHA-1 of its bytes (XEP-0084 §4.2, XEP-0153 §3.1). Only PNG, JPEG,
 * GIF and WebP pass, told by their leading bytes (a client's claimed type is not trusted): the avatar is
 * served to anyone who asks, so it must not be a document or script in disguise.
 *
 * @param width  pixels, or 0 when the header could not be read (WebP: no reader in the JDK)
 * @param height pixels, or 0 likewise
 */
record AvatarImage(byte[] bytes, String type, String sha1, int width, int height) {

    /** Why an avatar was refused. */
    static final class Refused extends Exception {
        final boolean tooLarge;

        Refused(String message, boolean tooLarge) {
            super(message, null, false, false);
            this.tooLarge = tooLarge;
        }
    }

    /** Decodes base64 text (line breaks allowed, as vCards wrap it) and checks size and image type. */
    static AvatarImage decode(String base64, int maxBytes) throws Refused {
        String compact = base64.replaceAll("\\s", "");
        // Check the size before decoding: 4 base64 characters carry 3 bytes.
        if ((long) compact.length() / 4 * 3 > maxBytes + 2L) {
            throw new Refused("the avatar is larger than " + maxBytes + " bytes", true);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException e) {
            throw new Refused("the avatar is not valid base64", false);
        }
        if (bytes.length > maxBytes) {
            throw new Refused("the avatar is larger than " + maxBytes + " bytes", true);
        }
        String type = sniff(bytes);
        if (type == null) {
            throw new Refused("the avatar is not a PNG, JPEG, GIF or WebP image", false);
        }
        int[] size = dimensions(bytes);
        return new AvatarImage(bytes, type, sha1(bytes), size[0], size[1]);
    }

    String base64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The image type from its signature, or null when it is none of the accepted ones. */
    static String sniff(byte[] b) {
        if (starts(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return "image/png";
        }
        if (starts(b, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (starts(b, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (b.length >= 12 && starts(b, 'R', 'I', 'F', 'F') && b[8] == 'W' && b[9] == 'E' && b[10] == 'B'
                && b[11] == 'P') {
            return "image/webp";
        }
        return null;
    }

    private static boolean starts(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Width and height from the image header only (never decoding the pixels: no decompression bomb). */
    private static int[] dimensions(byte[] bytes) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return new int[] {0, 0};
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return new int[] {0, 0};
        }
    }

    static String sha1(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }
}
