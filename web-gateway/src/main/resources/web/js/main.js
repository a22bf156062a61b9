// Entry point of the chat page: discovers the server (gateway's /parley-client.json), then either signs in at
// once with this browser's saved device token (so a reload or a restarted browser stays signed in, without the
// password ever being stored) or shows the sign-in form. No frameworks and no other hosts: plain ES modules
// served by Parley itself.
import { Connection, discover } from './xmpp/connection.js';
import { ChatClient } from './app/client.js';
import { loginView } from './app/login.js';
import { chatView } from './app/view.js';

const root = document.getElementById('app');
const params = new URLSearchParams(location.search);
const SESSION_KEY = 'parley.session';

function read(key) {
  try { return localStorage.getItem(key); } catch (e) { return null; } // private mode
}
function write(key, value) {
  try { localStorage.setItem(key, value); } catch (e) { /* private mode: nothing is remembered */ }
}
function remove(key) {
  try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
}

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
  return { get: k => read(prefix + k), set: (k, v) => write(prefix + k, v), remove: k => remove(prefix + k) };
}

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
  const open = username => {
    const connection = new Connection(Object.assign({}, config, { transports, debug: params.has('debug') }));
    const client = new ChatClient(connection, username.toLowerCase(), {
      store: accountStore(username.toLowerCase()),
      onToken: token => write(SESSION_KEY, JSON.stringify({ username, id: token.id, secret: token.secret })),
    });
    window.parley = client; // for diagnostics from the console, and the browser tests
    // Leaving the page ends the session now: otherwise the server would hold it for stream resumption
    // (XEP-0198) and the user would seem to stay in the rooms for minutes.
    window.addEventListener('pagehide', () => connection.close(), { once: true });
    return { connection, client };
  };
  const loggedOut = (message = '') => {
    remove(SESSION_KEY);
    start(message);
  };

  const saved = notice ? null : savedSession();
  if (saved) {
    // Show the conversation skeleton at once (first paint does not wait for the server), then sign in.
    const { connection, client } = open(saved.username);
    chatView(root, client, loggedOut);
    connection.connect({ username: saved.username, token: { id: saved.id, secret: saved.secret } }).catch(e => {
      if (e.kind === 'token' || e.kind === 'auth') {
        loggedOut(e.message.charAt(0).toUpperCase() + e.message.substring(1) + '.');
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
