package org.parley.client.ui.login;

/**
 * What the user typed into the login form.
 *
 * @param server {@code host}, {@code host:port} or empty (then the address's domain on port 5222)
 * @param jid the account, {@code user@domain}
 * @param password the password
 * @param createAccount register the account first (XEP-0077 in-band registration)
 * @param rememberPassword keep the password on disk (see DesktopSettings) for the next start
 */
public record LoginForm(String server, String jid, String password, boolean createAccount, boolean rememberPassword) {

    @Override
    public String toString() {
        return "LoginForm[server=" + server + ", jid=" + jid + ", createAccount=" + createAccount + "]"; // no password
    }
}
