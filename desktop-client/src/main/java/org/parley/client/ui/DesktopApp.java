package org.parley.client.ui;

import java.awt.Frame;
import java.util.function.Consumer;

import javax.swing.SwingUtilities;

import org.parley.client.core.CertificateTrust;
import org.parley.client.core.ParleyClient;
import org.parley.client.ui.login.LoginPresenter;
import org.parley.client.ui.login.LoginWindow;
import org.parley.client.ui.settings.DesktopSettings;

/**
 * The Parley desktop client ({@code ./parley-client}): FlatLaf look and feel (light or dark, remembered), the
 * login window, then the main window. Settings, pinned certificates and an opted-in password live in the
 * user's Parley configuration directory (see {@link DesktopSettings}).
 */
public final class DesktopApp {

    private final DesktopSettings settings;
    private final CertificateTrust trust;
    private final UiDispatch dispatch = UiDispatch.swing();
    private final boolean exitWhenClosed;
    private final Consumer<ParleyClient> onLogin;
    private Notifier notifier;
    private LoginWindow login;
    private MainWindow main;

    /**
     * @param exitWhenClosed end the process when the last window closes (the app), or not (tests)
     * @param onLogin told about each logged-in client (tests); may be null
     */
    public DesktopApp(DesktopSettings settings, boolean exitWhenClosed, Consumer<ParleyClient> onLogin) {
        this.settings = settings;
        this.trust = settings.certificateTrust();
        this.exitWhenClosed = exitWhenClosed;
        this.onLogin = onLogin;
    }

    public static void main(String[] args) {
        org.parley.client.core.ConsoleLogging.routeJavaUtilLogging(); // no Smack stack traces on the console
        DesktopSettings settings = DesktopSettings.userDefault();
        SwingUtilities.invokeLater(() -> new DesktopApp(settings, true, null).start());
    }

    /** Shows the login window. Call on the EDT. */
    public void start() {
        Themes.apply(settings.theme());
        notifier = TrayNotifier.create(null, () -> {
            if (main != null) {
                main.setState(Frame.NORMAL);
                main.toFront();
            }
        });
        showLogin();
    }

    private void showLogin() {
        main = null;
        login = new LoginWindow(new LoginPresenter(settings, trust, dispatch), this::loggedIn);
        login.addWindowListener(closer());
        login.setVisible(true);
    }

    private void loggedIn(ParleyClient client) {
        login = null;
        // MainWindow closes the client itself when its window closes (off the event thread).
        main = new MainWindow(client, dispatch, notifier, settings, this::showLogin);
        main.addWindowListener(closer());
        main.setVisible(true);
        if (onLogin != null) {
            onLogin.accept(client);
        }
    }

    private java.awt.event.WindowListener closer() {
        return new java.awt.event.WindowAdapter() {
            @Override
            public void windowClosed(java.awt.event.WindowEvent e) {
                if (exitWhenClosed && (login == null || !login.isDisplayable()) && (main == null || !main.isDisplayable())) {
                    dispatch.close();
                    System.exit(0);
                }
            }
        };
    }
}
