// Entry point of the chat page: discovers the server (gateway's /parley-client.json), shows the sign-in form,
// then the chat. No frameworks and no other hosts: plain ES modules served by Parley itself.
import { Connection, discover } from './xmpp/connection.js';
import { ChatClient } from './app/client.js';
import { loginView } from './app/login.js';
import { chatView } from './app/view.js';

const root = document.getElementById('app');
const params = new URLSearchParams(location.search);

async function start(notice = '') {
    let config;
    try {
        config = await discover();
    } catch (e) {
        loginView(root, () => Promise.reject(e), { notice: 'The server cannot be reached. Reload the page to try again.' });
        return;
    }
    // ?transport=bosh: for networks that break WebSockets (and to try the fallback path on purpose).
    const transports = params.get('transport') === 'bosh' ? ['bosh'] : ['websocket', 'bosh'];
    loginView(root, async ({ username, password, register }) => {
        const connection = new Connection(Object.assign(config, { transports, debug: params.has('debug') }));
        const client = new ChatClient(connection, username.toLowerCase());
        await connection.connect({ username, password, register });
        try { localStorage.setItem('parley.username', username); } catch (e) { /* private mode */ }
        window.parley = client; // for diagnostics from the console
        // Leaving the page ends the session now: otherwise the server would hold it for stream resumption
        // (XEP-0198) and the user would seem to stay in the rooms for minutes.
        window.addEventListener('pagehide', () => connection.close(), { once: true });
        chatView(root, client, () => start());
    }, { username: (() => { try { return localStorage.getItem('parley.username') || ''; } catch (e) { return ''; } })(), notice });
}

start();
