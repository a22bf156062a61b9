package org.parley.server.accounts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.authorization.AccountCreationException;
import org.apache.vysper.xmpp.authorization.AccountManagement;
import org.apache.vysper.xmpp.authorization.UserAuthorization;

/**
 * Vysper's account interfaces (used by its XEP-0133 admin commands) on Parley's {@link AccountService},
 * so that every account change goes through the same validation and SCRAM hashing.
 */
public final class VysperAccounts implements AccountManagement, UserAuthorization {

    /**
     * One INFO line per admin action, on its own logger so that operators can route it to an audit file. Who did
     * it is the stream's {@code user} in the logging context (the admin whose command this is).
     */
    private static final Logger AUDIT = LoggerFactory.getLogger("org.parley.audit");

    private final AccountService accounts;
    private final String domain;

    public VysperAccounts(AccountService accounts, String domain) {
        this.accounts = accounts;
        this.domain = domain;
    }

    @Override
    public void addUser(Entity username, String password) throws AccountCreationException {
        requireLocal(username);
        try {
            accounts.create(username.getNode(), password);
            AUDIT.info("admin action=add-user target={}", username.getBareJID());
        } catch (AccountException e) {
            AUDIT.info("admin action=add-user target={} refused={}", username.getBareJID(), e.getMessage());
            throw new AccountCreationException(e.getMessage());
        }
    }

    @Override
    public void changePassword(Entity username, String password) throws AccountCreationException {
        requireLocal(username);
        try {
            accounts.setPassword(username.getNode(), password);
            AUDIT.info("admin action=change-user-password target={}", username.getBareJID());
        } catch (AccountException e) {
            AUDIT.info("admin action=change-user-password target={} refused={}", username.getBareJID(), e.getMessage());
            throw new AccountCreationException(e.getMessage());
        }
    }

    @Override
    public boolean verifyAccountExists(Entity jid) {
        return jid != null && jid.getNode() != null && domain.equals(jid.getDomain()) && accounts.exists(jid.getNode());
    }

    @Override
    public boolean verifyCredentials(Entity jid, String passwordCleartext, Object credentials) {
        return verifyAccountExists(jid) && accounts.checkPassword(jid.getNode(), passwordCleartext);
    }

    @Override
    public boolean verifyCredentials(String username, String passwordCleartext, Object credentials) {
        return accounts.checkPassword(username, passwordCleartext);
    }

    private void requireLocal(Entity jid) throws AccountCreationException {
        if (jid == null || jid.getNode() == null || !domain.equals(jid.getDomain())) {
            throw new AccountCreationException("accounts can only be created in " + domain);
        }
    }
}
