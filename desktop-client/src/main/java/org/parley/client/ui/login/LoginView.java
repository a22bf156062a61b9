package org.parley.client.ui.login;

import org.parley.client.core.ParleyClient;
import org.parley.client.core.UntrustedCertificateException;

/** What the {@link LoginPresenter} tells the login screen; called on the UI thread. */
public interface LoginView {

    /** A login is under way (disable the form) or over. */
    void busy(boolean busy);

    /** The login failed or the form is wrong; {@code message} says why in one line. */
    void failed(String message);

    /**
     * The server's certificate is not trusted. Show {@link UntrustedCertificateException#fingerprint()} (and the
     * previously pinned one, when it changed) and let the user decide: {@link LoginPresenter#trustAndRetry}
     * or nothing.
     */
    void untrusted(LoginForm form, UntrustedCertificateException certificate);

    /** Logged in: the main window takes over {@code client}. */
    void loggedIn(ParleyClient client);
}
