package org.parley.client.ui.chat;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.util.function.Consumer;

import javax.swing.JButton;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextField;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;

import org.parley.client.core.ChatMessage;

/** One chat tab: transcript, the partner's typing state, input. A thin view over {@link ChatsModel}. */
public final class ChatPanel extends JPanel {

    private static final long serialVersionUID = 1L;

    private final String jid;
    private final org.parley.client.ui.Transcript transcript = new org.parley.client.ui.Transcript("chat.transcript");
    private final JLabel typing = named("chat.typing", new JLabel(" "));
    private final JTextField input = named("chat.input", new JTextField());
    private final transient ChatsModel model;
    private transient Runnable onClose = () -> { };

    public ChatPanel(ChatsModel model, String jid, Consumer<String> showError) {
        super(new BorderLayout());
        this.jid = jid;
        this.model = model;
        setName("chat:" + jid);
        JButton send = named("chat.send", new JButton("Send"));
        Runnable sendNow = () -> {
            model.send(jid, input.getText(), showError);
            input.setText("");
        };
        send.addActionListener(e -> sendNow.run());
        input.addActionListener(e -> sendNow.run());
        input.getDocument().addDocumentListener(new DocumentListener() {
            @Override
            public void insertUpdate(DocumentEvent e) {
                model.typing(jid, !input.getText().isEmpty());
            }

            @Override
            public void removeUpdate(DocumentEvent e) {
                model.typing(jid, !input.getText().isEmpty());
            }

            @Override
            public void changedUpdate(DocumentEvent e) {
            }
        });
        JPanel bottom = new JPanel(new BorderLayout(4, 0));
        bottom.add(typing, BorderLayout.NORTH);
        bottom.add(input, BorderLayout.CENTER);
        JButton close = named("chat.close", new JButton("Close"));
        close.setToolTipText("Close this chat (its history stays on the server)");
        close.addActionListener(e -> onClose.run());
        JPanel sending = new JPanel(new BorderLayout(4, 0));
        sending.add(send, BorderLayout.WEST);
        sending.add(close, BorderLayout.CENTER);
        sending.add(new org.parley.client.ui.FileSendPanel("chat", (file, progress, failed) ->
                model.sendFile(jid, file, progress, failed), showError), BorderLayout.EAST);
        bottom.add(sending, BorderLayout.EAST);
        add(new JScrollPane(transcript), BorderLayout.CENTER);
        add(bottom, BorderLayout.SOUTH);
    }

    /** What the Close button does (the main window removes the tab). */
    public void onClose(Runnable action) {
        this.onClose = action;
    }

    public String jid() {
        return jid;
    }

    /** Shows the conversation as it is now. */
    public void show(Conversation conversation) {
        ChatsModel model = this.model;
        java.util.List<org.parley.client.ui.Transcript.Line> lines = new java.util.ArrayList<>();
        for (ChatMessage m : conversation.messages()) {
            String extra = ((conversation.edited(m) ? "(edited) " : "")
                    + (conversation.reactions(m).isEmpty() ? "" : "[" + String.join(" ", conversation.reactions(m)) + "]")).strip();
            lines.add(new org.parley.client.ui.Transcript.Line(m.time(), m.outgoing() ? "me" : model.displayName(m.from()),
                    m.body(), m.outgoing(), extra));
        }
        transcript.show(lines);
        String notice = conversation.typingNotice();
        typing.setText(notice.isEmpty() ? " " : notice.replace(jid, model.displayName(jid)));
    }

    public void focusInput() {
        input.requestFocusInWindow();
    }
}
