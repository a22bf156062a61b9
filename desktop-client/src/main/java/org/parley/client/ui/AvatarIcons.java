package org.parley.client.ui;

import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.swing.Icon;
import javax.swing.ImageIcon;

/**
 * Contacts' avatars as small round icons: fetched in the background once per contact and session (XEP-0084
 * over PEP; Parley turns vCard avatars into those, XEP-0398), decoded by ImageIO, scaled to {@link #SIDE}
 * pixels. Views ask with {@link #icon} and are told through {@link #whenReady} when one arrived. A contact
 * without an avatar, or one that cannot be read, has none (the view shows the name alone).
 */
public final class AvatarIcons {

    /** What fetches a contact's avatar picture: the client's {@code avatar}. */
    @FunctionalInterface
    public interface Loader {
        byte[] load(String jid) throws Exception;
    }

    static final int SIDE = 24;
    private static final Icon NONE = new ImageIcon(new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB));

    private final Loader loader;
    private final Map<String, Icon> icons = new ConcurrentHashMap<>();
    private final Map<String, Boolean> started = new ConcurrentHashMap<>();
    private final Map<String, String> triedAt = new ConcurrentHashMap<>();
    private final Map<Object, Runnable> views = Collections.synchronizedMap(new WeakHashMap<>());
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "parley-avatars");
        t.setDaemon(true);
        return t;
    });

    public AvatarIcons(Loader loader) {
        this.loader = loader;
    }

    /** {@code action} runs (on a background thread) whenever an avatar arrived, while {@code owner} lives. */
    public void whenReady(Object owner, Runnable action) {
        views.put(owner, action);
    }

    /** The contact's avatar if it is here; otherwise null, and it is fetched. */
    public Icon icon(String jid) {
        return icon(jid, "");
    }

    /**
     * The same, fetched again when {@code state} (e.g. subscription and online or not) differs from when the
     * last attempt found none: a contact's avatar becomes visible once the subscription is approved.
     */
    public Icon icon(String jid, String state) {
        Icon icon = icons.get(jid);
        if (icon != null && icon != NONE) {
            return icon;
        }
        if (icon == NONE && !state.equals(triedAt.get(jid))) {
            started.remove(jid);
            icons.remove(jid);
        } else if (icon == NONE) {
            return null;
        }
        if (started.putIfAbsent(jid, Boolean.TRUE) == null) {
            triedAt.put(jid, state);
            worker.execute(() -> {
                icons.put(jid, load(jid));
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

    private Icon load(String jid) {
        try {
            byte[] bytes = loader.load(jid);
            BufferedImage source = bytes == null ? null : Pictures.decode(new ByteArrayInputStream(bytes), SIDE, false);
            return source == null ? NONE : new ImageIcon(round(source));
        } catch (Exception e) {
            return NONE; // offline, forbidden or not a picture: the name alone
        }
    }

    /** The picture's centre square, scaled and cut to a circle. */
    static Image round(BufferedImage source) {
        return Pictures.centreSquare(source, SIDE, RenderingHints.VALUE_INTERPOLATION_BILINEAR, true);
    }
}
