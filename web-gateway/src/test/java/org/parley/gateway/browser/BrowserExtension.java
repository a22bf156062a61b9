package org.parley.gateway.browser;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.logging.Level;

/**
 * Real headless Chromium for a test class, through the system's chromedriver (W3C WebDriver via Selenium):
 * {@code @RegisterExtension static final BrowserExtension browsers = new BrowserExtension();} then
 * {@code Browser alice = browsers.open("alice");} in a test. Each {@link Browser} is its own chromedriver and
 * Chromium with a fresh profile (no shared cookies or storage), closed after the class (or earlier with
 * {@link Browser#close()}). One driver per browser because Selenium stops a driver service when any session
 * on it quits.
 *
 * <p>The binaries are {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (Debian's {@code chromium}
 * and {@code chromium-driver}; other paths with {@code -Dparley.chromium=} and {@code -Dparley.chromedriver=}).
 * The driver path is set explicitly so that Selenium Manager never tries to download one. When either is
 * missing the class is skipped with the reason in the test report and a WARN line in the log — unless
 * {@code PARLEY_BROWSER_TESTS=required} (as {@code .ci/run} sets after installing them), which fails instead.
 *
 * <p>When a test fails, every browser still open takes a screenshot and its console log is written next to
 * it, in {@code target/screenshots/}.
 */
public final class BrowserExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback,
        AfterTestExecutionCallback {

    private static final Logger LOG = LoggerFactory.getLogger(BrowserExtension.class);
    /** Where screenshots go, relative to the module directory Maven runs tests in. */
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");

    static final Path CHROMIUM = Path.of(System.getProperty("parley.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("parley.chromedriver", "/usr/bin/chromedriver"));

    private final List<Browser> open = new ArrayList<>();
    private final Duration timeout;
    private boolean active;
    private String testClass = "browser";

    /** Browsers whose waits give up after 30 seconds (generous: Chromium is heavy on a shared 2-core machine). */
    public BrowserExtension() {
        this(Duration.ofSeconds(30));
    }

    public BrowserExtension(Duration timeout) {
        this.timeout = timeout;
    }

    /** Why browser tests cannot run on this machine, if they cannot. */
    public static Optional<String> unavailable() {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(CHROMIUM)) {
            missing.add("Chromium (" + CHROMIUM + ")");
        }
        if (!Files.isExecutable(CHROMEDRIVER)) {
            missing.add("chromedriver (" + CHROMEDRIVER + ")");
        }
        return missing.isEmpty() ? Optional.empty()
                : Optional.of("browser tests skipped: " + String.join(" and ", missing)
                        + " not found; install Debian's chromium and chromium-driver (.ci/run does)");
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> reason = unavailable();
        if (reason.isEmpty()) {
            return ConditionEvaluationResult.enabled("Chromium and chromedriver present");
        }
        if ("required".equals(System.getenv("PARLEY_BROWSER_TESTS"))) {
            throw new IllegalStateException(reason.get() + " (PARLEY_BROWSER_TESTS=required)");
        }
        LOG.warn("{}: {}", context.getDisplayName(), reason.get());
        System.err.println("WARNING " + context.getDisplayName() + ": " + reason.get());
        return ConditionEvaluationResult.disabled(reason.get());
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        testClass = context.getRequiredTestClass().getSimpleName();
        deleteOldScreenshots(testClass);
        active = true;
    }

    /**
     * A new headless Chromium with a fresh profile; {@code name} labels its screenshots and failure output.
     */
    public synchronized Browser open(String name) {
        if (!active) {
            throw new IllegalStateException("register BrowserExtension as a static @RegisterExtension field");
        }
        Path profile;
        try {
            profile = Files.createTempDirectory("parley-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--disable-features=Translate,OptimizationHints,MediaRouter",
                "--window-size=1280,900", "--user-data-dir=" + profile.toAbsolutePath());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        // The driver path is explicit, so Selenium Manager is never asked to download one.
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        ChromeDriver driver = new ChromeDriver(service, options);
        Browser browser = new Browser(name, testClass, driver, profile, timeout, this::closed);
        open.add(browser);
        return browser;
    }

    private synchronized void closed(Browser browser) {
        open.remove(browser);
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            List<Browser> browsers;
            synchronized (this) {
                browsers = List.copyOf(open);
            }
            for (Browser browser : browsers) {
                browser.captureFailure(context.getRequiredTestMethod().getName());
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<Browser> browsers;
        synchronized (this) {
            browsers = List.copyOf(open);
        }
        browsers.forEach(Browser::close);
        active = false;
    }

    /** Screenshots of an earlier run of the class would be mistaken for this run's. */
    private static void deleteOldScreenshots(String testClass) throws IOException {
        if (!Files.isDirectory(SCREENSHOTS)) {
            return;
        }
        try (var files = Files.list(SCREENSHOTS)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().startsWith(testClass + "-")) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    static File screenshotFile(String testClass, String label) {
        try {
            Files.createDirectories(SCREENSHOTS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return SCREENSHOTS.resolve(testClass + "-" + label.replaceAll("[^A-Za-z0-9._-]", "_") + ".png").toFile();
    }
}
