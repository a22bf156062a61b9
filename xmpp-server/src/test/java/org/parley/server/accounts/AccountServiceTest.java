package org.parley.server.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.parley.server.sasl.ScramHash;

class AccountServiceTest {

    private final MemoryAccountStore store = new MemoryAccountStore();
    private final AccountService accounts = new AccountService(store, 64);

    private static void assertRejected(String message, Runnable action) {
        assertEquals(message, assertThrows(AccountException.class, action::run).getMessage());
    }

    @Test
    void createNormalisesAndStoresVerifiersOnly() {
        assertEquals("alice", accounts.create("Alice", "secret1"));
        assertTrue(accounts.exists("ALICE"));
        assertEquals(List.of("alice"), accounts.list());
        assertEquals(64, store.credentials("alice").orElseThrow().get(ScramHash.SHA_256).iterations());
        assertEquals(2, store.credentials("alice").orElseThrow().size());
        assertTrue(accounts.checkPassword("alice", "secret1"));
        assertFalse(accounts.checkPassword("alice", "secret2"));
        assertFalse(accounts.checkPassword("bob", "secret1"));
        assertRejected("username 'alice' is taken", () -> accounts.create("alice", "another1"));
    }

    @Test
    void usernameValidation() {
        assertRejected("username must not be empty", () -> accounts.create("", "secret1"));
        assertRejected("username 'a@b' must not contain '@' or '/'", () -> accounts.create("a@b", "secret1"));
        assertRejected("username 'a/b' must not contain '@' or '/'", () -> accounts.create("a/b", "secret1"));
        assertRejected("username 'a b' contains a character that is not allowed",
                () -> accounts.create("a b", "secret1"));
        assertRejected("username 'a\"b' contains a character that is not allowed",
                () -> accounts.create("a\"b", "secret1"));
        assertRejected("username is longer than 1023 bytes", () -> accounts.create("x".repeat(1024), "secret1"));
        accounts.create("x".repeat(1023), "secret1");
        assertFalse(accounts.exists("a@b"));
    }

    @Test
    void passwordValidation() {
        assertRejected("password must not be empty", () -> accounts.create("bob", ""));
        assertRejected("password must be at least 6 characters", () -> accounts.create("bob", "12345"));
        assertRejected("password must be at most 1024 characters", () -> accounts.create("bob", "x".repeat(1025)));
        assertThrows(AccountException.class, () -> accounts.create("bob", "secret\u0007"));
        assertRejected("password must be at least 10 characters",
                () -> new AccountService(store, 64, 10).create("bob", "123456789"));
        assertFalse(accounts.exists("bob"));
    }

    @Test
    void setPasswordAndDelete() {
        accounts.create("carol", "first-pw");
        accounts.setPassword("Carol", "second-pw");
        assertFalse(accounts.checkPassword("carol", "first-pw"));
        assertTrue(accounts.checkPassword("carol", "second-pw"));
        assertRejected("no account 'dave'", () -> accounts.setPassword("dave", "second-pw"));
        accounts.delete("carol");
        assertFalse(accounts.exists("carol"));
        assertRejected("no account 'carol'", () -> accounts.delete("carol"));
    }

    @Test
    void importAccounts() {
        accounts.create("existing", "secret1");
        String input = String.join("\n",
                "# users for the demo",
                "alice:wonderland",
                "",
                "Bob\tbuilder:with:colons",
                "existing:whatever",
                "no-separator",
                "carol:short",
                "alice:again-alice",
                "   # indented comment",
                "a b:secret12",
                "dave:secret12");
        AccountService.ImportResult result = accounts.importAccounts(new StringReader(input));
        assertEquals(3, result.created());
        assertEquals(2, result.skipped());
        assertEquals(List.of(6, 7, 10), result.invalidLines());
        assertEquals(3, result.invalid());
        assertTrue(accounts.checkPassword("bob", "builder:with:colons"));
        assertTrue(accounts.checkPassword("alice", "wonderland"));
        assertTrue(accounts.checkPassword("existing", "secret1"));
        assertEquals(List.of("alice", "bob", "dave", "existing"), accounts.list());
    }
}
