package org.parley.client.ui.smoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.parley.client.ui.smoke.SwingDriver.await;
import static org.parley.client.ui.smoke.SwingDriver.named;
import static org.parley.client.ui.smoke.SwingDriver.onEdt;
import static org.parley.client.ui.smoke.SwingDriver.run;
import static org.parley.client.ui.smoke.SwingDriver.screenshot;

import java.awt.Color;
import java.awt.Container;
import java.awt.GraphicsEnvironment;
import java.awt.Window;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.swing.JButton;
import javax.swing.JDialog;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JTabbedPane;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.SwingUtilities;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.ui.DesktopApp;
import org.parley.client.ui.FileSendPanel;
import org.parley.client.ui.Transcript;
import org.parley.client.ui.settings.DesktopSettings;
import org.parley.gateway.browser.BrowserExtension;
import org.parley.gateway.page.PageUser;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * A picture exchanged between the desktop client (the real Swing UI, on Xvfb) and a person on the browser chat
 * page (real headless Chromium), through one real Parley with its web gateway and upload service (XEP-0363),
 * in the lobby (XEP-0045) and in a 1:1: the desktop's "Send file…" path uploads and sends the address with an
 * out-of-band element (XEP-0066), and the page shows it as a loaded preview; the page's attach button uploads a
 * picture the desktop then shows inline under its link. Screenshots of both sides go to target/screenshots/.
 */
class PicturesDesktopBrowserUiSmokeTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("desk", "web", "watch");

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension(Duration.ofSeconds(40));

    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final String LOBBY = "lobby@conference.localhost";
    /** The img src of a picture shown inline in a transcript (Swing's HTML writes the attribute back quoted). */
    private static final Pattern INLINE = Pattern.compile("<img[^>]*src=[\"'](file:[^\"']+)[\"']");

    @TempDir
    Path config;
    @TempDir
    Path files;

    @BeforeEach // as DesktopUiSmokeTest: only in the ui-smoke JVM, on Xvfb
    void display() {
        String xvfb = System.getenv("PARLEY_XVFB");
        assumeTrue(!"missing".equals(xvfb), "SKIPPED: Xvfb is not installed (Debian: apt-get install xvfb xauth)");
        assumeTrue(xvfb != null, "SKIPPED here: runs in surefire's ui-smoke execution, on Xvfb (this JVM is headless)");
        assertNotEquals("failed", xvfb, "Xvfb is installed but did not start");
        assertTrue(!GraphicsEnvironment.isHeadless(), "a display is expected on " + xvfb);
    }

    @Test
    void aPictureGoesFromTheDesktopToTheBrowserAndBackInTheLobbyAndInAOneToOne_xep0363_xep0066() throws Exception {
        gateway.befriend("desk", "web"); // the 1:1 below needs them to be contacts on both sides
        DesktopSettings settings = new DesktopSettings(config);
        CompletableFuture<ParleyClient> deskClient = new CompletableFuture<>();
        DesktopApp app = new DesktopApp(settings, false, deskClient::complete);
        // A plain Smack client in the lobby sees the stanzas themselves: the link and its XEP-0066 element.
        org.jivesoftware.smack.tcp.XMPPTCPConnection watch = gateway.server().login("watch");
        java.util.concurrent.BlockingQueue<org.jivesoftware.smack.packet.Message> watched = Clients.queue();
        org.jivesoftware.smackx.muc.MultiUserChat watchLobby = org.jivesoftware.smackx.muc.MultiUserChatManager
                .getInstanceFor(watch).getMultiUserChat(org.jxmpp.jid.impl.JidCreate.entityBareFrom(LOBBY));
        watchLobby.addMessageListener(watched::add);
        watchLobby.join(org.jxmpp.jid.parts.Resourcepart.from("watch"));
        try {
            // ---- the desktop user logs in (trusting the self-signed certificate) and lands in the lobby
            run(app::start);
            JFrame login = await(JFrame.class, "login.window", "the login window");
            run(() -> {
                named(JTextField.class, "login.jid", login).setText("desk@localhost");
                named(JPasswordField.class, "login.password", login).setText(TestServer.PASSWORD);
                named(javax.swing.JCheckBox.class, "login.advanced", login).doClick();
                named(JTextField.class, "login.server", login).setText("127.0.0.1:" + gateway.server().server().c2sPort());
                named(JButton.class, "login.submit", login).doClick();
            });
            JDialog trust = await(JDialog.class, "trust.dialog", "the certificate question");
            SwingUtilities.invokeLater(() -> named(JButton.class, "trust.accept", trust).doClick()); // modal
            JFrame main = await(JFrame.class, "main.window", "the main window");
            await(JLabel.class, "connection.state", main, l -> l.getText().contains("Online"), "the connection state");
            JPanel room = await(JPanel.class, "room:" + LOBBY, main, p -> true, "the lobby, entered by itself");

            // ---- the browser user logs in on the page and sees the desktop user in the lobby
            PageUser web = new PageUser(browsers.open("web"), "web", gateway.httpUri("/").toString());
            web.enter(TestServer.PASSWORD, false);
            web.awaitMember("lobby", "desk");
            web.openRoom("lobby");

            // ---- 1. desktop → browser, in the room: "Send file…" (after the file chooser) uploads and sends
            Path fromDesk = png(files.resolve("from-desk.png"), 180, 90, new Color(0x2e7d32));
            run(() -> fileSender(room, "room.file").send(fromDesk));
            String deskUrl = awaitLoadedPreview(web, "desk", "/from-desk.png", 180);
            assertTrue(deskUrl.startsWith("http://localhost:" + gateway.gateway().httpPort() + "/upload/"),
                    "an address of the server's upload service: " + deskUrl);
            assertOob(Clients.next(watched, m -> deskUrl.equals(m.getBody()), "the desktop's picture in the lobby"), deskUrl);
            web.browser.screenshot("pictures-lobby-from-desktop");

            // ---- 2. browser → desktop, in the room: the page's attach button; the desktop shows it inline
            Path fromWeb = png(files.resolve("from-web.png"), 200, 120, new Color(0xc62828));
            web.browser.visible(By.id("attach-button"));
            web.browser.driver().findElement(By.id("attach-file")).sendKeys(fromWeb.toString());
            Transcript roomView = await(Transcript.class, "room.transcript", room,
                    t -> inlinePicture(t, "/from-web.png") != null, "the browser's picture inline in the desktop's lobby");
            assertPicture(roomView, "/from-web.png", 200, 120);
            org.jivesoftware.smack.packet.Message webShared = Clients.next(watched,
                    m -> m.getBody() != null && m.getBody().endsWith("/from-web.png"), "the page's picture in the lobby");
            assertOob(webShared, webShared.getBody());
            assertTrue(onEdt(roomView::text).matches("(?s).*web \\d\\d:\\d\\d\\s+http://localhost:\\d+/upload/\\S+/from-web\\.png.*"),
                    "under the sender's name, with its link: " + onEdt(roomView::text));
            screenshot(main, SCREENSHOTS.resolve("pictures-1-lobby-desktop.png"));

            // ---- 3. browser → desktop in a 1:1: a chat tab opens on the desktop with the picture inline
            web.browser.click(By.cssSelector("#friends li[data-jid='desk@localhost'] button"));
            web.browser.waitUntil("the chat with desk open", d -> d.findElement(By.id("chat-title")).getText().contains("desk"));
            Path privateFromWeb = png(files.resolve("web-to-desk.png"), 140, 100, new Color(0x1565c0));
            web.browser.driver().findElement(By.id("attach-file")).sendKeys(privateFromWeb.toString());
            JTabbedPane tabs = await(JTabbedPane.class, "tabs", main, t -> indexOf(t, "chat:web@localhost") >= 0,
                    "a chat tab for the browser user's 1:1 message");
            JPanel chat = onEdt(() -> (JPanel) tabs.getComponentAt(indexOf(tabs, "chat:web@localhost")));
            run(() -> tabs.setSelectedComponent(chat));
            Transcript chatView = await(Transcript.class, "chat.transcript", chat,
                    t -> inlinePicture(t, "/web-to-desk.png") != null, "the browser's picture inline in the desktop's 1:1");
            assertPicture(chatView, "/web-to-desk.png", 140, 100);

            // ---- 4. desktop → browser in the same 1:1
            Path privateFromDesk = png(files.resolve("desk-to-web.png"), 120, 60, new Color(0x6a1b9a));
            run(() -> fileSender(chat, "chat.file").send(privateFromDesk));
            awaitLoadedPreview(web, "desk", "/desk-to-web.png", 120);
            await(Transcript.class, "chat.transcript", chat, t -> inlinePicture(t, "/desk-to-web.png") != null,
                    "the desktop's own picture inline in its 1:1");
            screenshot(main, SCREENSHOTS.resolve("pictures-2-one-to-one-desktop.png"));
            web.browser.screenshot("pictures-one-to-one-from-desktop");
            assertTrue(Files.size(SCREENSHOTS.resolve("pictures-2-one-to-one-desktop.png")) > 0);
        } finally {
            run(() -> {
                for (Window w : Window.getWindows()) {
                    w.dispose();
                }
            });
            watch.disconnect();
            if (deskClient.isDone()) {
                deskClient.join().close();
            }
        }
    }

    /** The page's preview of a picture from {@code from} whose address ends so, once loaded; returns its address. */
    private static String awaitLoadedPreview(PageUser user, String from, String suffix, long width) {
        return user.browser.waitUntil(user.name + " sees " + from + "'s picture " + suffix, d -> user.browser.script(
                "for (const img of document.querySelectorAll(\"#messages li.message[data-from='\" + arguments[0] + \"'] img.preview\")) {"
                        + " const src = img.getAttribute('src');"
                        + " if (src.endsWith(arguments[1]) && img.complete && img.naturalWidth === arguments[2]) return src; }"
                        + " return null;", from, suffix, width));
    }

    /** The message's body is the address, and an out-of-band element (XEP-0066 §3, jabber:x:oob) names it too. */
    private static void assertOob(org.jivesoftware.smack.packet.Message message, String url) {
        assertEquals(url, message.getBody());
        var oob = (org.jivesoftware.smack.packet.StandardExtensionElement) message.getExtensionElement("x", "jabber:x:oob");
        assertNotNull(oob, "an XEP-0066 element: " + message.toXML());
        assertEquals(url, oob.getFirstElement("url").getText());
    }

    /** The thumbnail file shown inline for the picture whose address ends with {@code suffix}, or null. */
    private static Path inlinePicture(Transcript view, String suffix) {
        String html = view.getText();
        int link = html.indexOf(suffix + "\"><img");
        if (link < 0) {
            link = html.indexOf(suffix + "'><img");
        }
        if (link < 0) {
            return null;
        }
        Matcher m = INLINE.matcher(html);
        return m.find(link) ? Path.of(java.net.URI.create(m.group(1))) : null;
    }

    /** The inline thumbnail is a real picture of the sent size (small pictures are not scaled). */
    private static void assertPicture(Transcript view, String suffix, int width, int height) throws Exception {
        Path file = onEdt(() -> inlinePicture(view, suffix));
        assertNotNull(file, suffix + " inline");
        BufferedImage shown = ImageIO.read(file.toFile());
        assertNotNull(shown, "a readable picture: " + file);
        assertEquals(width + "x" + height, shown.getWidth() + "x" + shown.getHeight(), "the thumbnail of " + suffix);
    }

    /** The "Send file…" of a room or chat: what its button does once the file chooser returned a file. */
    private static FileSendPanel fileSender(Container view, String buttonName) {
        return (FileSendPanel) SwingUtilities.getAncestorOfClass(FileSendPanel.class, named(JButton.class, buttonName, view));
    }

    private static int indexOf(JTabbedPane tabs, String name) {
        for (int i = 0; i < tabs.getTabCount(); i++) {
            if (name.equals(tabs.getComponentAt(i).getName())) {
                return i;
            }
        }
        return -1;
    }

    private static Path png(Path file, int width, int height, Color colour) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
        return file;
    }
}
