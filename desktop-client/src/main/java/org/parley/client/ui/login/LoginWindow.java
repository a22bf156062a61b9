package org.parley.client.ui.login;

import static org.parley.client.ui.Swing.formRow;
import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.GridBagLayout;
import java.util.function.Consumer;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComponent;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JTextField;
import javax.swing.WindowConstants;

import org.parley.client.core.ParleyClient;
import org.parley.client.core.UntrustedCertificateException;
import org.parley.client.ui.Swing;

/**
 * The login screen: address, password, "create a new account", "remember password", and under "Advanced" the
 * server to connect to (only needed when it differs from the address's domain). A thin view.
 */
public final class LoginWindow extends JFrame implements LoginView {

    private static final long serialVersionUID = 1L;

    private final transient LoginPresenter presenter;
    private final transient Consumer<ParleyClient> onLogin;
    private final JTextField server = named("login.server", new JTextField(22));
    private final JTextField jid = named("login.jid", new JTextField(22));
    private final JPasswordField password = named("login.password", new JPasswordField(22));
    private final JCheckBox create = named("login.create", new JCheckBox("This is a new account: create it on the server"));
    private final JCheckBox advanced = named("login.advanced", new JCheckBox("Advanced: connect to a different server"));
    private final JLabel serverLabel = new JLabel("Server");
    private final JCheckBox remember = named("login.remember", new JCheckBox("Remember password on this computer"));
    private final JButton submit = named("login.submit", new JButton("Log in"));
    private final javax.swing.JTextArea error = Swing.errorText("login.error", 32);

    public LoginWindow(LoginPresenter presenter, Consumer<ParleyClient> onLogin) {
        super("Parley — log in");
        setName("login.window");
        this.presenter = presenter;
        this.onLogin = onLogin;
        setDefaultCloseOperation(WindowConstants.DISPOSE_ON_CLOSE);

        LoginForm initial = presenter.initialForm();
        server.setText(initial.server());
        jid.setText(initial.jid());
        password.setText(initial.password());
        remember.setSelected(initial.rememberPassword());
        server.setToolTipText("host or host:port; empty: the domain of your address, port 5222");
        server.putClientProperty("JTextField.placeholderText", "host or host:port (empty: from your address)");
        jid.putClientProperty("JTextField.placeholderText", "name@example.org");
        jid.setToolTipText("Your address, like an e-mail address: your name, @, the server's domain");
        remember.setToolTipText("Kept obfuscated, NOT encrypted, in " + presenter.passwordFile() + " (readable by you only)");
        create.addActionListener(e -> submit.setText(create.isSelected() ? "Create account and log in" : "Log in"));

        JPanel form = new JPanel(new GridBagLayout());
        form.setBorder(BorderFactory.createEmptyBorder(16, 16, 8, 16));
        // Address first, as every other client asks: the server is derived from it and only rarely needed.
        formRow(form, 0, "Your address", jid);
        formRow(form, 1, "Password", password);
        formRow(form, 2, null, create);
        formRow(form, 3, null, remember);
        formRow(form, 4, null, advanced);
        java.awt.GridBagConstraints labelAt = new java.awt.GridBagConstraints();
        labelAt.gridx = 0;
        labelAt.gridy = 5;
        labelAt.anchor = java.awt.GridBagConstraints.WEST;
        labelAt.insets = new java.awt.Insets(4, 4, 4, 4);
        form.add(serverLabel, labelAt);
        formRow(form, 5, null, server);
        formRow(form, 6, null, error);
        boolean showServer = !initial.server().isBlank();
        advanced.setSelected(showServer);
        serverLabel.setVisible(showServer);
        server.setVisible(showServer);
        advanced.addActionListener(e -> {
            serverLabel.setVisible(advanced.isSelected());
            server.setVisible(advanced.isSelected());
            pack();
        });
        JPanel buttons = new JPanel();
        buttons.add(submit);
        getContentPane().add(form, BorderLayout.CENTER);
        getContentPane().add(buttons, BorderLayout.SOUTH);
        getRootPane().setDefaultButton(submit);
        submit.addActionListener(e -> presenter.submit(form(), this));
        pack();
        setLocationRelativeTo(null);
    }


    private LoginForm form() {
        return new LoginForm(server.getText(), jid.getText(), new String(password.getPassword()), create.isSelected(),
                remember.isSelected());
    }

    @Override
    public void busy(boolean busy) {
        for (JComponent c : new JComponent[] {server, jid, password, create, remember, advanced, submit}) {
            c.setEnabled(!busy);
        }
        if (busy) {
            error.setText("Connecting…");
        }
    }

    @Override
    public void failed(String message) {
        error.setText(message);
        pack(); // the whole message, wrapped: the window grows rather than cutting it off
    }

    @Override
    public void untrusted(LoginForm form, UntrustedCertificateException certificate) {
        error.setText("The server's certificate is not trusted.");
        if (TrustDialog.ask(this, certificate)) {
            presenter.trustAndRetry(form, certificate, this);
        }
    }

    @Override
    public void loggedIn(ParleyClient client) {
        error.setText(" ");
        dispose();
        onLogin.accept(client);
    }
}
