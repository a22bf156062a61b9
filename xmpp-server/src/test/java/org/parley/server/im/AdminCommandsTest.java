package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertTrue;


import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.commands.AdHocCommand;
import org.jivesoftware.smackx.commands.AdHocCommandManager;
import org.jivesoftware.smackx.commands.AdHocCommandResult;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** XEP-0133 service administration by a configured admin JID. */
class AdminCommandsTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("admin"); // admins = [admin@localhost]

    @Test
    void xep0133_4_1_adminAddsAUserWhoCanThenLogIn() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        try {
            AdHocCommand command = AdHocCommandManager.getInstance(admin)
                    .getRemoteCommand(JidCreate.from("localhost"), "http://jabber.org/protocol/admin#add-user");
            AdHocCommandResult.StatusExecuting first = command.execute().asExecutingOrThrow();
            FillableForm form = first.getFillableForm();
            form.setAnswer("accountjid", "created@localhost");
            form.setAnswer("password", "created-password");
            form.setAnswer("password-verify", "created-password");
            command.complete(form.getSubmitForm());
        } finally {
            admin.disconnect();
        }
        assertTrue(server.server().accounts().checkPassword("created", "created-password"));
    }
}
