package org.parley.app;

import java.io.Reader;
import java.time.Clock;
import java.util.List;

import org.parley.server.accounts.AccountService;
import org.parley.server.config.ServerSettings;
import org.parley.server.devicetokens.DeviceTokens;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;

/**
 * {@link AccountAdmin} on the configured database via {@link JdbcStorage} and {@link AccountService}: the
 * same storage and password hashing the server uses. With the embedded database only one process can
 * have it open, so the server must be stopped while these commands run.
 */
final class JdbcAccountAdmin implements AccountAdmin {

    private final Storage storage;
    private final AccountService accounts;

    private JdbcAccountAdmin(Storage storage, AccountService accounts) {
        this.storage = storage;
        this.accounts = accounts;
    }

    static AccountAdmin open(ServerSettings settings) {
        Storage storage = JdbcStorage.open(settings.storage(), settings.dataDirectory());
        try {
            AccountService accounts = new AccountService(storage.accounts(), settings.limits().scramIterations());
            // The archive is kept under the bare JID, which only the domain completes.
            accounts.onDeleted(user -> storage.archive().deleteArchive(user + "@" + settings.domain()));
            // A reset password also signs out the account's devices, as it does on a running server.
            accounts.onPasswordChanged(new DeviceTokens(storage.documents(), Clock.systemUTC())::revokeAll);
            return new JdbcAccountAdmin(storage, accounts);
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    @Override
    public String create(String username, String password) {
        return accounts.create(username, password);
    }

    @Override
    public void setPassword(String username, String password) {
        accounts.setPassword(username, password);
    }

    @Override
    public void delete(String username) {
        accounts.delete(username);
    }

    @Override
    public List<String> list() {
        return accounts.list();
    }

    @Override
    public ImportSummary importAccounts(Reader reader, java.util.function.BiConsumer<Integer, Integer> progress) {
        var result = accounts.importAccounts(reader, progress::accept);
        return new ImportSummary(result.created(), result.skipped(), List.copyOf(result.invalidLines()));
    }

    @Override
    public void close() {
        storage.close();
    }
}
