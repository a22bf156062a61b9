package org.parley.client.ui.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.parley.client.ui.smoke.SwingDriver.await;
import static org.parley.client.ui.smoke.SwingDriver.named;
import static org.parley.client.ui.smoke.SwingDriver.onEdt;
import static org.parley.client.ui.smoke.SwingDriver.run;
import static org.parley.client.ui.smoke.SwingDriver.screenshot;

import java.awt.GraphicsEnvironment;
import java.awt.Window;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.swing.JButton;
import javax.swing.JDialog;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JTextArea;
import javax.swing.JTabbedPane;
import javax.swing.JTextField;
import javax.swing.JTree;
import javax.swing.SwingUtilities;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.client.core.RosterListener;
import org.parley.client.ui.DesktopApp;
import org.parley.client.ui.Transcript;
import org.parley.client.ui.settings.DesktopSettings;
import org.parley.server.testing.TestServer;

/**
 * The desktop client as a user sees it, on a virtual X display (Xvfb; surefire's "ui-smoke" execution starts
 * it): a login error shown in full (wrapped, not cut off), log in to a server with a self-signed certificate
 * (the trust dialog shows its fingerprint, the user trusts it), land in the lobby by itself (autojoin, bookmarked
 * for the account), add a contact who accepts — one step, no second request to accept (RFC 6121 §3.4) — send a
 * message in the room, see the reply of a second client (bob, on the client core), a 1:1 chat under bob's name,
 * switch to the dark theme. Screenshots of each step go to target/screenshots/.
 */
class DesktopUiSmokeTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final String LOBBY = "lobby@conference.localhost";

    @TempDir
    Path config;

    @BeforeEach // not @BeforeAll: a skipped class counts no test at all, a skipped test shows in the totals
    void display() {
        String xvfb = System.getenv("PARLEY_XVFB");
        assumeTrue(!"missing".equals(xvfb), "SKIPPED: Xvfb is not installed (Debian: apt-get install xvfb xauth); "
                + "the desktop UI smoke test needs a virtual X display");
        assumeTrue(xvfb != null, "SKIPPED here: the UI smoke test runs in its own JVM on Xvfb, in surefire's "
                + "ui-smoke execution (this JVM is headless)");
        assertNotEquals("failed", xvfb, "Xvfb is installed but did not start");
        assertTrue(!GraphicsEnvironment.isHeadless(), "a display is expected on " + xvfb);
    }

    @Test
    void logInTrustTheServerJoinARoomTalkAndSeeTheReply() throws Exception {
        DesktopSettings settings = new DesktopSettings(config);
        CompletableFuture<ParleyClient> aliceClient = new CompletableFuture<>();
        DesktopApp app = new DesktopApp(settings, false, aliceClient::complete);
        ParleyClient bob = Clients.login(server, "bob");
        // A picture on a web server, as an upload service would serve it (the inline-picture step below).
        com.sun.net.httpserver.HttpServer pictures = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        byte[] cat = png(320, 200);
        pictures.createContext("/cat.png", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, cat.length);
            exchange.getResponseBody().write(cat);
            exchange.close();
        });
        pictures.start();
        try {
            bob.setAvatar(png(96, 96), 96, 96); // shown in alice's roster
            run(app::start);

            // ---- login, with a self-signed certificate nobody has trusted yet
            JFrame login = await(JFrame.class, "login.window", "the login window");
            screenshot(login, SCREENSHOTS.resolve("0-login-empty.png"));
            // ---- a long error (nothing listens on the port) is shown whole: wrapped in the window, not cut off
            int closed = closedPort();
            run(() -> {
                named(JTextField.class, "login.jid", login).setText("alice@localhost");
                named(JPasswordField.class, "login.password", login).setText(TestServer.PASSWORD);
                named(javax.swing.JCheckBox.class, "login.advanced", login).doClick(); // shows the server field
                named(JTextField.class, "login.server", login).setText("127.0.0.1:" + closed);
                named(JButton.class, "login.submit", login).doClick();
            });
            JTextArea error = await(JTextArea.class, "login.error", login,
                    t -> t.getText().startsWith("Cannot reach the server"), "the connection error");
            String errorText = onEdt(error::getText);
            assertTrue(errorText.length() > 60 && !errorText.contains("…")
                    && errorText.contains("127.0.0.1:" + closed + " (connection refused)"), errorText);
            assertTrue(onEdt(() -> fullyVisible(error)), "the whole error is visible: " + errorText);
            assertTrue(onEdt(error::getLineCount) >= 1 && onEdt(() -> error.getWidth() <= login.getContentPane().getWidth()),
                    "wrapped within the window");
            screenshot(login, SCREENSHOTS.resolve("1-login-error.png"));
            run(() -> {
                named(JTextField.class, "login.server", login).setText("127.0.0.1:" + server.server().c2sPort());
                named(JButton.class, "login.submit", login).doClick();
            });

            JDialog trust = await(JDialog.class, "trust.dialog", "the certificate question");
            String shown = onEdt(() -> named(JTextArea.class, "trust.fingerprint", trust).getText().replace("\n", ":"));
            assertEquals(server.server().certificateFingerprint(), shown, "the dialog shows the server's SHA-256 fingerprint");
            screenshot(trust, SCREENSHOTS.resolve("2-trust.png"));
            SwingUtilities.invokeLater(() -> named(JButton.class, "trust.accept", trust).doClick()); // the dialog is modal

            // ---- main window: online, a contact request from bob accepted, bob in the roster
            JFrame main = await(JFrame.class, "main.window", "the main window");
            await(JLabel.class, "connection.state", main, l -> l.getText().contains("Online"), "the connection state");
            assertEquals(server.server().certificateFingerprint(), settings.certificateTrust().pinnedFingerprint("localhost"),
                    "trusting pinned the certificate for the server");

            // ---- autojoin: the lobby opens by itself on the first login, and is bookmarked for the account
            JPanel room = await(JPanel.class, "room:" + LOBBY, main, p -> true, "the lobby, entered by itself");
            assertTrue(aliceClient.join().bookmarks().stream().anyMatch(b -> b.jid().equals(LOBBY) && b.autojoin()),
                    "the lobby bookmarked with autojoin (the web page sees it too)");
            screenshot(main, SCREENSHOTS.resolve("3-autojoin.png"));

            // ---- one-step subscription: alice adds bob, bob accepts and asks back, alice is not asked again
            java.util.List<String> aliceAsked = new java.util.concurrent.CopyOnWriteArrayList<>();
            aliceClient.join().addRosterListener(new RosterListener() {
                @Override
                public void subscriptionRequested(String jid) {
                    aliceAsked.add(jid);
                }
            });
            bob.addRosterListener(new RosterListener() {
                @Override
                public void subscriptionRequested(String jid) {
                    try {
                        bob.acceptSubscription(jid); // and asks back, as the web page does
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            SwingUtilities.invokeLater(() -> named(JButton.class, "roster.add", main).doClick()); // a modal dialog
            JTextField addJid = await(JTextField.class, "roster.add.jid", "the add-contact dialog");
            run(() -> {
                addJid.setText("bob@localhost");
                named(JTextField.class, "roster.add.name", SwingUtilities.getWindowAncestor(addJid)).setText("Bob");
            });
            screenshot(SwingUtilities.getWindowAncestor(addJid), SCREENSHOTS.resolve("3-add-contact.png"));
            run(() -> buttonLabelled("OK", SwingUtilities.getWindowAncestor(addJid)).doClick());
            await(JTree.class, "roster.tree", main, t -> rowsContain(t, "bob@localhost", "both"), "bob a mutual contact");
            await(JTree.class, "roster.tree", main, t -> avatarShown(t, "bob@localhost"),
                    "bob's avatar next to his name (XEP-0084, readable once the subscription is approved)");
            assertEquals(java.util.List.of(), aliceAsked, "alice had nothing to accept");
            assertTrue(onEdt(() -> !named(JPanel.class, "requests.panel", main).isVisible()), "no request waiting");
            screenshot(main, SCREENSHOTS.resolve("4-roster.png"));

            // ---- rooms: browse, join the lobby (already in it: the dialog shows its tab)
            run(() -> named(JButton.class, "rooms.browse", main).doClick());
            JDialog rooms = await(JDialog.class, "rooms.dialog", "the rooms dialog");
            await(JList.class, "rooms.list", rooms, l -> listContains(l, LOBBY), "the public rooms");
            screenshot(rooms, SCREENSHOTS.resolve("4-rooms.png"));
            run(() -> {
                named(JTextField.class, "rooms.room", rooms).setText("lobby");
                named(JTextField.class, "rooms.nick", rooms).setText("alice");
                named(JButton.class, "rooms.join", rooms).doClick();
            });
            await(JPanel.class, "room:" + LOBBY, main, p -> p == room, "the same lobby tab");

            // ---- bob answers alice in the room
            Room bobsLobby = bob.join("lobby", "bob", null, 0);
            bobsLobby.addListener(new RoomListener() {
                @Override
                public void messageReceived(Room r, ChatMessage message) {
                    if (message.from().equals("alice") && message.body().equals("hello from the desktop")) {
                        try {
                            r.send("hi alice, bob here");
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            });
            await(JList.class, "room.occupants", room, l -> listEquals(l, "bob"), "bob in the occupants, without a role");
            await(Transcript.class, "room.transcript", room, t -> t.text().contains("bob joined"), "bob's join notice");
            run(() -> {
                named(JTextField.class, "room.input", room).setText("hello from the desktop");
                named(JButton.class, "room.send", room).doClick();
            });
            await(Transcript.class, "room.transcript", room, t -> t.text().matches("(?s).*alice \\d\\d:\\d\\d\\s+hello from the desktop.*")
                    && t.text().matches("(?s).*bob \\d\\d:\\d\\d\\s+hi alice, bob here.*"), "the reply from bob, each under their name");
            // ---- a picture's address shows the picture under the link (as the web page and upload clients send it);
            // the "The subject is now:" line of an empty subject is not there
            String pictureUrl = "http://127.0.0.1:" + pictures.getAddress().getPort() + "/cat.png";
            bobsLobby.send(pictureUrl);
            Transcript withPicture = await(Transcript.class, "room.transcript", room,
                    t -> t.getText().contains("<img") && t.getText().contains("/cat.png"), "the picture inline");
            assertTrue(onEdt(() -> !withPicture.text().contains("The subject is now")), "no empty subject line");
            screenshot(main, SCREENSHOTS.resolve("5-room.png"));

            // ---- a 1:1 message from bob opens a chat tab with an unread badge; alice answers there
            bob.sendMessage("alice@localhost", "psst, alice");
            JTabbedPane tabs = await(JTabbedPane.class, "tabs", main, t -> titles(t).contains("Bob (1)"),
                    "a chat tab with one unread message, under bob's name");
            await(JFrame.class, "main.window", null, f -> f.getTitle().endsWith("(1)"), "the total in the window title");
            JPanel chat = onEdt(() -> named(JPanel.class, "chat:bob@localhost", tabs)); // in a tab behind the room's
            run(() -> tabs.setSelectedComponent(chat));
            await(JTabbedPane.class, "tabs", main, t -> titles(t).contains("Bob"), "read once selected");
            BlockingQueue<String> bobInbox = Clients.queue();
            bob.addChatListener(new ChatListener() {
                @Override
                public void messageReceived(ChatMessage message) {
                    bobInbox.add(message.body());
                }
            });
            run(() -> {
                named(JTextField.class, "chat.input", chat).setText("hi bob, in private");
                named(JButton.class, "chat.send", chat).doClick();
            });
            assertEquals("hi bob, in private", bobInbox.poll(Clients.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            await(Transcript.class, "chat.transcript", chat, t -> t.text().matches("(?s).*Bob \\d\\d:\\d\\d\\s+psst, alice.*")
                    && t.text().matches("(?s).*me \\d\\d:\\d\\d\\s+hi bob, in private.*"), "the chat transcript, by name");
            screenshot(main, SCREENSHOTS.resolve("6-chat.png"));

            // ---- the dark theme, remembered
            run(() -> named(JButton.class, "theme.toggle", main).doClick());
            assertEquals(DesktopSettings.Theme.DARK, new DesktopSettings(config).theme());
            screenshot(main, SCREENSHOTS.resolve("7-chat-dark.png"));

            // ---- nothing open any more: the welcome text says what to do
            run(() -> named(JButton.class, "chat.close", chat).doClick());
            run(() -> named(JButton.class, "room.leave", room).doClick());
            JLabel welcome = await(JLabel.class, "welcome", main, l -> true, "the welcome text once no tab is open");
            assertTrue(onEdt(welcome::getText).contains("Rooms…"), "it points at the Rooms… button");
            screenshot(main, SCREENSHOTS.resolve("8-welcome.png"));
            assertTrue(Files.size(SCREENSHOTS.resolve("5-room.png")) > 0);
        } finally {
            run(() -> {
                for (Window w : Window.getWindows()) {
                    w.dispose();
                }
            });
            bob.close();
            pictures.stop(0);
            if (aliceClient.isDone()) {
                aliceClient.join().close();
            }
        }
    }

    private static byte[] png(int width, int height) throws java.io.IOException {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(width, height,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = image.createGraphics();
        g.setColor(new java.awt.Color(0x2e7d32));
        g.fillOval(width / 4, height / 4, width / 2, height / 2);
        g.dispose();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** The roster row of {@code jid} is drawn with an icon (the contact's avatar). */
    private static boolean avatarShown(JTree tree, String jid) {
        for (int i = 0; i < tree.getRowCount(); i++) {
            Object node = tree.getPathForRow(i).getLastPathComponent();
            if (node instanceof javax.swing.tree.DefaultMutableTreeNode n
                    && n.getUserObject() instanceof org.parley.client.core.Contact c && c.jid().equals(jid)
                    && tree.getCellRenderer().getTreeCellRendererComponent(tree, node, false, false, true, i, false)
                            instanceof javax.swing.JLabel label && label.getIcon() != null) {
                return true;
            }
        }
        return false;
    }

    private static boolean rowsContain(JTree tree, String jid, String subscription) {
        for (int i = 0; i < tree.getRowCount(); i++) {
            if (tree.getPathForRow(i).getLastPathComponent() instanceof javax.swing.tree.DefaultMutableTreeNode n
                    && n.getUserObject() instanceof org.parley.client.core.Contact c && c.jid().equals(jid)
                    && c.subscription().equals(subscription)) {
                return true;
            }
        }
        return false;
    }

    /** A loopback port nobody listens on (bound, then released). */
    private static int closedPort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Whether the text area shows its last character inside its own bounds and inside its window. */
    private static boolean fullyVisible(JTextArea area) {
        try {
            java.awt.Rectangle last = area.modelToView2D(area.getDocument().getLength()).getBounds();
            java.awt.Rectangle visible = area.getVisibleRect();
            java.awt.Window window = SwingUtilities.getWindowAncestor(area);
            java.awt.Point at = SwingUtilities.convertPoint(area, 0, area.getHeight(), window);
            return visible.contains(last.x, last.y + last.height - 1) && visible.height == area.getHeight()
                    && at.y <= window.getHeight();
        } catch (javax.swing.text.BadLocationException e) {
            return false;
        }
    }

    private static JButton buttonLabelled(String text, java.awt.Container within) {
        for (java.awt.Component c : within.getComponents()) {
            if (c instanceof JButton b && text.equals(b.getText())) {
                return b;
            }
            if (c instanceof java.awt.Container child) {
                JButton found = buttonLabelled(text, child);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static boolean listEquals(JList<?> list, String text) {
        for (int i = 0; i < list.getModel().getSize(); i++) {
            if (String.valueOf(list.getModel().getElementAt(i)).equals(text)) {
                return true;
            }
        }
        return false;
    }

    private static java.util.List<String> titles(JTabbedPane tabs) {
        java.util.List<String> titles = new java.util.ArrayList<>();
        for (int i = 0; i < tabs.getTabCount(); i++) {
            titles.add(tabs.getTitleAt(i));
        }
        return titles;
    }

    private static boolean listContains(JList<?> list, String text) {
        for (int i = 0; i < list.getModel().getSize(); i++) {
            if (String.valueOf(list.getModel().getElementAt(i)).contains(text)) {
                return true;
            }
        }
        return false;
    }
}
