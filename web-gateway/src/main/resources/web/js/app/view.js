// The chat screen: built once (focus and typed text survive updates), lists rebuilt when what they show changed.
import { h, on, appendStyled, avatar, capitalize } from './text.js';
import { ChatClient } from './client.js';
import { Notifier } from './notify.js';
import { formatBytes } from '../xmpp/connection.js';

const SHOW_LABEL = { available: 'online', chat: 'online', away: 'away', xa: 'away', dnd: 'do not disturb', offline: 'offline' };
const WINDOW = 150;            // messages rendered at first; "show earlier" adds as many again
const FOLD_CHARS = 1200;       // longer messages are folded with "Show more"
const FOLD_LINES = 14;
const GROUP_MS = 5 * 60 * 1000; // consecutive messages of one sender within this time share a header
const EMOJI = '😀 😂 😊 😍 🤔 😮 😢 😡 👍 👎 👏 🙏 🎉 🔥 ❤️ 💯 ✅ ❌ 👀 🚀 ☕ 🍕 🌟 💡 🙂 😉 😅 🤝 👋 🤷 😴 🥳'.split(' ');
const QUICK = '👍 ❤️ 😂 🎉 😮 😢'.split(' ');
const coarse = matchMedia('(pointer: coarse)').matches;

export function chatView(root, client, loggedOut) {
	const notifier = new Notifier(client);
	const status = h('span#status.status', { role: 'status', 'aria-live': 'polite' });
	const menu = h('button#menu-button.icon.only-narrow', { 'aria-controls': 'sidebar', 'aria-expanded': 'false' }, 'Chats');
	const membersButton = h('button#members-button.icon.only-narrow', { 'aria-controls': 'members', 'aria-expanded': 'false' }, 'People');
	const sound = h('button#sound-toggle.secondary.small', { type: 'button', 'aria-pressed': String(!notifier.muted), title: 'Sound for new messages' });
	const alerts = h('button#notify-toggle.secondary.small', { type: 'button', title: 'Desktop notifications' });
	const logout = h('button#logout.secondary', 'Log out');
	const top = h('header.topbar', menu, h('strong.brand', 'Parley'), status,
		h('span#me.me', client.connection.jid ? client.me : client.username), membersButton, logout);

	const notice = h('p#notice.notice-bar', { role: 'alert' });

	// ---- sidebar ----
	const presenceSelect = h('select#presence', { 'aria-label': 'Your status' },
		h('option', { value: 'available' }, 'Online'), h('option', { value: 'away' }, 'Away'), h('option', { value: 'dnd' }, 'Do not disturb'));
	const statusInput = h('input#status-message', { 'aria-label': 'Status message', placeholder: 'status message', maxlength: 200, autocomplete: 'off' });
	const picture = h('input#avatar-file', { type: 'file', accept: 'image/*', hidden: true });
	const pictureButton = h('button#avatar-button.avatar-button', { type: 'button', 'aria-label': 'Change your picture', title: 'Change your picture' },
		avatar(client.username, 'large'));
	let pictureFor = null; // null: mine, else a room's (XEP-0486)
	const pick = jid => {
		pictureFor = jid;
		picture.click();
	};
	on(pictureButton, 'click', () => pick(null));
	on(picture, 'change', () => {
		const file = picture.files[0];
		picture.value = '';
		// the centred square, scaled to 96 px
		if (file) createImageBitmap(file).then(img => {
			const canvas = h('canvas', { width: 96, height: 96 });
			const side = Math.min(img.width, img.height);
			canvas.getContext('2d').drawImage(img, (img.width - side) / 2, (img.height - side) / 2, side, side, 0, 0, 96, 96);
			client.setAvatar(canvas.toDataURL('image/png'), pictureFor).catch(report);
		}, () => client.notify('that file is not a picture this browser can read'));
	});
	const profile = h('form#profile.profile',
		pictureButton, picture, h('div.who', h('strong', client.username), presenceSelect, statusInput,
			h('div.toggles', sound, alerts)));
	const roomsList = h('ul#rooms.list', { 'aria-label': 'Your rooms' });
	const roomInput = h('input#room-name', { 'aria-label': 'Room name', 'aria-describedby': 'room-hint', placeholder: 'room name', autocomplete: 'off', maxlength: 200 });
	const roomHint = h('p#room-hint.hint', 'Letters, digits and dashes; spaces become dashes.');
	const roomForm = h('form#room-form.inline-form', roomInput,
		h('button#join-room', { type: 'submit', value: 'join' }, 'Join'),
		h('button#create-room.secondary', { type: 'submit', value: 'create' }, 'Create'), roomHint);
	const directoryFilter = h('input#directory-filter', { 'aria-label': 'Filter public rooms', placeholder: 'filter rooms', autocomplete: 'off', type: 'search' });
	const directoryList = h('ul#directory.list.compact', { 'aria-label': 'Public rooms' });
	const friendsList = h('ul#friends.list', { 'aria-label': 'Friends' });
	const requestsList = h('ul#requests.list', { 'aria-label': 'Friend requests' });
	const friendInput = h('input#friend-name', { 'aria-label': 'Friend to add', placeholder: 'name or name@server', autocomplete: 'off', maxlength: 1023 });
	const friendForm = h('form#friend-form.inline-form', friendInput, h('button#add-friend', { type: 'submit' }, 'Add friend'));
	const devicesList = h('ul#devices.list.compact', { 'aria-label': 'Signed-in devices' });
	const devicesBox = h('details#devices-box', { hidden: true }, h('summary', 'Signed-in devices'), devicesList);
	const sidebar = h('nav#sidebar.sidebar', { 'aria-label': 'Conversations' },
		profile,
		h('section', h('h2', 'Rooms'), roomsList, roomForm,
			h('details#directory-box', { open: true }, h('summary', 'Public rooms'), directoryFilter, directoryList,
				h('button#refresh-directory.secondary.small', { onclick: () => client.refreshDirectory().catch(e => client.notify(e.message)) }, 'Refresh list'))),
		h('section', h('h2', 'Friends'), requestsList, friendsList, friendForm),
		devicesBox);

	// ---- conversation ----
	const title = h('h2#chat-title');
	const chatPicture = h('span#chat-avatar');
	const subject = h('p#chat-subject.subject');
	const search = h('input#search', { type: 'search', 'aria-label': 'Search loaded messages', placeholder: 'Search', autocomplete: 'off' });
	const searchInfo = h('span#search-info.muted.small-text', { 'aria-live': 'polite' });
	const leave = h('button#leave-room.secondary', { hidden: true }, 'Leave');
	const earlier = h('button#load-earlier.secondary', { hidden: true }, 'Load earlier messages');
	// role=log on the scrolling box, a real list inside (axe: an <ol> with role=log is not one)
	const messageList = h('ol.message-list');
	const messages = h('div#messages.messages', { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0', 'aria-label': 'Messages' }, messageList);
	const latest = h('button#jump-latest.jump', { hidden: true }, 'Jump to latest ↓');
	const typing = h('p#typing.typing', { 'aria-live': 'polite' });
	const text = h('textarea#composer', { 'aria-label': 'Message', 'aria-describedby': 'composer-info', rows: 2 });
	const composerInfo = h('p#composer-info.composer-info', { role: 'status', 'aria-live': 'polite' });
	const emojiButton = h('button#emoji-button.secondary.icon', { type: 'button', 'aria-label': 'Insert emoji', 'aria-expanded': 'false', 'aria-controls': 'emoji-picker' }, '☺');
	const emojiPicker = h('div#emoji-picker.emoji-picker', { role: 'group', 'aria-label': 'Emoji', hidden: true },
		EMOJI.map(e => h('button.emoji', { type: 'button', 'aria-label': e, 'data-emoji': e }, e)));
	const attachInput = h('input#attach-file', { type: 'file', multiple: true, hidden: true });
	const attach = h('button#attach-button.secondary.icon', { type: 'button', 'aria-label': 'Attach a file', title: 'Attach a file', hidden: true }, '+');
	const composer = h('form#composer-form.composer', attach, attachInput, emojiButton, text, h('button#send', { type: 'submit' }, 'Send'));
	const barText = h('span.bar-text');
	const composerBar = h('div#composer-bar.composer-bar', { hidden: true }, barText,
		h('button#cancel-bar.link', { type: 'button', onclick: () => setMode(null, null) }, 'Cancel'));
	const empty = h('p#empty.empty', 'Pick a room or a friend on the left.');
	const chat = h('main#chat.chat', { 'aria-labelledby': 'chat-title' },
		h('header.chat-header', chatPicture, h('div.titles', title, subject), h('div.tools', search, searchInfo, leave)),
		earlier, messages, latest, typing, emojiPicker, composerBar, composer, composerInfo, empty);
	const membersList = h('ul#member-list.list', { 'aria-label': 'People in this room' });
	const membersTitle = h('h2#members-title', 'In this room');
	const contactCard = h('div#contact-card.contact-card', { hidden: true });
	const members = h('aside#members.members', { 'aria-labelledby': 'members-title' }, membersTitle, membersList, contactCard);
	root.replaceChildren(h('div.shell', top, notice, h('div.panes', sidebar, chat, members)));

	const active = () => client.conversations.get(client.active) || null;
	let renderedKey = null;
	const view = { window: WINDOW, unreadFrom: null, unfolded: new Set(), expanded: new Set(), query: '', replyTo: null, editing: null };
	// replying (XEP-0461) or correcting (XEP-0308), said above the composer
	const setMode = (replyTo, editing) => {
		view.replyTo = replyTo;
		if (view.editing && !editing) text.value = '';
		view.editing = editing;
		const m = replyTo || editing;
		composerBar.hidden = !m;
		barText.textContent = !m ? '' : editing ? 'Editing your message' : `Replying to ${m.nick}: ${m.text.substring(0, 80)}`;
		if (editing) text.value = editing.text;
		if (m) text.focus();
	};
	// Rebuilt only when what it shows changed, so focus survives unrelated updates.
	const shown = new WeakMap();
	const update = (list, signature, build) => {
		const key = JSON.stringify(signature);
		if (shown.get(list) === key) return false;
		shown.set(list, key);
		list.replaceChildren(...build().filter(Boolean));
		return true;
	};

	// ---- panels (phone width) ----
	const toggle = (button, panel) => {
		const open = !panel.classList.contains('open');
		panel.classList.toggle('open', open);
		button.setAttribute('aria-expanded', String(open));
		if (open) {
			const focusable = panel.querySelector('button, input, a');
			if (focusable) focusable.focus();
		}
	};
	on(menu, 'click', () => toggle(menu, sidebar));
	on(membersButton, 'click', () => toggle(membersButton, members));
	const closePanels = () => {
		sidebar.classList.remove('open');
		members.classList.remove('open');
		menu.setAttribute('aria-expanded', 'false');
		membersButton.setAttribute('aria-expanded', 'false');
	};
	on(chat, 'pointerdown', () => {
		if (sidebar.classList.contains('open') || members.classList.contains('open')) closePanels();
	});
	on(document, 'keydown', e => {
		if (e.key === 'Escape') {
			closePanels();
			emojiPicker.hidden = true;
			emojiButton.setAttribute('aria-expanded', 'false');
		}
	});
	// phone: Back goes from a conversation to the list
	const narrow = () => matchMedia('(max-width: 760px)').matches;
	on(window, 'popstate', () => {
		if (narrow() && !sidebar.classList.contains('open')) toggle(menu, sidebar);
	});

	// ---- top bar ----
	on(logout, 'click', async () => {
		logout.disabled = true;
		await client.logout();
		loggedOut();
	});
	const renderToggles = () => {
		sound.textContent = notifier.muted ? 'Sound off' : 'Sound on';
		sound.setAttribute('aria-pressed', String(!notifier.muted));
		const p = notifier.permission;
		alerts.hidden = p === 'unsupported';
		alerts.textContent = p === 'granted' ? 'Alerts on' : p === 'denied' ? 'Alerts blocked' : 'Enable alerts';
		alerts.disabled = p !== 'default';
	};
	on(sound, 'click', () => {
		notifier.setMuted(!notifier.muted);
		renderToggles();
	});
	on(alerts, 'click', () => notifier.ask().then(renderToggles));
	renderToggles();

	on(client, 'notice', e => {
		notice.textContent = e.detail.text;
		clearTimeout(notice.timer);
		notice.timer = setTimeout(() => { notice.textContent = ''; }, 8000);
	});
	on(client.connection, 'status', e => {
		const { status: s, error, delay } = e.detail;
		if (s === 'reconnecting') {
			notice.textContent = `Connection lost${error ? ` (${error.message})` : ''}. Reconnecting in ${Math.ceil((delay || 0) / 1000)} s…`;
			clearTimeout(notice.timer);
		} else if (s === 'online' && notice.textContent.startsWith('Connection lost')) {
			notice.textContent = '';
		} else if (s === 'disconnected' && error && !client.connection.userClosed) {
			if (error.kind === 'token' || error.kind === 'auth') {
				loggedOut(capitalize(error.message));
				return;
			}
			clearTimeout(notice.timer);
			notice.textContent = `Disconnected: ${error.message}. Reload the page to connect again.`;
		}
	});
	const report = e => client.notify(e.message || String(e));

	// ---- profile ----
	try {
		const saved = JSON.parse(client.store && client.store.get('presence') || 'null');
		if (saved) {
			client.myPresence = saved;
			presenceSelect.value = saved.show;
			statusInput.value = saved.status || '';
		}
	} catch (e) { /* none saved */ }
	on(presenceSelect, 'change', () => client.setPresence(presenceSelect.value, statusInput.value.trim()));
	on(profile, 'submit', e => {
		e.preventDefault();
		client.setPresence(presenceSelect.value, statusInput.value.trim());
		statusInput.blur();
	});

	// ---- rooms and friends ----
	const slug = name => name.trim().toLowerCase().replace(/\s+/g, '-').replace(/[^\p{L}\p{N}._-]/gu, '').replace(/^[-.]+|[-.]+$/g, '');
	on(roomInput, 'input', () => {
		const s = slug(roomInput.value);
		roomHint.textContent = roomInput.value.trim() && s !== roomInput.value.trim()
			? `Will be #${s || '…'} (letters, digits and dashes).` : 'Letters, digits and dashes; spaces become dashes.';
	});
	on(roomForm, 'submit', e => {
		e.preventDefault();
		const name = roomInput.value.includes('@') ? roomInput.value.trim() : slug(roomInput.value);
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
	on(directoryFilter, 'input', () => render());
	on(friendForm, 'submit', e => {
		e.preventDefault();
		client.addFriend(friendInput.value).then(jid => {
			friendInput.value = '';
			client.notify(`friend request sent to ${jid}`);
		}, report);
	});
	const directoryTimer = setInterval(() => {
		if (client.connection.status === 'online' && !document.hidden) client.refreshDirectory().catch(() => {});
	}, 30000);
	on(client.connection, 'status', e => {
		if (e.detail.status === 'disconnected' && client.connection.userClosed) clearInterval(directoryTimer);
	});

	// ---- composer ----
	const limit = () => client.connection.options.maxStanzaBytes || 0;
	const showComposerInfo = (message = '', error = false) => {
		composerInfo.textContent = message;
		composerInfo.classList.toggle('error', error);
	};
	const measure = () => {
		const max = limit();
		if (!max) return;
		const bytes = new TextEncoder().encode(text.value).length;
		// from 80 % of the limit, so nothing is refused without warning
		if (bytes > max * 0.8) showComposerInfo(`${formatBytes(bytes)} of at most ${formatBytes(max)} per message`, bytes > max * 0.98);
		else if (composerInfo.dataset.kind !== 'mention') showComposerInfo('');
	};
	on(composer, 'submit', e => {
		e.preventDefault();
		const c = active();
		if (!c || !text.value.trim()) return;
		if (c.kind === 'room' && !c.joined) {
			showComposerInfo('You are not in this room right now; your text is kept until you are.', true);
			return;
		}
		try {
			client.sendMessage(c, text.value, { replyTo: view.replyTo, correct: view.editing });
			view.editing = null;
			setMode(null, null);
		} catch (err) {
			// the text stays in the composer
			showComposerInfo(err.message, true);
			return;
		}
		text.value = '';
		showComposerInfo('');
		stickToBottom = true;
		// a sensible moment to ask: the user is taking part
		if (notifier.permission === 'default' && !client.store?.get('asked-notifications')) {
			client.store?.set('asked-notifications', '1');
			notifier.ask().then(renderToggles);
		}
	});
	on(text, 'keydown', e => {
		if (e.key === 'ArrowUp' && !text.value && active()) {
			const last = client.lastOwn(active());
			if (last) {
				e.preventDefault();
				setMode(null, last);
			}
			return;
		}
		if (e.key === 'Escape' && (view.replyTo || view.editing)) {
			setMode(null, null);
			return;
		}
		if (e.key === 'Tab' && !e.shiftKey && completeMention()) {
			e.preventDefault();
			return;
		}
		if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !coarse) {
			e.preventDefault();
			composer.requestSubmit();
		}
	});
	on(text, 'input', () => {
		if (text.value) client.typing(active());
		measure();
		suggestMention();
	});
	// Tab completes @-mentions from the room's members
	const mentionCandidates = () => {
		const c = active();
		const before = text.value.substring(0, text.selectionStart);
		const m = before.match(/(^|\s)@?([\p{L}\p{N}._-]{1,})$/u);
		if (!c || c.kind !== 'room' || !m || (!before.endsWith('@' + m[2]) && m[2].length < 2)) return null;
		const prefix = m[2].toLowerCase();
		const nicks = [...c.members.keys()].filter(n => n !== c.nick && n.toLowerCase().startsWith(prefix));
		return nicks.length ? { nicks, start: before.length - m[2].length - (before.endsWith('@' + m[2]) ? 1 : 0) } : null;
	};
	const suggestMention = () => {
		const found = mentionCandidates();
		if (found && text.value.substring(found.start).startsWith('@')) {
			composerInfo.dataset.kind = 'mention';
			showComposerInfo(`Tab: ${found.nicks.slice(0, 5).map(n => '@' + n).join(', ')}`);
		} else if (composerInfo.dataset.kind === 'mention') {
			delete composerInfo.dataset.kind;
			showComposerInfo('');
		}
	};
	const completeMention = () => {
		const found = mentionCandidates();
		if (!found) return false;
		const nick = found.nicks[0];
		const after = text.value.substring(text.selectionStart);
		text.value = text.value.substring(0, found.start) + '@' + nick + ' ' + after;
		const pos = found.start + nick.length + 2;
		text.setSelectionRange(pos, pos);
		delete composerInfo.dataset.kind;
		showComposerInfo('');
		return true;
	};
	on(emojiButton, 'click', () => {
		emojiPicker.hidden = !emojiPicker.hidden;
		emojiButton.setAttribute('aria-expanded', String(!emojiPicker.hidden));
		if (!emojiPicker.hidden) emojiPicker.querySelector('button').focus();
	});
	on(emojiPicker, 'click', e => {
		const emoji = e.target.closest('[data-emoji]');
		if (!emoji) return;
		const at = text.selectionStart ?? text.value.length;
		text.value = text.value.substring(0, at) + emoji.dataset.emoji + text.value.substring(text.selectionEnd ?? at);
		emojiPicker.hidden = true;
		emojiButton.setAttribute('aria-expanded', 'false');
		text.focus();
		text.setSelectionRange(at + emoji.dataset.emoji.length, at + emoji.dataset.emoji.length);
	});

	// ---- files (XEP-0363): attach, drop or paste ----
	const send = files => {
		const c = active();
		if (!c || !client.upload) return;
		for (const file of [...files].slice(0, 10)) {
			client.uploadFile(c, file, p => showComposerInfo(`Uploading ${file.name}… ${Math.round(p * 100)} %`))
				.then(() => showComposerInfo(''), e => showComposerInfo(e.message, true));
		}
	};
	on(attach, 'click', () => attachInput.click());
	on(attachInput, 'change', () => {
		send(attachInput.files);
		attachInput.value = '';
	});
	on(chat, 'dragover', e => {
		if (client.upload && e.dataTransfer.types.includes('Files')) e.preventDefault();
	});
	on(chat, 'drop', e => {
		if (!client.upload || !e.dataTransfer.files.length) return;
		e.preventDefault();
		send(e.dataTransfer.files);
	});
	on(text, 'paste', e => {
		if (client.upload && e.clipboardData.files.length) {
			e.preventDefault();
			send(e.clipboardData.files);
		}
	});

	// ---- message list ----
	let stickToBottom = true;
	on(messages, 'scroll', () => {
		stickToBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
		latest.hidden = stickToBottom;
	}, { passive: true });
	// stay at the newest message across re-wrapping and pictures loading; a hint that fits (set at once)
	new ResizeObserver(() => {
		if (stickToBottom) messages.scrollTop = messages.scrollHeight;
		text.placeholder = coarse || narrow() ? 'Write a message' : 'Write a message — Enter sends, Shift+Enter for a new line';
	}).observe(messages);
	// ↑/↓ move between messages; Tab reaches the focused one's actions
	on(messages, 'keydown', e => {
		if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
		const items = [...messageList.querySelectorAll('li.message')];
		const at = items.indexOf(e.target.closest('li.message'));
		const next = items[at < 0 ? items.length - 1 : at + (e.key === 'ArrowUp' ? -1 : 1)];
		if (next) {
			e.preventDefault();
			next.focus();
		}
	});
	on(messages, 'load', () => stickToBottom && (messages.scrollTop = messages.scrollHeight), true);
	on(latest, 'click', () => {
		messages.scrollTop = messages.scrollHeight;
		stickToBottom = true;
		latest.hidden = true;
		messages.focus();
	});
	on(messages, 'click', e => {
		const button = e.target.closest('button[data-action]');
		if (!button) return;
		const c = active();
		const li = button.closest('li');
		const id = li && li.dataset.id;
		const action = button.dataset.action;
		if (action === 'more') {
			const before = messages.scrollHeight - messages.scrollTop;
			view.window += WINDOW;
			render();
			messages.scrollTop = messages.scrollHeight - before;
		} else if (id && (action === 'unfold' || action === 'expand')) {
			const set = view[action === 'unfold' ? 'unfolded' : 'expanded'];
			set.has(id) ? set.delete(id) : set.add(id);
			render();
		} else {
			const m = c && id && c.messages.find(x => x.id === id);
			if (!m) return;
			try {
				if (action === 'react') client.react(c, m, button.dataset.emoji);
				else if (action === 'reply') setMode(m, null);
				else if (action === 'edit') setMode(null, m);
				else if (action === 'delete' && confirm('Delete this message for everyone?')) client.retract(c, m);
				else if (action === 'moderate' && confirm(`Remove ${m.nick}'s message for everyone?`)) client.moderate(c, m).catch(report);
				else if (action === 'retry') client.retry(c, m);
			} catch (err) {
				(action === 'retry' ? e => showComposerInfo(e.message, true) : report)(err);
			}
		}
	});
	on(search, 'input', () => {
		view.query = search.value.trim().toLowerCase();
		render();
	});
	on(earlier, 'click', () => {
		const c = active();
		if (!c) return;
		const before = messages.scrollHeight - messages.scrollTop;
		client.loadHistory(c).then(() => requestAnimationFrame(() => {
			view.window += 30;
			render();
			messages.scrollTop = messages.scrollHeight - before;
		}), report);
	});
	on(leave, 'click', () => {
		const c = active();
		if (c && c.kind === 'room') client.leaveRoom(c);
	});

	const select = key => {
		const wasNarrowList = narrow();
		client.select(key);
		closePanels();
		text.focus();
		if (wasNarrowList) history.pushState({ conversation: key }, '');
	};

	function render() {
		const state = client.connection.status;
		const labels = { online: 'online', connecting: 'connecting…', reconnecting: 'reconnecting…', disconnected: 'offline' };
		status.textContent = labels[state] || state;
		status.dataset.status = state;
		if (client.connection.jid) document.getElementById('me').textContent = client.me;
		const online = state === 'online';
		const mine = client.avatarOf(client.connection.jid ? client.me : null);
		if (pictureButton.dataset.rev !== String(client.avatarRev)) {
			pictureButton.dataset.rev = String(client.avatarRev);
			pictureButton.replaceChildren(avatar(client.username, 'large', mine));
		}

		const rooms = [...client.conversations.values()].filter(c => c.kind === 'room');
		update(roomsList, [client.active, client.avatarRev, rooms.map(c => [c.jid, c.title, c.joined, c.unread])], () => rooms.map(c =>
			h('li', { 'data-jid': c.jid, class: c.key === client.active ? 'current' : '' },
				h('button.item', { 'aria-current': c.key === client.active ? 'true' : null, onclick: () => select(c.key) },
					avatar(c.title, 'small', client.avatarOf(c.jid)),
					h('span.name', c.title),
					c.joined ? null : h('span.muted', ' (not in)'),
					c.unread ? h('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null))));

		const filter = directoryFilter.value.trim().toLowerCase();
		const dir = client.directory.filter(r => !filter || r.name.toLowerCase().includes(filter) || r.description.toLowerCase().includes(filter));
		update(directoryList, [dir, filter, [...client.conversations.keys()]], () => dir.length === 0
			? [h('li.muted', filter ? 'no room matches' : 'no public rooms')]
			: dir.map(r =>
			h('li', { 'data-jid': r.jid },
				h('button', { class: 'item room-entry', onclick: () => client.joinRoom(r.jid).then(c => { closePanels(); select(c.key); }, report) },
					h('span.name', '#' + r.name),
					r.occupants !== null && r.occupants !== undefined ? h('span.count', `${r.occupants} ${r.occupants === 1 ? 'person' : 'people'}`) : null,
					client.conversations.has(r.jid) ? h('span.muted', ' (joined)') : null,
					r.description ? h('span.description', r.description) : null))));

		update(requestsList, [...client.requests], () => [...client.requests].map(jid =>
			h('li.request', { 'data-jid': jid },
				h('span', `${jid} wants to be friends`),
				h('span.actions',
					h('button.accept', { onclick: () => client.acceptFriend(jid) }, 'Accept'),
					h('button.deny.secondary', { onclick: () => client.denyFriend(jid) }, 'Deny')))));

		// strangers' 1:1 chats too, so no message is hidden
		const strangers = [...client.conversations.values()].filter(c => c.kind === 'chat' && !client.roster.has(c.jid))
			.map(c => ({ jid: c.jid, name: c.title, subscription: 'none', ask: false, presence: new Map() }));
		const contacts = [...client.roster.values(), ...strangers].sort((a, b) => a.name.localeCompare(b.name));
		const unreadOf = jid => (client.conversations.get(jid) || {}).unread || 0;
		update(friendsList, [client.active, client.avatarRev, contacts.map(e => [e.jid, e.name, e.subscription, e.ask, ChatClient.show(e), unreadOf(e.jid)])],
			() => contacts.length === 0 ? [h('li.muted', 'no friends yet')] : contacts.map(entry => {
			const show = ChatClient.show(entry);
			const c = client.conversations.get(entry.jid);
			const pending = entry.ask || entry.subscription === 'none' || entry.subscription === 'from';
			return h('li', { 'data-jid': entry.jid, 'data-show': show, class: entry.jid === client.active ? 'current' : '' },
				h('button', { class: 'item', 'aria-current': entry.jid === client.active ? 'true' : null, onclick: () => { client.openChat(entry.jid); select(entry.jid); } },
					h('span.with-dot', avatar(entry.name, 'small', client.avatarOf(entry.jid)), h('span', { class: `dot ${show}`, 'aria-hidden': 'true' })),
					h('span.name', entry.name),
					h('span.presence', pending ? (entry.ask ? 'request sent' : 'not a friend yet') : SHOW_LABEL[show] || show),
					c && c.unread ? h('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null));
		}));

		devicesBox.hidden = !client.serverFeatures.has('urn:parley:device-tokens:0');
		update(devicesList, client.devices.map(d => [d.id, d.name, d.current, d.lastUsed.getTime()]), () => client.devices.length === 0
			? [h('li.muted', 'no saved sign-ins')]
			: client.devices.map(d => h('li', { 'data-id': d.id },
				h('span', { class: 'name', title: `last used ${d.lastUsed.toLocaleString()}` }, d.name + (d.current ? ' (this browser)' : '')),
				d.current ? null : h('button.secondary.small', { onclick: () => client.revokeDevice(d.id).catch(report) }, 'Sign out'))));

		const c = active();
		chat.dataset.kind = c ? c.kind : '';
		empty.hidden = !!c;
		composer.hidden = !c;
		attach.hidden = !client.upload;
		leave.hidden = !c || c.kind !== 'room';
		search.hidden = !c;
		membersButton.hidden = !c;
		membersButton.textContent = c && c.kind === 'chat' ? 'Contact' : 'People';
		members.hidden = !c;
		if (!c) {
			title.textContent = 'Parley';
			subject.textContent = '';
			update(messageList, null, () => []);
			update(chatPicture, null, () => []);
			typing.textContent = '';
			earlier.hidden = true;
			latest.hidden = true;
			renderedKey = null;
			return;
		}
		if (renderedKey !== c.key) {
			// just opened: where the "New messages" line goes
			view.window = WINDOW;
			view.unreadFrom = c.unread > 0 ? c.messages[Math.max(0, c.messages.length - c.unread)]?.id : null;
			view.query = '';
			search.value = '';
			stickToBottom = true;
			if (renderedKey !== null) setMode(null, null);
		}
		c.unread = 0;
		if (!document.hidden) client.markDisplayed(c);
		title.textContent = c.kind === 'room' ? '#' + c.title : c.title;
		const owner = c.kind === 'room' && c.members.get(c.nick)?.affiliation === 'owner';
		update(chatPicture, [c.key, owner, client.avatarRev], () => [owner
			? h('button#room-avatar-button.avatar-button', { type: 'button', title: 'Change the room\'s picture',
				'aria-label': 'Change the room\'s picture', onclick: () => pick(c.jid) }, avatar(c.title, '', client.avatarOf(c.jid)))
			: avatar(c.title, '', client.avatarOf(c.jid))]);
		subject.textContent = c.kind === 'room' ? c.subject || '' : c.jid;
		earlier.hidden = !c.hasMam || c.complete;
		earlier.disabled = c.loadingEarlier || !online;
		earlier.textContent = c.loadingEarlier ? 'Loading…' : 'Load earlier messages';

		let list = c.messages;
		if (view.query) list = list.filter(m => m.kind === 'message' && m.text.toLowerCase().includes(view.query));
		searchInfo.textContent = view.query ? `${list.length} found` : '';
		const from = Math.max(0, list.length - view.window);
		const windowed = list.slice(from);
		const signature = [c.key, from, view.query, view.unreadFrom, [...view.unfolded], [...view.expanded], c.nick,
			windowed.map(m => [m.id, m.pending, m.failed, m.archiveId ? 1 : 0, m.rev || 0]), dayOf(new Date()),
			c.kind === 'room' && c.members.get(c.nick) ? c.members.get(c.nick).role : '', c.seenId, client.avatarRev];
		// keep keyboard focus on the same message and button across a rebuild
		const f = messageList.contains(document.activeElement) ? document.activeElement : null;
		const fli = f && f.closest('li');
		const rebuilt = update(messageList, signature, () => renderMessages(c, windowed, from));
		// for the load-time test: the first message on screen
		if (rebuilt && !performance.getEntriesByName('parley-first-message').length && windowed.some(m => m.kind === 'message')) performance.mark('parley-first-message');
		if (rebuilt && fli) {
			const li = [...messageList.children].find(x => x.dataset.id === fli.dataset.id);
			const b = li && f !== fli && [...li.querySelectorAll('button')].find(x => x.className === f.className && x.dataset.action === f.dataset.action && x.dataset.emoji === f.dataset.emoji);
			// the message first: its toolbar shows only with focus within
			(li || messages).focus({ preventScroll: true });
			if (b) b.focus({ preventScroll: true });
		}
		if (rebuilt && (renderedKey !== c.key || stickToBottom)) messages.scrollTop = messages.scrollHeight;
		latest.hidden = stickToBottom;
		renderedKey = c.key;

		const typers = [...c.typing.keys()];
		typing.textContent = typers.length === 0 ? '' : `${typers.join(', ')} ${typers.length === 1 ? 'is' : 'are'} typing…`;

		contactCard.hidden = c.kind !== 'chat';
		membersList.hidden = c.kind !== 'room';
		membersTitle.textContent = c.kind === 'room' ? 'In this room' : 'Contact';
		if (c.kind === 'room') {
			const order = { moderator: 0, participant: 1, visitor: 2 };
			// offline, nobody is known to be in: no stale list
			const people = online ? [...c.members.values()].sort((a, b) => (order[a.role] ?? 3) - (order[b.role] ?? 3) || a.nick.localeCompare(b.nick)) : [];
			update(membersList, [c.key, online, client.avatarRev, people.map(m => [m.nick, m.role, m.affiliation, m.show, m.status, m.self])], () => !online
				? [h('li.muted', 'offline — the list returns once reconnected')]
				: people.map(m =>
				h('li', { 'data-nick': m.nick, 'data-role': m.role, 'data-show': m.show, class: m.self ? 'self' : '', title: m.status || null },
					h('span.with-dot', avatar(m.nick, 'small', client.avatarOf(m.jid)), h('span', { class: `dot ${m.show}`, 'aria-hidden': 'true' })),
					h('span.name', m.nick + (m.self ? ' (you)' : '')),
					h('span.role', m.affiliation === 'owner' ? 'owner' : m.role === 'moderator' ? 'moderator' : m.role === 'visitor' ? 'visitor' : ''),
					h('span.visually-hidden', `, ${SHOW_LABEL[m.show] || m.show}`))));
		} else {
			const entry = client.roster.get(c.jid);
			const show = entry ? ChatClient.show(entry) : 'offline';
			update(contactCard, [c.jid, show, entry && entry.status, entry && entry.name, client.avatarRev], () => [
				avatar(entry ? entry.name : c.title, 'huge', client.avatarOf(c.jid)),
				h('p.contact-name', entry ? entry.name : c.title),
				h('p.muted', c.jid),
				h('p.contact-presence', h('span', { class: `dot ${show}`, 'aria-hidden': 'true' }), ' ', SHOW_LABEL[show] || show),
				entry && entry.status ? h('p.contact-status', entry.status) : null,
			]);
		}
	}

	function renderMessages(c, list, hiddenBefore) {
		const out = [];
		if (hiddenBefore > 0) {
			out.push(h('li.window-more', h('button.secondary.small', { 'data-action': 'more' },
				`Show ${Math.min(WINDOW, hiddenBefore)} earlier messages (${hiddenBefore} not shown)`)));
		}
		let previous = null;
		let day = null;
		for (let i = 0; i < list.length; i++) {
			const m = list[i];
			const time = validTime(m.time);
			if (dayOf(time) !== day) {
				day = dayOf(time);
				out.push(h('li.day', h('span', dayLabel(time))));
				previous = null;
			}
			if (m.id === view.unreadFrom) {
				out.push(h('li.unread-line', h('span', 'New messages')));
				previous = null;
			}
			// 3+ joins/leaves in a row: one expandable line
			if (m.presence) {
				let j = i;
				while (j < list.length && list[j].presence && dayOf(validTime(list[j].time)) === day) j++;
				if (j - i >= 3) {
					out.push(presenceRun(list.slice(i, j)));
					i = j - 1;
					previous = null;
					continue;
				}
			}
			if (m.kind !== 'message') {
				out.push(h('li', { class: `notice ${m.kind}`, 'data-id': m.id }, stamp(time), ' ', h('span.text', m.text)));
				previous = null;
				continue;
			}
			const grouped = previous && previous.nick === m.nick && previous.mine === m.mine && time - validTime(previous.time) < GROUP_MS;
			out.push(message(c, m, time, grouped));
			previous = m;
		}
		return out;
	}

	function presenceRun(run) {
		const first = run[0];
		const joined = new Set(run.filter(m => m.presence === 'joined').map(m => m.who));
		const left = new Set(run.filter(m => m.presence === 'left').map(m => m.who));
		const parts = [];
		if (joined.size) parts.push(`${joined.size} ${joined.size === 1 ? 'person' : 'people'} joined`);
		if (left.size) parts.push(`${left.size} left`);
		const open = view.expanded.has(first.id);
		return h('li.notice.collapsed', { 'data-id': first.id },
			h('button.link', { 'data-action': 'expand', 'aria-expanded': String(open) }, parts.join(', ')),
			open ? h('span.run', run.map(m => h('span.line', stamp(validTime(m.time)), ' ', m.text))) : null,
			h('span.visually-hidden', run.map(m => m.text).join('; ')));
	}

	function message(c, m, time, grouped) {
		const body = h('div', { class: m.retracted ? 'text retracted' : 'text' });
		if (m.retracted) body.textContent = m.retracted;
		else if (m.file) body.append(fileView(m.file));
		else appendStyled(body, m.text);
		const long = m.text.length > FOLD_CHARS || m.text.split('\n').length > FOLD_LINES;
		const folded = long && !view.unfolded.has(m.id);
		const classes = ['message', m.mine ? 'mine' : '', grouped ? 'grouped' : '', m.mention ? 'mention' : '',
			m.pending ? 'pending' : '', m.failed ? 'failed' : '', folded ? 'folded' : ''].filter(Boolean).join(' ');
		const me = c.kind === 'room' ? c.nick : client.me;
		const ref = client.refOf(c, m);
		const self = c.kind === 'room' ? c.members.get(c.nick) : null;
		const canModerate = c.kind === 'room' && !m.mine && ref && self && self.role === 'moderator' && c.features && c.features.has('urn:xmpp:message-moderate:1');
		const actions = m.retracted || m.pending || m.failed || !ref ? null : h('span', { class: 'actions', role: 'group', 'aria-label': `Actions for ${m.nick}'s message` },
			QUICK.map(e => h('button', { class: 'act', 'data-action': 'react', 'data-emoji': e, 'aria-label': `React with ${e}` }, e)),
			h('button.act', { 'data-action': 'reply' }, 'Reply'),
			m.mine && client.lastOwn(c) === m ? h('button.act', { 'data-action': 'edit' }, 'Edit') : null,
			m.mine ? h('button.act', { 'data-action': 'delete' }, 'Delete') : null,
			canModerate ? h('button.act', { 'data-action': 'moderate' }, 'Remove') : null);
		const target = m.replyTo && client.target(c, m.replyTo.id);
		const quote = m.replyTo ? h('blockquote.reply-quote',
			target ? h('span.reply-nick', target.nick + ' ') : null,
			(target && !target.retracted ? target.text : m.replyTo.quote || '').substring(0, 200)) : null;
		const reactions = m.reactions && m.reactions.size ? h('div.reactions', [...m.reactions].map(([emoji, who]) =>
			h('button', { class: who.has(me) ? 'chip mine' : 'chip', 'data-action': 'react', 'data-emoji': emoji, 'aria-pressed': String(who.has(me)),
				title: [...who].join(', '), 'aria-label': `${emoji} ${who.size}: ${[...who].join(', ')}` }, `${emoji} ${who.size}`))) : null;
		return h('li', { class: classes, 'data-from': m.nick, 'data-id': m.id, tabindex: '-1' },
			grouped ? h('span.gutter', stamp(time, true)) : avatar(m.nick, '', client.avatarOf(senderJid(c, m, client.me))),
			h('div.content',
				grouped ? null : h('div.meta', h('span.nick', m.nick), ' ', stamp(time)),
				quote,
				body,
				m.edited && !m.retracted ? h('span.edited', '(edited)') : null,
				long ? h('button.link', { 'data-action': 'unfold', 'aria-expanded': String(!folded) }, folded ? 'Show more' : 'Show less') : null,
				reactions,
				m.pending ? h('span.state', 'sending…') : null,
				m.id === c.seenId ? h('span.state.seen', 'Seen') : null,
				m.failed ? h('span.state.failed-note', { role: 'alert' }, `Not sent: ${m.failed}. `,
					h('button.link', { 'data-action': 'retry' }, 'Retry')) : null),
			actions);
	}

	let scheduled = false;
	on(client, 'change', () => {
		if (scheduled) return;
		scheduled = true;
		requestAnimationFrame(() => {
			scheduled = false;
			render();
		});
	});
	setInterval(() => {
		if (!document.hidden) {
			for (const t of messages.querySelectorAll('time[data-relative]')) t.textContent = relative(new Date(t.getAttribute('datetime')));
		}
	}, 60000);
	render();
	text.focus();
}

/** Images inline, other files as a download card. */
function fileView(url) {
	let name = url.split('/').pop().split(/[?#]/)[0];
	try { name = decodeURIComponent(name); } catch (e) { /* not percent-encoded UTF-8: shown as it is */ }
	name = name || 'file';
	if (/\.(png|jpe?g|gif|webp|avif)$/i.test(name)) {
		return h('a.image-link', { href: url, target: '_blank', rel: 'noopener noreferrer' },
			h('img.preview', { src: url, alt: name, loading: 'lazy' }));
	}
	return h('a.file-card', { href: url, target: '_blank', rel: 'noopener noreferrer', download: name }, h('span', { 'aria-hidden': 'true' }, '📄 '), name);
}

/** The sender's bare JID, where known. */
function senderJid(c, m, me) {
	if (c.kind !== 'room') return m.mine ? me : c.jid;
	const member = c.members.get(m.nick);
	return member ? member.jid : null;
}

function validTime(t) {
	return t instanceof Date && !Number.isNaN(t.getTime()) ? t : new Date();
}

function dayOf(t) {
	return `${t.getFullYear()}-${t.getMonth()}-${t.getDate()}`;
}

function dayLabel(t) {
	const d = dayOf(t);
	return d === dayOf(new Date()) ? 'Today' : d === dayOf(new Date(Date.now() - 864e5)) ? 'Yesterday' : DAY.format(t);
}

// made once: one per message costs more than the rest of its rendering
const FULL = new Intl.DateTimeFormat([], { dateStyle: 'full', timeStyle: 'short' });
const CLOCK = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

function stamp(time, short = false) {
	const recent = Date.now() - time.getTime() < 3600000 && !short;
	return h('time', { datetime: time.toISOString(), title: FULL.format(time), 'data-relative': recent ? '' : null },
		recent ? relative(time) : CLOCK.format(time));
}

function relative(time) {
	const minutes = Math.floor((Date.now() - time.getTime()) / 60000);
	if (minutes < 1) return 'just now';
	if (minutes < 60) return `${minutes} min ago`;
	return CLOCK.format(time);
}
