// Signs in at once with this browser's device token (the password is never stored), or shows the form.
import { Connection, discover } from './xmpp/connection.js';
import { ChatClient } from './app/client.js';
import { loginView } from './app/login.js';
import { chatView } from './app/view.js';
import { read, write, capitalize } from './app/text.js';

const root = document.getElementById('app');
const params = new URLSearchParams(location.search);
const SESSION_KEY = 'parley.session';

/** {username, id, secret} of this browser's device token, or null. */
function savedSession() {
	try {
		const s = JSON.parse(read(SESSION_KEY) || 'null');
		return s && typeof s.username === 'string' && typeof s.secret === 'string' ? s : null;
	} catch (e) {
		return null;
	}
}

/** What the page keeps per account in this browser (joined rooms, the open conversation, presence). */
function accountStore(username) {
	const prefix = `parley.${username}.`;
	return { get: k => read(prefix + k), set: (k, v) => write(prefix + k, v), remove: k => write(prefix + k, null) };
}

async function start(notice = '') {
	let config;
	try {
		config = await discover();
	} catch (e) {
		loginView(root, () => Promise.reject(e), { notice: 'The server cannot be reached. Reload the page to try again.' });
		return;
	}
	// ?transport=bosh: for networks that break WebSockets
	const transports = params.get('transport') === 'bosh' ? ['bosh'] : ['websocket', 'bosh'];
	const open = username => {
		const connection = new Connection(Object.assign({}, config, { transports, debug: params.has('debug') }));
		const client = new ChatClient(connection, username.toLowerCase(), {
			store: accountStore(username.toLowerCase()),
			onToken: token => write(SESSION_KEY, JSON.stringify({ username, id: token.id, secret: token.secret })),
		});
		window.parley = client; // for diagnostics and tests
		// Leaving ends the session now, not after the server's XEP-0198 resumption time.
		window.addEventListener('pagehide', () => connection.close(), { once: true });
		return { connection, client };
	};
	const loggedOut = (message = '') => {
		write(SESSION_KEY, null);
		start(message);
	};

	const saved = notice ? null : savedSession();
	if (saved) {
		// the conversation skeleton at once: first paint does not wait for the server
		const { connection, client } = open(saved.username);
		chatView(root, client, loggedOut);
		connection.connect({ username: saved.username, token: { id: saved.id, secret: saved.secret } }).catch(e => {
			if (e.kind === 'token' || e.kind === 'auth') {
				loggedOut(capitalize(e.message));
			} else {
				client.notify(`${e.message}; reload the page to try again`);
			}
		});
		return;
	}
	loginView(root, async ({ username, password, register }) => {
		const { connection, client } = open(username);
		await connection.connect({ username, password, register });
		write('parley.username', username);
		chatView(root, client, loggedOut);
	}, { username: read('parley.username') || '', notice });
}

start();
