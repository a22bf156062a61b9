package org.parley.client.ui;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

/**
 * Pictures shown inline in the message view: a message that is just the web address of a picture (what
 * XEP-0363 clients, the browser page and this client send) gets a thumbnail under it. Pictures are fetched
 * in the background, one at a time, at most {@link #MAX_BYTES} each and {@link #MAX_PICTURES} in all, decoded by ImageIO (so only real PNG,
 * JPEG, GIF or BMP pictures are shown, whatever the address says; never more than {@link Pictures#MAX_PIXELS}), scaled to fit {@link #MAX_SIDE} pixels and
 * kept as PNG files in a private temporary folder; the view is re-rendered when one is ready. A picture that
 * cannot be fetched or read stays a link.
 */
public final class InlineImages {

    /** What fetches a file: the client's {@code download}, trusting the server's certificate. */
    @FunctionalInterface
    public interface Fetcher {
        byte[] fetch(URI uri, long maxBytes) throws Exception;
    }

    /** A ready thumbnail: its file and size. */
    public record Thumbnail(Path file, int width, int height) {
    }

    static final long MAX_BYTES = 10L * 1024 * 1024;
    static final int MAX_SIDE = 240;
    /** Distinct pictures fetched per session: a room flooded with picture links shows the rest as links. */
    static final int MAX_PICTURES = 500;
    private static final Pattern PICTURE = Pattern.compile("https?://\\S+\\.(?i:png|jpe?g|gif|bmp)(\\?\\S*)?");
    private static final Thumbnail FAILED = new Thumbnail(null, 0, 0);

    private final Fetcher fetcher;
    private final Path folder;
    private final Map<String, Thumbnail> ready = new ConcurrentHashMap<>();
    private final Map<String, Boolean> started = new ConcurrentHashMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-inline-images");
        t.setDaemon(true);
        return t;
    });
    /** Views to re-render when a picture is ready, by owner; weak, so a closed view is simply forgotten. */
    private final Map<Object, Runnable> views = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    public InlineImages(Fetcher fetcher) throws IOException {
        this.fetcher = fetcher;
        this.folder = Files.createTempDirectory("parley-pictures");
        folder.toFile().deleteOnExit();
    }

    /** {@code action} runs (on the worker thread) whenever a thumbnail became ready, while {@code owner} lives. */
    public void whenReady(Object owner, Runnable action) {
        views.put(owner, action);
    }

    /** True when {@code text} is nothing but the address of a picture. */
    public static boolean isPictureLink(String text) {
        return text != null && PICTURE.matcher(text.strip()).matches();
    }

    /** The thumbnail of the picture at {@code url} if it is ready; otherwise null, and it is fetched. */
    public Thumbnail thumbnail(String url) {
        Thumbnail t = ready.get(url);
        if (t != null) {
            return t == FAILED ? null : t;
        }
        if (started.size() < MAX_PICTURES && started.putIfAbsent(url, Boolean.TRUE) == null) {
            worker.execute(() -> {
                ready.put(url, load(url));
                Runnable[] toTell;
                synchronized (views) {
                    toTell = views.values().toArray(Runnable[]::new);
                }
                for (Runnable r : toTell) {
                    r.run();
                }
            });
        }
        return null;
    }

    private Thumbnail load(String url) {
        try {
            byte[] bytes = fetcher.fetch(URI.create(url.strip()), MAX_BYTES);
            BufferedImage source = Pictures.decode(new ByteArrayInputStream(bytes), MAX_SIDE, true);
            if (source == null || source.getWidth() <= 0 || source.getHeight() <= 0) {
                return FAILED;
            }
            double scale = Math.min(1.0, (double) MAX_SIDE / Math.max(source.getWidth(), source.getHeight()));
            int w = Math.max(1, (int) Math.round(source.getWidth() * scale));
            int h = Math.max(1, (int) Math.round(source.getHeight() * scale));
            BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
            Graphics2D g = small.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(source, 0, 0, w, h, null);
            g.dispose();
            String name = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(url.getBytes(StandardCharsets.UTF_8))).substring(0, 32).toLowerCase(Locale.ROOT) + ".png";
            Path file = folder.resolve(name);
            ImageIO.write(small, "png", file.toFile());
            file.toFile().deleteOnExit();
            return new Thumbnail(file, w, h);
        } catch (Exception e) {
            return FAILED; // stays a link: unreachable, too large, or not a picture
        }
    }
}
