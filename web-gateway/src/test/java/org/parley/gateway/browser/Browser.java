package org.parley.gateway.browser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One headless Chromium opened by {@link BrowserExtension}: the Selenium driver plus the few things browser
 * tests keep needing — condition-based waits with a deadline (never fixed sleeps), scripts (including
 * asynchronous ones whose callback is the last argument), screenshots into {@code target/screenshots/}, and
 * the page's console log, which is kept across calls so that a failure can show all of it.
 */
public final class Browser implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Browser.class);

    private final String name;
    private final String testClass;
    private final ChromeDriver driver;
    private final Path profile;
    private final Duration timeout;
    private final Consumer<Browser> onClose;
    private final StringBuilder console = new StringBuilder();
    private boolean closed;

    Browser(String name, String testClass, ChromeDriver driver, Path profile, Duration timeout,
            Consumer<Browser> onClose) {
        this.name = name;
        this.testClass = testClass;
        this.driver = driver;
        this.profile = profile;
        this.timeout = timeout;
        this.onClose = onClose;
        driver.manage().timeouts().scriptTimeout(timeout);
        driver.manage().timeouts().pageLoadTimeout(timeout);
    }

    public String name() {
        return name;
    }

    public WebDriver driver() {
        return driver;
    }

    /** A Chrome DevTools Protocol command (e.g. Browser.grantPermissions), for what WebDriver cannot do. */
    public java.util.Map<String, Object> cdp(String command, java.util.Map<String, Object> parameters) {
        return driver.executeCdpCommand(command, parameters);
    }

    /** Navigates and waits for the load event. */
    public Browser get(String url) {
        driver.get(url);
        return this;
    }

    /** Waits until {@code condition} returns something other than null or false; fails naming {@code what}. */
    public <T> T waitUntil(String what, Function<WebDriver, T> condition) {
        return waitUntil(what, timeout, condition);
    }

    public <T> T waitUntil(String what, Duration limit, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, limit, Duration.ofMillis(100))
                .withMessage(() -> name + ": " + what)
                .ignoring(StaleElementReferenceException.class) // re-rendered between find and read: poll again
                .until(condition);
    }

    /** The element once it is visible. */
    public WebElement visible(By locator) {
        return waitUntil("visible: " + locator, ExpectedConditions.visibilityOfElementLocated(locator));
    }

    /** The element once it is present and enabled. */
    public WebElement clickable(By locator) {
        return waitUntil("clickable: " + locator, ExpectedConditions.elementToBeClickable(locator));
    }

    /**
     * Clicks the element once it is clickable, looking it up again if the page re-rendered it in between (a
     * reference found before a re-render is stale).
     */
    public void click(By locator) {
        waitUntil("click " + locator, d -> {
            WebElement element = ExpectedConditions.elementToBeClickable(locator).apply(d);
            if (element == null) {
                return null;
            }
            element.click();
            return true;
        });
    }

    /** Waits until some element matching {@code locator} has text containing {@code text}; returns it. */
    public WebElement textAppears(By locator, String text) {
        return waitUntil("text '" + text + "' in " + locator, d -> {
            for (WebElement e : d.findElements(locator)) {
                try {
                    if (e.getText().contains(text)) {
                        return e;
                    }
                } catch (org.openqa.selenium.StaleElementReferenceException ignored) {
                    // re-rendered while reading: look again on the next poll
                }
            }
            return null;
        });
    }

    /** Runs a synchronous script ({@code arguments[i]} are the args). */
    @SuppressWarnings("unchecked")
    public <T> T script(String script, Object... args) {
        return (T) ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /**
     * Runs an asynchronous script: the callback is {@code arguments[arguments.length - 1]}; the result is what it
     * is called with. Gives up after the browser's timeout.
     */
    @SuppressWarnings("unchecked")
    public <T> T asyncScript(String script, Object... args) {
        return (T) ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    /** Saves a PNG of the viewport as {@code target/screenshots/<TestClass>-<label>.png}; returns its path. */
    public Path screenshot(String label) {
        Path target = BrowserExtension.screenshotFile(testClass, label).toPath();
        try {
            Files.write(target, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            LOG.warn("{}: screenshot {} not saved: {}", name, target, e.toString());
        }
        return target;
    }

    /** Everything the page logged to its console so far (kept across calls). */
    public synchronized String consoleLog() {
        try {
            List<LogEntry> entries = driver.manage().logs().get(LogType.BROWSER).getAll();
            for (LogEntry entry : entries) {
                console.append(entry.getLevel()).append(' ').append(entry.getMessage()).append('\n');
            }
        } catch (RuntimeException e) {
            // the browser may already be gone; keep what was collected
        }
        return console.toString();
    }

    void captureFailure(String test) {
        if (closed) {
            return;
        }
        try {
            Path shot = screenshot(test + "-FAILED-" + name);
            Path log = Path.of(shot.toString().replaceFirst("\\.png$", ".console.txt"));
            Files.writeString(log, "url: " + driver.getCurrentUrl() + "\n" + consoleLog());
            LOG.warn("{} failed; {} saved {} and {}", test, name, shot, log);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: failure capture incomplete: {}", name, e.toString());
        }
    }

    /** Quits this Chromium and deletes its profile. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.quit();
        } catch (RuntimeException e) {
            LOG.debug("{}: quit: {}", name, e.toString());
        }
        onClose.accept(this);
        try (Stream<Path> files = Files.walk(profile)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("{}: profile {} not fully deleted: {}", name, profile, e.toString());
        }
    }
}
