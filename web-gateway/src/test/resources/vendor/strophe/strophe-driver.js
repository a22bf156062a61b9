// Test driver for StropheInteropTest: wraps Strophe.js (an XMPP library nobody on the team wrote, loaded from
// strophe.umd.min.js beside this file) in a few calls the Java test makes through WebDriver. Everything the
// client sees is recorded in window.stropheTest so the test can wait on it.
(function () {
    'use strict';
    const text = (el, name) => {
        const child = el.getElementsByTagName(name)[0];
        return child ? child.textContent : null;
    };
    const client = {
        statuses: [],
        messages: [],
        presences: [],
        transcript: [],
        connection: null,

        /** Connects and authenticates; done(result) gets "connected <full jid> <mechanism>" or "failed ...". */
        connect(service, jid, password, done) {
            const connection = new Strophe.Connection(service);
            client.connection = connection;
            connection.rawInput = data => client.transcript.push('IN  ' + data);
            connection.rawOutput = data => client.transcript.push('OUT ' + data);
            connection.addHandler(m => {
                client.messages.push({
                    from: m.getAttribute('from'),
                    type: m.getAttribute('type'),
                    body: text(m, 'body'),
                    delayed: m.getElementsByTagName('delay').length > 0,
                });
                return true;
            }, null, 'message');
            connection.addHandler(p => {
                const statuses = Array.from(p.getElementsByTagName('status'))
                    .map(s => s.getAttribute('code')).filter(c => c);
                client.presences.push({ from: p.getAttribute('from'), type: p.getAttribute('type'), statuses });
                return true;
            }, null, 'presence');
            connection.connect(jid, password, (status, condition) => {
                client.statuses.push(status);
                if (status === Strophe.Status.CONNECTED) {
                    const mechanism = connection._sasl_mechanism ? connection._sasl_mechanism.mechname : '?';
                    done('connected ' + connection.jid + ' ' + mechanism);
                } else if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL
                        || status === Strophe.Status.ERROR) {
                    done('failed ' + status + ' ' + condition + '\n' + client.transcript.join('\n'));
                }
            });
        },

        /** Enters a room (XEP-0045 §7.2.1). */
        join(roomJid, nick) {
            client.connection.send($pres({ to: roomJid + '/' + nick })
                .c('x', { xmlns: 'http://jabber.org/protocol/muc' })
                .c('history', { maxstanzas: '0' }));
        },

        groupchat(roomJid, body) {
            client.connection.send($msg({ to: roomJid, type: 'groupchat' }).c('body').t(body));
        },

        chat(to, body) {
            client.connection.send($msg({ to, type: 'chat' }).c('body').t(body));
        },

        disconnect() {
            client.connection.disconnect('bye');
        },
    };
    window.stropheTest = client;
})();
