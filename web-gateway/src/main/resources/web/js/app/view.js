// The chat screen: conversations (rooms, friends, requests, directory) on the left, the open conversation in
// the middle, the room's members on the right. The skeleton and its forms are built once (so focus and typed
// text survive updates); lists are re-rendered from the ChatClient's state on every change.
import { h, appendText } from './text.js';
import { ChatClient } from './client.js';

const SHOW_LABEL = { available: 'online', chat: 'online', away: 'away', xa: 'away', dnd: 'busy', offline: 'offline' };

export function chatView(root, client, loggedOut) {
    const status = h('span', { id: 'status', role: 'status', 'aria-live': 'polite', class: 'status' });
    const menu = h('button', { id: 'menu-button', class: 'icon only-narrow', 'aria-controls': 'sidebar', 'aria-expanded': 'false' }, 'Chats');
    const membersButton = h('button', { id: 'members-button', class: 'icon only-narrow', 'aria-controls': 'members', 'aria-expanded': 'false' }, 'People');
    const logout = h('button', { id: 'logout', class: 'secondary' }, 'Log out');
    const top = h('header', { class: 'topbar' }, menu, h('strong', { class: 'brand' }, 'Parley'), status,
        h('span', { class: 'me', id: 'me' }, client.connection.jid ? client.me : ''), membersButton, logout);

    const notice = h('p', { id: 'notice', class: 'notice-bar', role: 'alert' });
    const roomsList = h('ul', { id: 'rooms', class: 'list', 'aria-label': 'Your rooms' });
    const roomInput = h('input', { id: 'room-name', 'aria-label': 'Room name', placeholder: 'room name', autocomplete: 'off', maxlength: 200 });
    const roomForm = h('form', { id: 'room-form', class: 'inline-form' }, roomInput,
        h('button', { type: 'submit', value: 'join', id: 'join-room' }, 'Join'),
        h('button', { type: 'submit', value: 'create', id: 'create-room', class: 'secondary' }, 'Create'));
    const directoryList = h('ul', { id: 'directory', class: 'list compact', 'aria-label': 'Public rooms' });
    const friendsList = h('ul', { id: 'friends', class: 'list', 'aria-label': 'Friends' });
    const requestsList = h('ul', { id: 'requests', class: 'list', 'aria-label': 'Friend requests' });
    const friendInput = h('input', { id: 'friend-name', 'aria-label': 'Friend to add', placeholder: 'name or name@server', autocomplete: 'off', maxlength: 1023 });
    const friendForm = h('form', { id: 'friend-form', class: 'inline-form' }, friendInput, h('button', { type: 'submit', id: 'add-friend' }, 'Add friend'));
    const sidebar = h('nav', { id: 'sidebar', class: 'sidebar', 'aria-label': 'Conversations' },
        h('section', {}, h('h2', {}, 'Rooms'), roomsList, roomForm,
            h('details', { id: 'directory-box', open: true }, h('summary', {}, 'Public rooms'), directoryList,
                h('button', { id: 'refresh-directory', class: 'secondary small', onclick: () => client.refreshDirectory().catch(e => client.notify(e.message)) }, 'Refresh list'))),
        h('section', {}, h('h2', {}, 'Friends'), requestsList, friendsList, friendForm));

    const title = h('h2', { id: 'chat-title' });
    const subject = h('p', { id: 'chat-subject', class: 'subject' });
    const leave = h('button', { id: 'leave-room', class: 'secondary', hidden: true }, 'Leave');
    const earlier = h('button', { id: 'load-earlier', class: 'secondary', hidden: true }, 'Load earlier messages');
    const messages = h('ol', { id: 'messages', class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0', 'aria-label': 'Messages' });
    const typing = h('p', { id: 'typing', class: 'typing', 'aria-live': 'polite' });
    const text = h('textarea', { id: 'composer', 'aria-label': 'Message', rows: 2, placeholder: 'Write a message — Enter sends, Shift+Enter for a new line', maxlength: 10000 });
    const composer = h('form', { id: 'composer-form', class: 'composer' }, text, h('button', { type: 'submit', id: 'send' }, 'Send'));
    const empty = h('p', { class: 'empty', id: 'empty' }, 'Pick a room or a friend on the left.');
    const chat = h('main', { class: 'chat', id: 'chat', 'aria-labelledby': 'chat-title' },
        h('header', { class: 'chat-header' }, h('div', {}, title, subject), leave), earlier, messages, typing, composer, empty);
    const membersList = h('ul', { id: 'member-list', class: 'list', 'aria-label': 'People in this room' });
    const members = h('aside', { id: 'members', class: 'members', 'aria-labelledby': 'members-title' },
        h('h2', { id: 'members-title' }, 'In this room'), membersList);
    root.replaceChildren(h('div', { class: 'shell' }, top, notice, h('div', { class: 'panes' }, sidebar, chat, members)));

    const active = () => client.conversations.get(client.active) || null;
    let renderedKey = null;
    // A list is rebuilt only when what it shows changed, so that focus (keyboard users) and element identity
    // survive unrelated updates such as someone else's presence.
    const shown = new WeakMap();
    const update = (list, signature, build) => {
        const key = JSON.stringify(signature);
        if (shown.get(list) === key) return false;
        shown.set(list, key);
        const items = build();
        list.replaceChildren(...items);
        return true;
    };

    const toggle = (button, panel) => {
        const open = !panel.classList.contains('open');
        panel.classList.toggle('open', open);
        button.setAttribute('aria-expanded', String(open));
        if (open) {
            const focusable = panel.querySelector('button, input, a');
            if (focusable) focusable.focus();
        }
    };
    menu.addEventListener('click', () => toggle(menu, sidebar));
    membersButton.addEventListener('click', () => toggle(membersButton, members));
    const closePanels = () => {
        sidebar.classList.remove('open');
        members.classList.remove('open');
        menu.setAttribute('aria-expanded', 'false');
        membersButton.setAttribute('aria-expanded', 'false');
    };
    document.addEventListener('keydown', e => {
        if (e.key === 'Escape') closePanels();
    });

    logout.addEventListener('click', () => {
        client.logout();
        loggedOut();
    });
    client.addEventListener('notice', e => {
        notice.textContent = e.detail.text;
        clearTimeout(notice.timer);
        notice.timer = setTimeout(() => { notice.textContent = ''; }, 8000);
    });
    const report = e => client.notify(e.message || String(e));

    roomForm.addEventListener('submit', e => {
        e.preventDefault();
        const name = roomInput.value.trim();
        if (!name) {
            roomInput.focus();
            return;
        }
        const create = e.submitter && e.submitter.value === 'create';
        client.joinRoom(name, { create }).then(() => {
            roomInput.value = '';
            closePanels();
            text.focus();
        }, report);
    });
    friendForm.addEventListener('submit', e => {
        e.preventDefault();
        client.addFriend(friendInput.value).then(jid => {
            friendInput.value = '';
            client.notify(`friend request sent to ${jid}`);
        }, report);
    });
    composer.addEventListener('submit', e => {
        e.preventDefault();
        const c = active();
        if (!c || !text.value.trim()) return;
        if (c.kind === 'room' && !c.joined) {
            client.notify('you are not in this room right now');
            return;
        }
        client.sendMessage(c, text.value);
        text.value = '';
    });
    text.addEventListener('keydown', e => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            composer.requestSubmit();
        }
    });
    text.addEventListener('input', () => {
        if (text.value) client.typing(active());
    });
    earlier.addEventListener('click', () => {
        const c = active();
        if (!c) return;
        const before = messages.scrollHeight - messages.scrollTop;
        client.loadHistory(c).then(() => requestAnimationFrame(() => {
            messages.scrollTop = messages.scrollHeight - before;
        }), report);
    });
    leave.addEventListener('click', () => {
        const c = active();
        if (c && c.kind === 'room') client.leaveRoom(c);
    });

    const select = key => {
        client.select(key);
        closePanels();
        text.focus();
    };

    function render() {
        const state = client.connection.status;
        const labels = { online: 'online', connecting: 'connecting…', reconnecting: 'reconnecting…', disconnected: 'offline' };
        status.textContent = labels[state] || state;
        status.dataset.status = state;
        if (client.connection.jid) document.getElementById('me').textContent = client.me;

        const rooms = [...client.conversations.values()].filter(c => c.kind === 'room');
        update(roomsList, [client.active, rooms.map(c => [c.jid, c.title, c.joined, c.unread])], () => rooms.map(c =>
            h('li', { 'data-jid': c.jid, class: c.key === client.active ? 'current' : '' },
                h('button', { class: 'item', 'aria-current': c.key === client.active ? 'true' : null, onclick: () => select(c.key) },
                    h('span', { class: 'name' }, '#' + c.title),
                    c.joined ? null : h('span', { class: 'muted' }, ' (not in)'),
                    c.unread ? h('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null))));

        update(directoryList, [client.directory, [...client.conversations.keys()]], () => client.directory.length === 0
            ? [h('li', { class: 'muted' }, 'no public rooms')]
            : client.directory.map(r =>
            h('li', { 'data-jid': r.jid },
                h('button', { class: 'item', onclick: () => client.joinRoom(r.jid).then(closePanels, report) },
                    h('span', { class: 'name' }, '#' + r.name),
                    client.conversations.has(r.jid) ? h('span', { class: 'muted' }, ' (joined)') : null))));

        update(requestsList, [...client.requests], () => [...client.requests].map(jid =>
            h('li', { class: 'request', 'data-jid': jid },
                h('span', {}, `${jid} wants to be friends`),
                h('span', { class: 'actions' },
                    h('button', { class: 'accept', onclick: () => client.acceptFriend(jid) }, 'Accept'),
                    h('button', { class: 'deny secondary', onclick: () => client.denyFriend(jid) }, 'Deny')))));

        const contacts = [...client.roster.values()].sort((a, b) => a.name.localeCompare(b.name));
        const unreadOf = jid => (client.conversations.get(jid) || {}).unread || 0;
        update(friendsList, [client.active, contacts.map(e => [e.jid, e.name, e.subscription, e.ask, ChatClient.show(e), unreadOf(e.jid)])],
            () => contacts.length === 0 ? [h('li', { class: 'muted' }, 'no friends yet')] : contacts.map(entry => {
            const show = ChatClient.show(entry);
            const c = client.conversations.get(entry.jid);
            const pending = entry.ask || entry.subscription === 'none' || entry.subscription === 'from';
            return h('li', { 'data-jid': entry.jid, 'data-show': show, class: entry.jid === client.active ? 'current' : '' },
                h('button', { class: 'item', 'aria-current': entry.jid === client.active ? 'true' : null, onclick: () => { client.openChat(entry.jid); select(entry.jid); } },
                    h('span', { class: `dot ${show}`, 'aria-hidden': 'true' }),
                    h('span', { class: 'name' }, entry.name),
                    h('span', { class: 'presence' }, pending ? (entry.ask ? 'request sent' : 'not a friend yet') : SHOW_LABEL[show] || show),
                    c && c.unread ? h('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null));
        }));

        const c = active();
        chat.dataset.kind = c ? c.kind : '';
        empty.hidden = !!c;
        composer.hidden = !c;
        leave.hidden = !c || c.kind !== 'room';
        membersButton.hidden = !c || c.kind !== 'room';
        members.hidden = !c || c.kind !== 'room';
        if (!c) {
            title.textContent = 'Parley';
            subject.textContent = '';
            update(messages, null, () => []);
            typing.textContent = '';
            earlier.hidden = true;
            renderedKey = null;
            return;
        }
        c.unread = 0;
        title.textContent = c.kind === 'room' ? '#' + c.title : c.title;
        subject.textContent = c.kind === 'room' ? c.subject || '' : c.jid;
        earlier.hidden = !c.hasMam || c.complete;
        earlier.disabled = c.loadingEarlier;
        earlier.textContent = c.loadingEarlier ? 'Loading…' : 'Load earlier messages';

        const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
        const last = c.messages[c.messages.length - 1];
        update(messages, [c.key, c.messages.length, c.messages[0] && c.messages[0].id, last && last.id], () => c.messages.map(m => message(m)));
        if (renderedKey !== c.key || atBottom) messages.scrollTop = messages.scrollHeight;
        renderedKey = c.key;

        const typers = [...c.typing.keys()];
        typing.textContent = typers.length === 0 ? '' : `${typers.join(', ')} ${typers.length === 1 ? 'is' : 'are'} typing…`;

        if (c.kind === 'room') {
            const order = { moderator: 0, participant: 1, visitor: 2 };
            const list = [...c.members.values()].sort((a, b) => (order[a.role] ?? 3) - (order[b.role] ?? 3) || a.nick.localeCompare(b.nick));
            update(membersList, [c.key, list.map(m => [m.nick, m.role, m.affiliation, m.show, m.self])], () => list.map(m =>
                h('li', { 'data-nick': m.nick, 'data-role': m.role, 'data-show': m.show, class: m.self ? 'self' : '' },
                    h('span', { class: `dot ${m.show}`, 'aria-hidden': 'true' }),
                    h('span', { class: 'name' }, m.nick + (m.self ? ' (you)' : '')),
                    h('span', { class: 'role' }, m.affiliation === 'owner' ? 'owner' : m.role === 'moderator' ? 'moderator' : m.role === 'visitor' ? 'visitor' : ''),
                    h('span', { class: 'visually-hidden' }, `, ${SHOW_LABEL[m.show] || m.show}`))));
        }
    }

    function message(m) {
        const time = m.time instanceof Date && !Number.isNaN(m.time.getTime()) ? m.time : new Date();
        const stamp = h('time', { datetime: time.toISOString(), title: time.toLocaleString() },
            time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
        if (m.kind !== 'message') {
            return h('li', { class: `notice ${m.kind}` }, stamp, ' ', h('span', { class: 'text' }, m.text));
        }
        const body = h('span', { class: 'text' });
        appendText(body, m.text);
        return h('li', { class: m.mine ? 'message mine' : 'message', 'data-from': m.nick },
            stamp, ' ', h('span', { class: 'nick' }, m.nick), ' ', body);
    }

    let scheduled = false;
    client.addEventListener('change', () => {
        if (scheduled) return;
        scheduled = true;
        requestAnimationFrame(() => {
            scheduled = false;
            render();
        });
    });
    render();
    text.focus();
}
