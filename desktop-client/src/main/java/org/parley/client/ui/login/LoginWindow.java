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

/** The login screen: server, address, password, "create account", "remember password". A thin view. */
public final class LoginWindow extends JFrame implements LoginView {

    private static final long serialVersionUID = 1L;

    private final transient LoginPresenter presenter;
    private final transient Consumer<ParleyClient> onLogin;
    private final JTextField server = named("login.server", new JTextField(22));
    private final JTextField jid = named("login.jid", new JTextField(22));
    private final JPasswordField password = named("login.password", new JPasswordField(22));
    private final JCheckBox create = named("login.create", new JCheckBox("Create this account on the server (XEP-0077)"));
    private final JCheckBox remember = named("login.remember", new JCheckBox("Remember password on this computer"));
    private final JButton submit = named("login.submit", new JButton("Log in"));
    private final JLabel error = Swing.errorLabel("login.error");

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
        remember.setToolTipText("Kept obfuscated, NOT encrypted, in " + presenter.passwordFile() + " (readable by you only)");
        create.addActionListener(e -> submit.setText(create.isSelected() ? "Create account and log in" : "Log in"));

        JPanel form = new JPanel(new GridBagLayout());
        form.setBorder(BorderFactory.createEmptyBorder(16, 16, 8, 16));
        formRow(form, 0, "Server", server);
        formRow(form, 1, "Address", jid);
        formRow(form, 2, "Password", password);
        formRow(form, 3, null, create);
        formRow(form, 4, null, remember);
        formRow(form, 5, null, error);
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
        for (JComponent c : new JComponent[] {server, jid, password, create, remember, submit}) {
            c.setEnabled(!busy);
        }
        if (busy) {
            error.setText("Connecting…");
        }
    }

    @Override
    public void failed(String message) {
        error.setText(message);
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
