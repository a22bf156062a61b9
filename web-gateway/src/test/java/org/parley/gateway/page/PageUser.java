package org.parley.gateway.page;

import java.util.List;
import java.util.stream.Collectors;

import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.parley.gateway.browser.Browser;

/** A person using the chat page in one browser: what they can do and what they can see (page object). */
public final class PageUser {

    public final Browser browser;
    public final String name;
    private final String pageUrl;

    public PageUser(Browser browser, String name, String pageUrl) {
        this.browser = browser;
        this.name = name;
        this.pageUrl = pageUrl;
    }

    /** Opens the page and submits the sign-in form; does not wait for the outcome. */
    public PageUser submit(String password, boolean signUp) {
        browser.get(pageUrl);
        fillAndSubmit(name, password, signUp);
        return this;
    }

    public void fillAndSubmit(String username, String password, boolean signUp) {
        WebElement user = browser.visible(By.id("username"));
        user.clear();
        user.sendKeys(username);
        WebElement pass = browser.driver().findElement(By.id("password"));
        pass.clear();
        pass.sendKeys(password);
        browser.click(By.id(signUp ? "signup-button" : "login-button"));
    }

    /** Signs up (or logs in) and waits until the lobby is entered. */
    public PageUser enter(String password, boolean signUp) {
        submit(password, signUp);
        awaitOnline();
        awaitMember("lobby", name);
        return this;
    }

    public void awaitOnline() {
        browser.waitUntil("online", d -> "online".equals(
                d.findElements(By.cssSelector("#status[data-status]")).stream().findFirst()
                        .map(e -> e.getAttribute("data-status")).orElse(null)));
    }

    public String loginError() {
        return browser.waitUntil("a sign-in message", d -> {
            String text = d.findElement(By.id("login-error")).getText();
            return text.isBlank() || text.endsWith("…") ? null : text;
        });
    }

    public void openRoom(String room) {
        browser.click(By.cssSelector("#rooms li[data-jid='" + room + "@conference.localhost'] button"));
        browser.waitUntil("room " + room + " open", d -> d.findElement(By.id("chat-title")).getText().startsWith("#"));
    }

    public void say(String text) {
        WebElement composer = browser.clickable(By.id("composer"));
        composer.sendKeys(text);
        composer.sendKeys(Keys.ENTER);
    }

    /** Waits for a message with this exact text from {@code from} in the open conversation. */
    public WebElement awaitMessage(String from, String text) {
        return browser.waitUntil("message from " + from + ": " + text, d -> {
            for (WebElement li : d.findElements(By.cssSelector("#messages li.message"))) {
                if (from.equals(li.getAttribute("data-from"))
                        && text.equals(li.findElement(By.cssSelector(".text")).getText())) {
                    return li;
                }
            }
            return null;
        });
    }

    /** A notice line, also inside a collapsed run of joins and leaves (whose lines are in its text content). */
    public void awaitNotice(String text) {
        browser.waitUntil("notice '" + text + "'", d -> {
            for (WebElement e : d.findElements(By.cssSelector("#messages li.notice"))) {
                try {
                    String content = e.getAttribute("textContent");
                    if (content != null && content.contains(text)) {
                        return e;
                    }
                } catch (org.openqa.selenium.StaleElementReferenceException ignored) {
                    // re-rendered while reading
                }
            }
            return null;
        });
    }

    /** Reloads the page: with the device token saved, it signs in again without the form. */
    public void reload() {
        browser.driver().navigate().refresh();
        awaitOnline();
    }

    public void awaitMember(String room, String nick) {
        browser.waitUntil(nick + " in the member list of " + room, d ->
                !d.findElements(By.cssSelector("#member-list li[data-nick='" + nick + "']")).isEmpty());
    }

    public void awaitNoMember(String nick) {
        browser.waitUntil(nick + " gone from the member list", d ->
                d.findElements(By.cssSelector("#member-list li[data-nick='" + nick + "']")).isEmpty());
    }

    public List<String> members() {
        return browser.driver().findElements(By.cssSelector("#member-list li")).stream()
                .map(e -> e.getAttribute("data-nick")).collect(Collectors.toList());
    }

    public String memberRole(String nick) {
        return browser.driver().findElement(By.cssSelector("#member-list li[data-nick='" + nick + "']")).getAttribute("data-role");
    }

    public WebElement friend(String jid) {
        return browser.visible(By.cssSelector("#friends li[data-jid='" + jid + "']"));
    }

    public void logOut() {
        browser.click(By.id("logout"));
        browser.visible(By.id("username"));
    }

    public String transport() {
        return browser.script("return window.parley.connection.transport && window.parley.connection.transport.name;");
    }
}
