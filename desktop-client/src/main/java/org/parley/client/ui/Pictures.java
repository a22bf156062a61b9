package org.parley.client.ui;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decoding pictures that someone else chose (a link in a message, a contact's avatar, a file picked for one's
 * own avatar) without trusting their size: the header's pixel dimensions are read first, a picture larger than
 * {@link #MAX_PIXELS} is refused before any pixel is decoded (a few KB of PNG can claim 50 000 × 50 000), and
 * a large one is decoded subsampled, so the decoded copy is never much larger than what is shown.
 */
final class Pictures {

    /** 40 megapixels: any camera photo, not a decompression bomb. */
    static final long MAX_PIXELS = 40_000_000L;

    private Pictures() {
    }

    /**
     * The picture in {@code input} (a byte stream or file: PNG, JPEG, GIF or BMP), decoded with at least
     * {@code side} pixels left on its longer side ({@code whole}: it is shown whole) or its shorter side (its
     * centre square is shown) where it had them; null when it is not a picture ImageIO reads.
     *
     * @throws IOException when it is larger than {@link #MAX_PIXELS} or broken
     */
    static BufferedImage decode(Object input, int side, boolean whole) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(input)) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0 || (long) width * height > MAX_PIXELS) {
                    throw new IOException("the picture is " + width + " × " + height + " pixels; at most "
                            + MAX_PIXELS / 1_000_000 + " megapixels are shown");
                }
                ImageReadParam param = reader.getDefaultReadParam();
                int step = Math.max(1, (whole ? Math.max(width, height) : Math.min(width, height)) / Math.max(1, side));
                param.setSourceSubsampling(step, step, 0, 0);
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        }
    }

    /** The picture's centre square, scaled to {@code size} × {@code size}. */
    static BufferedImage centreSquare(BufferedImage source, int size, Object interpolation, boolean round) {
        int side = Math.min(source.getWidth(), source.getHeight());
        int x = (source.getWidth() - side) / 2;
        int y = (source.getHeight() - side) / 2;
        BufferedImage square = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = square.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
        if (round) {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setClip(new java.awt.geom.Ellipse2D.Float(0, 0, size, size));
        }
        g.drawImage(source, 0, 0, size, size, x, y, x + side, y + side, null);
        g.dispose();
        return square;
    }
}
