package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;


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
        Logger audit = (Logger) LoggerFactory.getLogger("org.parley.audit");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        audit.addAppender(lines);
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
            audit.detachAppender(lines);
        }
        assertTrue(server.server().accounts().checkPassword("created", "created-password"));
        // Issue 20: every admin action leaves an audit line naming the action, its target and who did it.
        ILoggingEvent line = lines.list.stream().filter(e -> e.getFormattedMessage().contains("action=add-user"))
                .findFirst().orElseThrow(() -> new AssertionError("no audit line: " + lines.list));
        assertEquals("admin action=add-user target=created@localhost", line.getFormattedMessage());
        assertTrue(String.valueOf(line.getMDCPropertyMap().get("user")).startsWith("admin@localhost"),
                "who: " + line.getMDCPropertyMap());
    }
}
