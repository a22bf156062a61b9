package org.parley.gateway.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StreamError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.UserStatusListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.parley.gateway.browser.Browser;
import org.parley.gateway.browser.BrowserExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.TestServer;

/**
 * The admin console at /admin (issue 20) in real Chromium, against a real server with Smack users on the other
 * side: a non-admin is refused with the server's answer on the page; the admin creates and deletes a user, ends
 * a user's session (the Smack client gets the stream error) and destroys a room (the Smack occupant gets the
 * XEP-0045 §10.9 destroy). Screenshots in target/screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminConsoleTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("admin", "carol", "dave");

    @RegisterExtension
    static final BrowserExtension browsers = new BrowserExtension(Duration.ofSeconds(40));

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = browsers.open("operator");
        browser.get(gateway.httpUri("/admin/?interval=2").toString());
    }

    private static void logIn(String user) {
        browser.visible(By.id("username")).clear();
        browser.visible(By.id("username")).sendKeys(user);
        browser.visible(By.id("password")).sendKeys(TestServer.PASSWORD);
        browser.click(By.id("login-button"));
    }

    private static void tab(String name) {
        browser.click(By.id("tab-" + name));
        browser.visible(By.id("panel-" + name));
    }

    private static void status(String text) {
        browser.textAppears(By.id("admin-status"), text);
    }

    /** The row of a table whose data-jid is {@code jid}. */
    private static By row(String table, String jid) {
        return By.cssSelector("#" + table + " tr[data-jid='" + jid + "']");
    }

    private static void clickTwice(By button) {
        browser.click(button);
        browser.waitUntil("armed " + button, d -> d.findElement(button).getText().startsWith("Confirm"));
        browser.click(button);
    }

    @Test
    @Order(1)
    void aNonAdminGetsTheServersForbiddenAndThePageSaysSo() {
        browser.visible(By.id("username"));
        List<String> form = Axe.seriousViolations(browser);
        assertTrue(form.isEmpty(), "axe-core, admin sign-in form: " + form);
        logIn("carol");
        WebElement refused = browser.textAppears(By.id("refused"), "not an administrator");
        assertTrue(refused.getText().contains("forbidden"), refused.getText());
        browser.screenshot("1-not-an-admin");
        browser.click(By.id("back-to-login"));
    }

    @Test
    @Order(2)
    void theAdminSeesTheDashboard() {
        logIn("admin");
        browser.visible(By.id("tab-dashboard"));
        browser.waitUntil("sessions counted", d -> !d.findElement(By.id("stat-sessions")).getText().equals("–")
                && Integer.parseInt(d.findElement(By.id("stat-sessions")).getText()) >= 1);
        // Polled every 2 s here: the charts get a second point, a polyline.
        browser.waitUntil("a chart line", d -> !d.findElements(By.cssSelector("#panel-dashboard svg.chart polyline")).isEmpty());
        List<String> violations = Axe.seriousViolations(browser);
        assertTrue(violations.isEmpty(), "axe-core, dashboard: " + violations);
        browser.screenshot("2-dashboard");
    }

    @Test
    @Order(3)
    void theAdminCreatesAndDeletesAUser() {
        tab("users");
        browser.visible(By.id("new-user")).sendKeys("newbie");
        browser.visible(By.id("new-password")).sendKeys("newbie-password-1");
        browser.click(By.id("create-user"));
        status("created");
        assertTrue(gateway.server().server().accounts().checkPassword("newbie", "newbie-password-1"));
        browser.visible(row("users-table", "newbie@localhost"));
        List<String> violations = Axe.seriousViolations(browser);
        assertTrue(violations.isEmpty(), "axe-core, users: " + violations);
        browser.screenshot("3-users");
        clickTwice(By.cssSelector("#users-table tr[data-jid='newbie@localhost'] button.delete"));
        status("Deleted");
        assertFalse(gateway.server().server().accounts().exists("newbie"));
    }

    @Test
    @Order(4)
    void theAdminEndsAUsersSessionAndTheClientSeesTheStreamError() throws Exception {
        XMPPTCPConnection dave = gateway.server().login("dave", "desktop");
        CompletableFuture<Exception> closed = new CompletableFuture<>();
        dave.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                closed.complete(e);
            }
        });
        tab("users");
        WebElement search = browser.visible(By.id("user-search"));
        search.clear();
        search.sendKeys("dave");
        browser.click(By.id("user-search-button"));
        browser.click(By.cssSelector("#users-table tr[data-jid='dave@localhost'] button.sessions"));
        browser.textAppears(By.id("sessions-table"), "dave@localhost/desktop");
        browser.screenshot("4-sessions");
        clickTwice(By.cssSelector("#sessions-panel button.end-all"));
        status("ended");
        XMPPException.StreamErrorException error = assertInstanceOf(XMPPException.StreamErrorException.class,
                closed.get(15, TimeUnit.SECONDS));
        assertEquals(StreamError.Condition.policy_violation, error.getStreamError().getCondition());
    }

    @Test
    @Order(5)
    void theAdminDestroysARoomAndItsOccupantSeesTheDestroy() throws Exception {
        XMPPTCPConnection carol = gateway.server().login("carol", "desktop");
        try {
            MultiUserChat room = MultiUserChatManager.getInstanceFor(carol)
                    .getMultiUserChat(JidCreate.entityBareFrom("doomed@conference.localhost"));
            room.create(Resourcepart.from("carol")).makeInstant();
            CompletableFuture<String> destroyed = new CompletableFuture<>();
            room.addUserStatusListener(new UserStatusListener() {
                @Override
                public void roomDestroyed(MultiUserChat alternate, String password, String reason) {
                    destroyed.complete(reason);
                }
            });
            tab("rooms");
            browser.click(By.id("rooms-refresh"));
            browser.click(By.cssSelector("#rooms-table tr[data-jid='doomed@conference.localhost'] button.details"));
            browser.textAppears(By.id("occupants-table"), "carol@localhost");
            List<String> violations = Axe.seriousViolations(browser);
            assertTrue(violations.isEmpty(), "axe-core, rooms: " + violations);
            browser.screenshot("5-room");
            clickTwice(By.cssSelector("#rooms-table tr[data-jid='doomed@conference.localhost'] button.destroy"));
            status("destroyed");
            assertEquals("Closed by the administrator", destroyed.get(15, TimeUnit.SECONDS));
            browser.waitUntil("room gone from the list",
                    d -> d.findElements(row("rooms-table", "doomed@conference.localhost")).isEmpty());
        } finally {
            carol.disconnect();
        }
    }

    @Test
    @Order(6)
    void announcementsAndSecurityRender() throws Exception {
        tab("announcements");
        // Registration is on in the test server; the box starts unticked and is ticked once the server's form is read.
        browser.waitUntil("registration state read", d -> d.findElement(By.id("registration-enabled")).isSelected());
        browser.screenshot("6-announcements");
        XMPPTCPConnection wrong = new XMPPTCPConnection(gateway.server().config("dave")
                .setUsernameAndPassword("dave", "not-the-password").build());
        wrong.connect();
        assertThrows(org.jivesoftware.smack.sasl.SASLErrorException.class, wrong::login);
        wrong.disconnect();
        tab("security");
        browser.textAppears(By.id("cert-expiry"), "days");
        browser.textAppears(By.id("failures-table"), "dave"); // the failed login just made, from the guard's record
        List<String> violations = Axe.seriousViolations(browser);
        assertTrue(violations.isEmpty(), "axe-core, security: " + violations);
        browser.screenshot("7-security");
    }
}
