package org.parley.client.ui.smoke;

import static org.junit.jupiter.api.Assertions.fail;

import java.awt.Component;
import java.awt.Container;
import java.awt.Graphics2D;
import java.awt.Window;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

import javax.imageio.ImageIO;
import javax.swing.SwingUtilities;

import org.parley.client.core.Clients;

/**
 * Drives the real Swing UI the way a user would, but by component name: finds components in the showing
 * windows, acts on them on the event thread, and waits for conditions with a deadline.
 */
final class SwingDriver {

    private SwingDriver() {
    }

    /** Evaluates {@code value} on the event dispatch thread. */
    static <T> T onEdt(Supplier<T> value) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> result.set(value.get()));
        return result.get();
    }

    static void run(Runnable action) throws Exception {
        SwingUtilities.invokeAndWait(action);
    }

    /** Waits until a showing component named {@code name} (inside {@code within}, or any window) matches. */
    static <T extends Component> T await(Class<T> type, String name, Container within, Predicate<T> matching,
            String what) throws Exception {
        Predicate<T> showing = c -> c.isShowing() && matching.test(c);
        long deadline = System.nanoTime() + Clients.TIMEOUT.toNanos();
        while (true) {
            T found = onEdt(() -> {
                if (within != null) {
                    return find(type, name, within, showing);
                }
                for (Window window : Window.getWindows()) {
                    T c = window.isShowing() ? find(type, name, window, showing) : null;
                    if (c != null) {
                        return c;
                    }
                }
                return null;
            });
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                return fail("timed out waiting for " + what + " (component " + name + ")");
            }
            Thread.sleep(50); // poll interval
        }
    }

    static <T extends Component> T await(Class<T> type, String name, String what) throws Exception {
        return await(type, name, null, c -> true, what);
    }

    private static <T extends Component> T find(Class<T> type, String name, Component root, Predicate<T> matching) {
        if (type.isInstance(root) && name.equals(root.getName()) && matching.test(type.cast(root))) {
            return type.cast(root);
        }
        if (root instanceof Container container) {
            for (Component child : container.getComponents()) {
                T found = find(type, name, child, matching);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** The component named {@code name} inside {@code within}, shown or not; fails the test when there is none. */
    static <T extends Component> T named(Class<T> type, String name, Container within) {
        T found = find(type, name, within, c -> true);
        if (found == null) {
            throw new AssertionError("no " + type.getSimpleName() + " named " + name + " in " + within.getName());
        }
        return found;
    }

    /** Paints the whole window (as rendered by the look and feel) into a PNG. */
    static void screenshot(Window window, Path file) throws Exception {
        BufferedImage image = onEdt(() -> {
            // The root pane: everything Swing draws, without the (absent, on Xvfb) window manager's frame.
            Component content = window instanceof javax.swing.RootPaneContainer r ? r.getRootPane() : window;
            BufferedImage i = new BufferedImage(content.getWidth(), content.getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = i.createGraphics();
            content.printAll(g);
            g.dispose();
            return i;
        });
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }
}
