package org.parley.client.ui;

import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** Turns a picture file into a small square PNG for an avatar. */
final class AvatarImages {

    /** Files larger than this are not even read (a photo of a few MB is fine, a huge file is a mistake). */
    private static final long MAX_FILE = 20L * 1024 * 1024;

    private AvatarImages() {
    }

    /** The picture's centre square, scaled to {@code size}×{@code size}, as PNG. */
    static byte[] squarePng(Path file, int size) throws IOException {
        if (Files.size(file) > MAX_FILE) {
            throw new IllegalArgumentException("that file is larger than 20 MB; choose a smaller picture");
        }
        BufferedImage source = Pictures.decode(file.toFile(), size, false);
        if (source == null) {
            throw new IllegalArgumentException(file.getFileName() + " is not a picture this client can read (PNG, JPEG, GIF, BMP)");
        }
        BufferedImage square = Pictures.centreSquare(source, size, RenderingHints.VALUE_INTERPOLATION_BICUBIC, false);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(square, "png", png);
        return png.toByteArray();
    }
}
