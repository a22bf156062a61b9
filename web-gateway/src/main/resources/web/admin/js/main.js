// The admin console at /admin: logs in over XMPP (the chat page's connection module: WebSocket, BOSH fallback,
// the same SASL) as an account listed in the server's `admins`, and does everything through ad-hoc commands
// (XEP-0050/XEP-0133 and Parley's urn:parley:admin:0). No cookie, no HTTP session, no password check of its own:
// the server decides per stanza, and a non-admin gets its `forbidden` answer, which the page shows.
import { Connection, discover } from '../../js/xmpp/connection.js';
import { h } from '../../js/app/text.js';
import { Commands, XEP0133, PARLEY, value } from './commands.js';
import { Series, chart, draw } from './charts.js';

const root = document.getElementById('app');
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(1, Number(params.get('interval')) || 10) * 1000;
// The server's bounds on what an admin sends on to users (Command.MAX_TEXT_CHARS), so the page stops typing there.
const MAX_TEXT = 10000;

function loginView(config, notice = '') {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert', 'aria-live': 'assertive' }, notice);
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false', maxlength: 1023 });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { id: 'login-button', type: 'submit' }, 'Log in');
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Parley admin'),
    h('p', { class: 'lead' }, `Log in with an account listed in the admins setting of ${config.domain}.`),
    h('label', { for: 'username' }, 'Name'), user,
    h('label', { for: 'password' }, 'Password'), password,
    h('div', { class: 'buttons' }, button), error);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const name = user.value.trim();
    if (!name || !password.value) {
      error.textContent = 'Enter a name and a password.';
      return;
    }
    error.textContent = 'Logging in…';
    button.disabled = true;
    const transports = params.get('transport') === 'bosh' ? ['bosh'] : ['websocket', 'bosh'];
    const connection = new Connection(Object.assign({}, config, { transports, reconnect: true }));
    try {
      await connection.connect({ username: name, password: password.value });
    } catch (err) {
      error.textContent = err.kind === 'auth' ? 'Wrong username or password.' : capitalize(err.message);
      button.disabled = false;
      return;
    }
    window.addEventListener('pagehide', () => connection.close(), { once: true });
    const commands = new Commands(connection, config.domain);
    try {
      // The first command says whether this account may administer the server at all.
      const stats = await commands.run(PARLEY + 'stats');
      consoleView(config, connection, commands, stats);
    } catch (err) {
      connection.close();
      refusedView(config, name, err);
    }
  });
  root.replaceChildren(h('main', { class: 'login-screen' }, form));
  user.focus();
}

function refusedView(config, name, err) {
  const why = err.condition === 'forbidden'
    ? `${name}@${config.domain} is not an administrator of this server: it answered "forbidden" (${err.text || 'not in admins'}). `
      + 'An operator adds the account to the admins setting in config/parley.conf.'
    : `The server refused the admin commands: ${err.text || err.condition || err.message}.`;
  root.replaceChildren(h('main', { class: 'refused', id: 'refused', role: 'alert' },
    h('h1', {}, 'Not an administrator'), h('p', {}, why),
    h('button', { type: 'button', id: 'back-to-login', onclick: () => loginView(config) }, 'Log in as someone else')));
}

function capitalize(s) {
  s = String(s || '');
  return s ? s[0].toUpperCase() + s.substring(1) + (/[.!?]$/.test(s) ? '' : '.') : s;
}

function formatBytes(n) {
  n = Number(n);
  if (!Number.isFinite(n) || n < 0) return '–';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds) {
  const s = Number(seconds);
  const d = Math.floor(s / 86400);
  const hh = Math.floor(s % 86400 / 3600);
  const mm = Math.floor(s % 3600 / 60);
  return d > 0 ? `${d} d ${hh} h` : hh > 0 ? `${hh} h ${mm} min` : `${mm} min ${Math.floor(s % 60)} s`;
}

function consoleView(config, connection, commands, firstStats) {
  const status = h('p', { id: 'admin-status', class: 'result', role: 'status', 'aria-live': 'polite' });
  const connectionStatus = h('span', { class: 'status', id: 'connection-status', 'data-status': 'online' }, 'online');
  connection.addEventListener('status', e => {
    connectionStatus.dataset.status = e.detail.status;
    connectionStatus.textContent = e.detail.status;
  });
  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle('error', error);
  };
  // Runs an action, shows its note or its error; returns the result or null.
  // quiet: a lookup (search, list) that must not replace the last action's message.
  const act = async (node, values, { quiet = false } = {}) => {
    if (!quiet) say('Working…');
    try {
      const result = await commands.run(node, values);
      if (!quiet) say(result.note || 'Done.');
      return result;
    } catch (err) {
      say(`Refused: ${err.text || err.message}${err.condition ? ` (${err.condition})` : ''}`, true);
      return null;
    }
  };

  const panels = {
    dashboard: dashboard(commands, firstStats, say),
    users: usersPanel(commands, act, config),
    rooms: roomsPanel(commands, act),
    announcements: announcementsPanel(commands, act),
    security: securityPanel(commands, say),
  };
  const names = { dashboard: 'Dashboard', users: 'Users', rooms: 'Rooms', announcements: 'Announcements', security: 'Security' };
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Console sections' });
  const main = h('main', {});
  for (const [key, panel] of Object.entries(panels)) {
    const tab = h('button', { type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': `panel-${key}`,
      'aria-selected': key === 'dashboard' ? 'true' : 'false', tabindex: key === 'dashboard' ? '0' : '-1' }, names[key]);
    tab.addEventListener('click', () => select(key));
    tabs.append(tab);
    panel.element.id = `panel-${key}`;
    panel.element.setAttribute('role', 'tabpanel');
    panel.element.setAttribute('aria-labelledby', `tab-${key}`);
    panel.element.hidden = key !== 'dashboard';
    main.append(panel.element);
  }
  function select(key) {
    for (const [k, panel] of Object.entries(panels)) {
      const tab = document.getElementById(`tab-${k}`);
      tab.setAttribute('aria-selected', String(k === key));
      tab.tabIndex = k === key ? 0 : -1;
      panel.element.hidden = k !== key;
    }
    say('');
    if (panels[key].shown) panels[key].shown();
  }
  tabs.addEventListener('keydown', e => {
    const keys = Object.keys(panels);
    const current = keys.findIndex(k => document.getElementById(`tab-${k}`).getAttribute('aria-selected') === 'true');
    const next = e.key === 'ArrowRight' ? (current + 1) % keys.length : e.key === 'ArrowLeft' ? (current + keys.length - 1) % keys.length : -1;
    if (next >= 0) {
      select(keys[next]);
      document.getElementById(`tab-${keys[next]}`).focus();
    }
  });
  const logout = h('button', { type: 'button', class: 'secondary', id: 'logout-button', onclick: () => {
    connection.close();
    loginView(config);
  } }, 'Log out');
  root.replaceChildren(h('div', { class: 'admin' },
    h('header', { class: 'topbar' }, h('h1', { class: 'visually-hidden' }, 'Parley admin'),
      h('strong', {}, `Parley admin · ${config.domain}`), connectionStatus,
      h('span', { class: 'me' }, connection.jid || ''), logout),
    tabs, h('div', {}, status), main));
  window.parleyAdmin = { connection, commands }; // for diagnostics and the browser tests
}

// ---------------------------------------------------------------- dashboard

function dashboard(commands, firstStats, say) {
  const element = h('section', {});
  const series = {};
  const charts = {};
  const card = (id, title) => {
    const figure = h('div', { class: 'figure', id: `stat-${id}` }, '–');
    const detail = h('div', { class: 'detail', id: `stat-${id}-detail` });
    const c = chart(`${title}, last hour`);
    charts[id] = c;
    series[id] = new Series(Math.ceil(3600 * 1000 / POLL_MS) + 1);
    return { el: h('div', { class: 'card' }, h('h3', {}, title), figure, detail, c), figure, detail };
  };
  const cards = {
    sessions: card('sessions', 'Sessions'),
    logins: card('logins', 'Logins per minute'),
    stanzasIn: card('stanzas-in', 'Stanzas in per second'),
    stanzasOut: card('stanzas-out', 'Stanzas out per second'),
    deliveries: card('deliveries', 'Deliveries per second'),
    rooms: card('rooms', 'Rooms and occupants'),
    heap: card('heap', 'Memory (heap)'),
    db: card('db', 'Database pool in use'),
  };
  const info = h('dl', { class: 'card', id: 'server-info' });
  element.append(h('h2', {}, 'Dashboard'),
    h('p', { class: 'muted' }, `Updated every ${POLL_MS / 1000} s; the charts show the last hour since this page opened.`),
    h('div', { class: 'cards' }, ...Object.values(cards).map(c => c.el)), h('h2', {}, 'Server'), info);
  let previous = null;
  const rate = (now, name, per) => previous ? Math.max(0, (now.values[name] - previous.values[name]) / ((now.t - previous.t) / 1000) * per) : NaN;
  const show = result => {
    const f = result.form;
    const values = {};
    for (const [k, v] of Object.entries(f.fields)) values[k] = Number(v.values[0]);
    const now = { t: Date.now(), values };
    const sessions = values['sessions-tcp'] + values['sessions-websocket'] + values['sessions-bosh'];
    const put = (id, v, figure, detail) => {
      series[id].add(now.t, v);
      cards[id === 'stanzas-in' ? 'stanzasIn' : id === 'stanzas-out' ? 'stanzasOut' : id].figure.textContent = figure;
      cards[id === 'stanzas-in' ? 'stanzasIn' : id === 'stanzas-out' ? 'stanzasOut' : id].detail.textContent = detail;
      draw(charts[id], series[id]);
    };
    const fmt = v => Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : Math.round(v)) : '–';
    put('sessions', sessions, String(sessions), `TCP ${values['sessions-tcp']} · WebSocket ${values['sessions-websocket']} · BOSH ${values['sessions-bosh']}`);
    const logins = rate(now, 'logins-success', 60);
    put('logins', logins, fmt(logins), `${values['logins-success']} logins, ${values['logins-failure']} failed since start`);
    const sin = rate(now, 'stanzas-in', 1);
    put('stanzas-in', sin, fmt(sin), `${values['stanzas-in']} since start`);
    const sout = rate(now, 'stanzas-out', 1);
    put('stanzas-out', sout, fmt(sout), `${values['stanzas-out']} since start`);
    const deliveries = rate(now, 'deliveries', 1);
    put('deliveries', deliveries, fmt(deliveries), `${values.deliveries} since start; ${values['offline-messages']} waiting offline`);
    put('rooms', values.occupants, `${values.rooms} rooms`, `${values.occupants} occupants`);
    put('heap', values['heap-used'], formatBytes(values['heap-used']), `of ${formatBytes(values['heap-max'])}; ${values['gc-count']} collections, ${values['gc-millis']} ms`);
    put('db', values['db-active'], `${values['db-active']} of ${values['db-max']}`, `${values['db-idle']} idle, ${values['db-pending']} waiting`);
    previous = now;
    const rows = [
      ['Version', value(f, 'version')], ['Uptime', formatDuration(values.uptime)],
      ['Registration', values.registration ? 'on' : 'off'], ['Messages archived since start', values['archive-writes']],
      ['Database files', formatBytes(values['database-bytes'])],
      ['Uploads', `${values['upload-files']} files, ${formatBytes(values['upload-bytes'])}` + (f.fields['upload-quota'] ? `; quota ${formatBytes(values['upload-quota'])} per user` : '')],
    ];
    info.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, String(v))]));
  };
  show(firstStats);
  const poll = async () => {
    try {
      show(await commands.run(PARLEY + 'stats'));
    } catch (err) {
      if (err.kind !== 'closed') say(`Statistics: ${err.text || err.message}`, true);
    }
  };
  const timer = setInterval(poll, POLL_MS);
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true });
  return { element };
}

// ---------------------------------------------------------------- tables and forms

function table(id, columns, rows, actions) {
  const head = h('tr', {}, ...columns.map(c => h('th', { scope: 'col' }, c.label)), actions ? h('th', { scope: 'col' }, 'Actions') : null);
  const body = rows.map(row => h('tr', { 'data-jid': row.jid || '' },
    ...columns.map(c => h('td', {}, c.render ? c.render(row) : row[c.var])),
    actions ? h('td', { class: 'actions' }, ...actions(row)) : null));
  if (body.length === 0) body.push(h('tr', {}, h('td', { class: 'muted', colspan: columns.length + (actions ? 1 : 0) }, 'None.')));
  return h('table', { class: 'data', id }, h('thead', {}, head), h('tbody', {}, ...body));
}

/** A button that asks for a second click before it does something that cannot be undone. */
function confirmButton(label, cls, action) {
  const b = h('button', { type: 'button', class: `secondary ${cls}` }, label);
  let armed = false;
  b.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      b.textContent = `Confirm: ${label.toLowerCase()}`;
      b.classList.add('danger');
      return;
    }
    b.disabled = true;
    await action();
    b.disabled = false;
  });
  return b;
}

let fieldIds = 0;
function field(label, input) {
  const id = input.id || `field-${++fieldIds}`;
  input.id = id;
  return h('label', { for: id }, label, input);
}

// ---------------------------------------------------------------- users

function usersPanel(commands, act, config) {
  const element = h('section', {});
  const query = h('input', { id: 'user-search', type: 'search', placeholder: 'name', maxlength: 1023 });
  const results = h('div', { id: 'users-results' });
  const detail = h('div', { id: 'user-detail' });
  const newUser = h('input', { id: 'new-user', autocomplete: 'off' });
  const newPassword = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password' });
  const search = async () => {
    const result = await act(PARLEY + 'users', { query: query.value.trim() }, { quiet: true });
    if (!result) return;
    results.replaceChildren(h('p', { class: 'muted' }, `${value(result.form, 'total')} matching users`),
      table('users-table', [{ var: 'jid', label: 'Address' }, { var: 'sessions', label: 'Sessions' },
        { var: 'disabled', label: 'State', render: r => r.disabled === '1' ? 'disabled' : 'enabled' }], result.form.rows, userActions));
  };
  const userActions = row => [
    h('button', { type: 'button', class: 'secondary sessions', onclick: () => showSessions(row.jid) }, 'Sessions'),
    h('button', { type: 'button', class: 'secondary reset', onclick: () => resetForm(row.jid) }, 'Reset password'),
    h('button', { type: 'button', class: 'secondary toggle', onclick: async () => {
      if (await act(XEP0133 + (row.disabled === '1' ? 'reenable-user' : 'disable-user'), { accountjids: row.jid })) search();
    } }, row.disabled === '1' ? 'Enable' : 'Disable'),
    confirmButton('Delete', 'delete', async () => {
      if (await act(XEP0133 + 'delete-user', { accountjids: row.jid })) search();
    }),
  ];
  const resetForm = jid => {
    const password = h('input', { type: 'password', id: 'reset-password', autocomplete: 'new-password' });
    const form = h('form', { class: 'inline', id: 'reset-form' }, field(`New password for ${jid}`, password),
      h('button', { type: 'submit' }, 'Set password'));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      if (await act(XEP0133 + 'change-user-password', { accountjid: jid, password: password.value })) detail.replaceChildren();
    });
    detail.replaceChildren(h('div', { class: 'detail-panel' }, form));
    password.focus();
  };
  const showSessions = async jid => {
    const result = await act(PARLEY + 'sessions', { accountjid: jid }, { quiet: true });
    if (!result) return;
    const endAll = confirmButton('End all sessions', 'end-all', async () => {
      if (await act(XEP0133 + 'end-user-session', { accountjids: jid })) showSessions(jid);
    });
    detail.replaceChildren(h('div', { class: 'detail-panel', id: 'sessions-panel' }, h('h2', {}, `Sessions of ${jid}`),
      result.form.rows.length === 0 ? h('p', { class: 'muted' }, 'Not online.')
        : table('sessions-table', [{ var: 'jid', label: 'Session' }, { var: 'transport', label: 'Transport' },
          { var: 'address', label: 'From' }], result.form.rows, row => [
          h('button', { type: 'button', class: 'secondary end', onclick: async () => {
            if (await act(XEP0133 + 'end-user-session', { accountjids: row.jid })) showSessions(jid);
          } }, 'End')]),
      result.form.rows.length ? endAll : null));
  };
  const searchForm = h('form', { class: 'inline', role: 'search' }, field('Find users', query),
    h('button', { type: 'submit', id: 'user-search-button' }, 'Search'));
  searchForm.addEventListener('submit', e => { e.preventDefault(); search(); });
  const createForm = h('form', { class: 'inline', id: 'create-user-form' },
    field(`Name (@${config.domain})`, newUser), field('Password', newPassword),
    h('button', { type: 'submit', id: 'create-user' }, 'Create'));
  createForm.addEventListener('submit', async e => {
    e.preventDefault();
    const name = newUser.value.trim();
    const jid = name.includes('@') ? name : `${name}@${config.domain}`;
    if (await act(XEP0133 + 'add-user', { accountjid: jid, password: newPassword.value, 'password-verify': newPassword.value })) {
      newUser.value = newPassword.value = '';
      query.value = name.replace(/@.*/, '');
      search();
    }
  });
  element.append(h('h2', {}, 'Create a user'), createForm, h('h2', {}, 'Users'), searchForm, results, detail);
  return { element, shown: () => { if (!results.firstChild) search(); } };
}

// ---------------------------------------------------------------- rooms

function roomsPanel(commands, act) {
  const element = h('section', {});
  const list = h('div', { id: 'rooms-results' });
  const detail = h('div', { id: 'room-detail' });
  const flags = r => ['persistent', 'public', 'membersonly', 'moderated', 'password', 'logging']
    .filter(k => r[k] === '1').map(k => ({ membersonly: 'members only', logging: 'archived' }[k] || k)).join(', ');
  const load = async () => {
    const result = await act(PARLEY + 'rooms', {}, { quiet: true });
    if (!result) return;
    list.replaceChildren(h('p', { class: 'muted' }, `${value(result.form, 'total')} rooms`),
      table('rooms-table', [{ var: 'jid', label: 'Address' }, { var: 'name', label: 'Name' },
        { var: 'occupants', label: 'Occupants' }, { var: 'flags', label: 'Configuration', render: flags },
        { var: 'owners', label: 'Owners' }], result.form.rows, roomActions));
  };
  const roomActions = row => [
    h('button', { type: 'button', class: 'secondary details', onclick: () => details(row.jid) }, 'Details'),
    h('button', { type: 'button', class: 'secondary owners', onclick: () => ownersForm(row) }, 'Owners'),
    h('button', { type: 'button', class: 'secondary message', onclick: () => messageForm(row.jid) }, 'Message'),
    confirmButton('Destroy', 'destroy', async () => {
      if (await act(PARLEY + 'destroy-room', { roomjid: row.jid, reason: 'Closed by the administrator' })) {
        detail.replaceChildren();
        load();
      }
    }),
  ];
  const details = async jid => {
    const result = await act(PARLEY + 'room', { roomjid: jid }, { quiet: true });
    if (!result) return;
    const f = result.form;
    const config = Object.entries(f.fields).filter(([k]) => k.startsWith('muc#roomconfig_'))
      .flatMap(([k, v]) => [h('dt', {}, v.label), h('dd', {}, v.values.join(', '))]);
    detail.replaceChildren(h('div', { class: 'detail-panel', id: 'room-panel' }, h('h2', {}, `Room ${jid}`),
      h('p', {}, `Subject: ${value(f, 'subject') || '(none)'}`),
      table('occupants-table', [{ var: 'nick', label: 'Nickname' }, { var: 'jid', label: 'Address' },
        { var: 'role', label: 'Role' }, { var: 'affiliation', label: 'Affiliation' }, { var: 'sessions', label: 'Sessions' }], f.rows),
      h('h2', {}, 'Configuration'), h('dl', {}, ...config)));
  };
  const ownersForm = row => {
    const owners = h('input', { id: 'room-owners', value: row.owners.split(' ').filter(Boolean).join(', ') });
    const form = h('form', { class: 'inline', id: 'owners-form' }, field(`Owners of ${row.jid} (comma-separated)`, owners),
      h('button', { type: 'submit' }, 'Save owners'));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const list = owners.value.split(/[\s,]+/).filter(Boolean);
      if (await act(PARLEY + 'room-owners', { roomjid: row.jid, owners: list })) load();
    });
    detail.replaceChildren(h('div', { class: 'detail-panel' }, form));
  };
  const messageForm = jid => {
    const body = h('textarea', { id: 'room-message', maxlength: MAX_TEXT });
    const form = h('form', { class: 'inline', id: 'room-message-form' }, field(`Message to ${jid} from the service`, body),
      h('button', { type: 'submit' }, 'Send'));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      if (await act(PARLEY + 'room-message', { roomjid: jid, body: body.value.split('\n') })) body.value = '';
    });
    detail.replaceChildren(h('div', { class: 'detail-panel' }, form));
    body.focus();
  };
  element.append(h('h2', {}, 'Rooms'), h('button', { type: 'button', class: 'secondary', id: 'rooms-refresh', onclick: load }, 'Refresh'), list, detail);
  return { element, shown: load };
}

// ---------------------------------------------------------------- announcements

function announcementsPanel(commands, act) {
  const element = h('section', {});
  const subject = h('input', { id: 'announce-subject', maxlength: 200 });
  const text = h('textarea', { id: 'announce-text', maxlength: MAX_TEXT });
  const announce = h('form', { class: 'inline', id: 'announce-form' }, field('Subject', subject), field('Announcement to everyone online', text),
    h('button', { type: 'submit' }, 'Send announcement'));
  announce.addEventListener('submit', async e => {
    e.preventDefault();
    if (await act(XEP0133 + 'announce', { subject: subject.value, announcement: text.value.split('\n') })) text.value = '';
  });
  const motd = h('textarea', { id: 'motd-text', maxlength: MAX_TEXT });
  const motdForm = h('form', { class: 'inline', id: 'motd-form' }, field('Message of the day (sent at each login)', motd),
    h('button', { type: 'submit' }, 'Set'),
    h('button', { type: 'button', class: 'secondary', id: 'motd-delete', onclick: async () => {
      if (await act(XEP0133 + 'delete-motd', {})) motd.value = '';
    } }, 'Delete'));
  motdForm.addEventListener('submit', async e => {
    e.preventDefault();
    await act(XEP0133 + 'set-motd', { motd: motd.value.split('\n') });
  });
  const registration = h('input', { type: 'checkbox', id: 'registration-enabled' });
  registration.addEventListener('change', () => act(PARLEY + 'registration', { enabled: registration.checked ? '1' : '0' }));
  element.append(h('h2', {}, 'Announcement'), announce, h('h2', {}, 'Message of the day'), motdForm,
    h('h2', {}, 'Registration'), h('p', {}, h('label', { for: 'registration-enabled' }, registration,
      ' New accounts may sign up (in-band registration, until the next restart)')));
  // The current values come from the commands' own forms (started, then left to expire).
  const shown = async () => {
    try {
      const current = await commands.execute(XEP0133 + 'edit-motd');
      motd.value = (current.form.fields.motd || { values: [] }).values.join('\n');
      const reg = await commands.execute(PARLEY + 'registration');
      registration.checked = value(reg.form, 'enabled') === '1';
    } catch (err) {
      /* shown by the next action */
    }
  };
  return { element, shown };
}

// ---------------------------------------------------------------- security

function securityPanel(commands, say) {
  const element = h('section', {});
  const content = h('div', { id: 'security-results' });
  const load = async () => {
    let result;
    try {
      result = await commands.run(PARLEY + 'security');
    } catch (err) {
      say(`Refused: ${err.text || err.message}`, true);
      return;
    }
    const f = result.form;
    const days = Number(value(f, 'cert-days-left'));
    const rows = f.rows;
    content.replaceChildren(
      h('h2', {}, 'Certificate'),
      h('dl', { class: 'card', id: 'certificate' },
        h('dt', {}, 'Subject'), h('dd', {}, value(f, 'cert-subject')),
        h('dt', {}, 'Issuer'), h('dd', {}, value(f, 'cert-issuer') + (value(f, 'cert-self-signed') === '1' ? ' (self-signed: clients will ask their users to trust it)' : '')),
        h('dt', {}, 'Expires'), h('dd', { id: 'cert-expiry', class: days < 14 ? 'error' : '' },
          `${value(f, 'cert-not-after')} (${days} days)`)),
      h('h2', {}, `Banned addresses (${value(f, 'bans')})`),
      table('bans-table', [{ var: 'address', label: 'Address' }, { var: 'at', label: 'Banned until' }], rows.filter(r => r.kind === 'ban')),
      h('h2', {}, 'Recent failed logins'),
      table('failures-table', [{ var: 'at', label: 'Time' }, { var: 'address', label: 'Address' }, { var: 'account', label: 'Account' }],
        rows.filter(r => r.kind === 'failure')));
  };
  element.append(h('h2', {}, 'Security'), h('button', { type: 'button', class: 'secondary', id: 'security-refresh', onclick: load }, 'Refresh'), content);
  return { element, shown: load };
}

discover().then(config => loginView(config), err => {
  root.replaceChildren(h('main', { class: 'refused', role: 'alert' }, h('p', {}, `The server cannot be reached: ${err.message}`)));
});
