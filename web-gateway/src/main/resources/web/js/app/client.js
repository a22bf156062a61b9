// The chat model over one XMPP connection. Views subscribe to 'change' and read the state; they never see XML.
import { xml, child, children, childText, bare, resource, local, newId } from '../xmpp/xml.js';
import { stanzaError, XmppError } from '../xmpp/errors.js';
import { formatBytes } from '../xmpp/connection.js';
import { toBase64, fromBase64 } from '../xmpp/sasl.js';

export const NS = Object.freeze({
	ROSTER: 'jabber:iq:roster',
	MUC: 'http://jabber.org/protocol/muc',
	MUC_USER: 'http://jabber.org/protocol/muc#user',
	MUC_OWNER: 'http://jabber.org/protocol/muc#owner',
	DISCO_INFO: 'http://jabber.org/protocol/disco#info',
	DISCO_ITEMS: 'http://jabber.org/protocol/disco#items',
	MAM: 'urn:xmpp:mam:2',
	RSM: 'http://jabber.org/protocol/rsm',
	FORWARD: 'urn:xmpp:forward:0',
	DELAY: 'urn:xmpp:delay',
	SID: 'urn:xmpp:sid:0',
	CHATSTATES: 'http://jabber.org/protocol/chatstates',
	DATA: 'jabber:x:data',
	DEVICE_TOKENS: 'urn:parley:device-tokens:0',
	REACTIONS: 'urn:xmpp:reactions:0',
	REPLY: 'urn:xmpp:reply:0',
	FALLBACK: 'urn:xmpp:fallback:0',
	CORRECT: 'urn:xmpp:message-correct:0',
	RETRACT: 'urn:xmpp:message-retract:1',
	MODERATE: 'urn:xmpp:message-moderate:1',
	HINTS: 'urn:xmpp:hints',
	MARKERS: 'urn:xmpp:chat-markers:0',
	VCARD: 'vcard-temp',
	VCARD_UPDATE: 'vcard-temp:x:update',
	CAPS: 'http://jabber.org/protocol/caps',
	EVENT: 'http://jabber.org/protocol/pubsub#event',
	AVATAR_DATA: 'urn:xmpp:avatar:data',
	AVATAR_META: 'urn:xmpp:avatar:metadata',
	PUBSUB: 'http://jabber.org/protocol/pubsub',
	BOOKMARKS: 'urn:xmpp:bookmarks:1',
	UPLOAD: 'urn:xmpp:http:upload:0',
	OOB: 'jabber:x:oob',
});

const ECHO_TIMEOUT_MS = 20000; // a room message not echoed by then is marked as failed

const PAGE = 30;
const MAX_MESSAGES = 1000;

export class ChatClient extends EventTarget {
	constructor(connection, username, { store = null, onToken = null } = {}) {
		super();
		this.connection = connection;
		this.username = username;
		this.store = store;
		this.onToken = onToken;
		this.serverFeatures = new Set();
		this.avatars = new Map(); // bare JID → data: URL, or null (none / loading)
		this.hashes = new Map(); // bare JID → SHA-1 of its picture (XEP-0153 / XEP-0084 id)
		this.byHash = new Map(); // SHA-1 → data: URL, so a picture is fetched once
		this.avatarRev = 0;
		this.devices = [];
		this.mucService = null;
		this.conversations = new Map(); // key: bare JID of the room or contact
		this.roster = new Map();
		this.requests = new Set();
		this.directory = [];
		this.active = null;
		this.changeScheduled = false;
		connection.addEventListener('stanza', e => this.stanza(e));
		connection.addEventListener('online', e => this.online(e.detail.resumed));
		connection.addEventListener('status', e => {
			this.changed();
		});
	}

	iq(type, to, payload, options) {
		return this.connection.iq(xml('iq', { type, to }, payload), options);
	}

	async disco(to, options) {
		const query = child(await this.iq('get', to, xml('query', { xmlns: NS.DISCO_INFO }), options), 'query', NS.DISCO_INFO);
		return { query, features: new Set(children(query, 'feature').map(f => f.getAttribute('var'))) };
	}

	get me() {
		return bare(this.connection.jid);
	}

	changed() {
		if (this.changeScheduled) return;
		this.changeScheduled = true;
		queueMicrotask(() => {
			this.changeScheduled = false;
			this.dispatchEvent(new Event('change'));
		});
	}

	notify(text) {
		this.dispatchEvent(new CustomEvent('notice', { detail: { text } }));
	}

	/** After login and after every reconnection that could not resume the old session. */
	async online(resumed) {
		if (resumed) {
			this.changed();
			return;
		}
		await this.loadRoster().catch(e => this.notify(`contacts could not be loaded: ${e.message}`));
		this.ver = this.ver || await capsVer();
		this.connection.send(this.presenceStanza());
		if (!this.mucService) this.mucService = await this.discoverMucService();
		this.discoverServer().catch(() => {});
		const rooms = [...this.conversations.values()].filter(c => c.kind === 'room');
		if (rooms.length === 0 && !this.rejoined) {
			this.rejoined = true;
			// the account's bookmarks (XEP-0402), so every device enters the same rooms
			const bookmarked = await this.loadBookmarks().catch(() => null);
			const remembered = bookmarked && bookmarked.length ? bookmarked : this.rememberedRooms();
			const activeKey = this.store && this.store.get('active');
			for (const jid of remembered) {
				this.joinRoom(jid, { rejoin: true }).then(c => {
					if (!this.active || c.key === activeKey) this.select(c.key);
				}, e => this.notify(e.message));
			}
		} else {
			for (const room of rooms) {
				room.joined = false;
				room.members.clear();
				this.joinRoom(room.jid, { rejoin: true }).catch(e => this.systemLine(room, e.message));
			}
			for (const chat of this.conversations.values()) {
				if (chat.kind === 'chat') this.loadHistory(chat, { latest: true }).catch(() => {});
			}
		}
		this.refreshDirectory().catch(() => {});
		this.changed();
	}

	rememberedRooms() {
		let rooms = null;
		try {
			rooms = JSON.parse(this.store && this.store.get('rooms') || 'null');
		} catch (e) { /* damaged */ }
		return Array.isArray(rooms) && rooms.length > 0 ? rooms.slice(0, 50) : ['lobby'];
	}

	rememberRooms() {
		if (!this.store) return;
		const rooms = [...this.conversations.values()].filter(c => c.kind === 'room').map(c => c.jid);
		this.store.set('rooms', JSON.stringify(rooms));
	}

	async discoverServer() {
		this.serverFeatures = (await this.disco(this.connection.options.domain)).features;
		if (this.serverFeatures.has(NS.DEVICE_TOKENS) && this.onToken) {
			const credentials = this.connection.credentials;
			if (credentials && !credentials.token) await this.issueToken();
			this.loadDevices().catch(() => {});
		}
		this.changed();
	}

	// ---- staying signed in: per-device tokens (urn:parley:device-tokens:0) ----

	async issueToken() {
		const result = await this.iq('set', undefined, xml('issue', { xmlns: NS.DEVICE_TOKENS, device: deviceName() }),
			{ what: 'saving the sign-in' });
		const t = child(result, 'token', NS.DEVICE_TOKENS);
		const token = { id: t.getAttribute('id'), secret: t.getAttribute('secret') };
		this.connection.useToken(token); // reconnections use it too: the password is forgotten
		this.onToken(token);
	}

	async loadDevices() {
		const result = await this.iq('get', undefined, xml('list', { xmlns: NS.DEVICE_TOKENS }));
		const current = this.connection.credentials && this.connection.credentials.token;
		this.devices = children(child(result, 'list', NS.DEVICE_TOKENS), 'device').map(d => ({
			id: d.getAttribute('id'), name: d.getAttribute('name'), lastUsed: new Date(d.getAttribute('last-used')),
			current: !!current && current.id === d.getAttribute('id'),
		}));
		this.changed();
	}

	async revokeDevice(id) {
		await this.iq('set', undefined, xml('revoke', { xmlns: NS.DEVICE_TOKENS, id }), { what: 'signing the device out', timeoutMs: 5000 });
		await this.loadDevices();
	}

	// ---- avatars: PEP (XEP-0084) notifications, else the vCard whose hash presences carry (XEP-0153); both are
	// the image's SHA-1, so a picture is fetched once ----

	/** A person's or room's picture, loaded on first use; null when unknown or none. */
	avatarOf(jid) {
		if (jid && !this.avatars.has(jid)) this.vcardAvatar(jid);
		return this.avatars.get(jid) || null;
	}

	showAvatar(jid, url, hash) {
		if (hash && url) {
			this.byHash.set(hash, url);
			if (this.byHash.size > 300) this.byHash.delete(this.byHash.keys().next().value);
		}
		if (this.avatars.get(jid) === url) return;
		this.avatars.set(jid, url);
		this.avatarRev++;
		this.changed();
	}

	vcardAvatar(jid, hash) {
		if (this.avatars.size > 500 || this.connection.status !== 'online') return;
		if (!this.avatars.has(jid)) this.avatars.set(jid, null);
		this.iq('get', jid === this.me ? undefined : jid, xml('vCard', { xmlns: NS.VCARD }), { timeoutMs: 10000 }).then(r => {
			const photo = child(child(r, 'vCard', NS.VCARD), 'PHOTO', NS.VCARD);
			this.showAvatar(jid, dataUrl(childText(photo, 'TYPE', NS.VCARD), childText(photo, 'BINVAL', NS.VCARD)), hash);
		}, () => {});
	}

	/** A new picture hash for jid ('': none; null: unknown). */
	avatarHash(jid, hash, fetch) {
		if (hash === null || this.hashes.get(jid) === hash) return;
		this.hashes.set(jid, hash);
		if (!hash) this.showAvatar(jid, null);
		else if (this.byHash.has(hash)) this.showAvatar(jid, this.byHash.get(hash));
		else fetch();
	}

	/** XEP-0084 §4.3: a metadata notification. */
	avatarEvent(jid, items) {
		const info = child(child(child(items, 'item'), 'metadata', NS.AVATAR_META), 'info', NS.AVATAR_META);
		const id = info ? info.getAttribute('id') : '';
		this.avatarHash(jid, id, () => this.iq('get', jid, xml('pubsub', { xmlns: NS.PUBSUB },
			xml('items', { node: NS.AVATAR_DATA }, xml('item', { id }))), { timeoutMs: 10000 }).then(r => {
			const item = child(child(child(r, 'pubsub', NS.PUBSUB), 'items', NS.PUBSUB), 'item', NS.PUBSUB);
			this.showAvatar(jid, dataUrl(info.getAttribute('type'), childText(item, 'data', NS.AVATAR_DATA)), id);
		}, () => this.vcardAvatar(jid, id)));
	}

	/** XEP-0153 §4.3: a photo hash in a presence. */
	presenceAvatar(jid, p) {
		const photo = childText(child(p, 'x', NS.VCARD_UPDATE), 'photo');
		if (jid) this.avatarHash(jid, photo && photo.trim(), () => this.vcardAvatar(jid, photo.trim()));
	}

	/** My vCard's picture, other fields kept (Parley publishes it to PEP, XEP-0398), or a room's (XEP-0486). */
	async setAvatar(url, room = null) {
		const [, type, data] = url.match(/^data:([^;]+);base64,(.*)$/);
		let fields = [];
		try {
			const r = await this.iq('get', room || undefined, xml('vCard', { xmlns: NS.VCARD }));
			fields = children(child(r, 'vCard', NS.VCARD)).filter(e => e.localName !== 'PHOTO').map(toNode);
		} catch (e) { /* no vCard yet */ }
		await this.iq('set', room || undefined, xml('vCard', { xmlns: NS.VCARD }, fields,
			xml('PHOTO', {}, xml('TYPE', {}, type), xml('BINVAL', {}, data))), { what: 'saving the picture' });
		const id = hex(await crypto.subtle.digest('SHA-1', fromBase64(data)));
		this.hashes.set(room || this.me, id);
		this.showAvatar(room || this.me, url, id);
	}

	presenceStanza() {
		const me = this.myPresence || { show: 'available', status: '' };
		return xml('presence', {}, me.show !== 'available' ? xml('show', {}, me.show) : null,
			me.status ? xml('status', {}, me.status.substring(0, 200)) : null,
			this.ver ? xml('c', { xmlns: NS.CAPS, hash: 'sha-1', node: CAPS_NODE, ver: this.ver }) : null);
	}

	setPresence(show, status = '') {
		this.myPresence = { show, status };
		if (this.store) this.store.set('presence', JSON.stringify(this.myPresence));
		this.connection.send(this.presenceStanza());
		for (const c of this.conversations.values()) {
			if (c.kind === 'room' && c.joined) {
				const p = this.presenceStanza();
				p.attrs.to = `${c.jid}/${c.nick}`;
				this.connection.send(p);
			}
		}
		this.changed();
	}

	async discoverMucService() {
		const domain = this.connection.options.domain;
		let found = null;
		try {
			const items = await this.iq('get', domain, xml('query', { xmlns: NS.DISCO_ITEMS }));
			for (const item of children(child(items, 'query', NS.DISCO_ITEMS), 'item')) {
				const jid = item.getAttribute('jid');
				const { query, features } = await this.disco(jid).catch(() => ({ features: new Set() }));
				const identities = children(query, 'identity');
				// XEP-0363 §2: an upload service and its size limit
				if (features.has(NS.UPLOAD)) {
					const x = children(query, 'x', NS.DATA).find(f => field(f, 'FORM_TYPE') === NS.UPLOAD);
					this.upload = { jid, maxBytes: Number(field(x, 'max-file-size')) || 0 };
				}
				if (!found && identities.some(i => i.getAttribute('category') === 'conference' && i.getAttribute('type') === 'text')) found = jid;
			}
		} catch (e) { /* the conventional name then */ }
		return found || `conference.${domain}`;
	}

	// ---- roster and subscriptions (RFC 6121) ----

	async loadRoster() {
		const result = await this.iq('get', undefined, xml('query', { xmlns: NS.ROSTER }));
		const fresh = new Map();
		for (const item of children(child(result, 'query', NS.ROSTER), 'item')) {
			const entry = this.rosterItem(item);
			fresh.set(entry.jid, entry);
		}
		this.roster = fresh;
		this.changed();
	}

	/** An item, keeping what is known of its presence. */
	rosterItem(item) {
		const jid = item.getAttribute('jid');
		return {
			jid: bare(jid),
			name: item.getAttribute('name') || local(jid) || jid,
			subscription: item.getAttribute('subscription') || 'none',
			ask: item.getAttribute('ask') === 'subscribe',
			presence: this.roster.get(bare(jid))?.presence || new Map(),
		};
	}

	rosterPush(iq) {
		const from = iq.getAttribute('from');
		if (from && bare(from) !== this.me) return false; // §2.1.6: only from the account itself
		for (const item of children(child(iq, 'query', NS.ROSTER), 'item')) {
			const entry = this.rosterItem(item);
			if (entry.subscription === 'remove') this.roster.delete(entry.jid);
			else this.roster.set(entry.jid, entry);
		}
		this.connection.send(xml('iq', { type: 'result', id: iq.getAttribute('id') }));
		this.changed();
		return true;
	}

	/** RFC 6121 §3.1.1 */
	async addFriend(input) {
		const jid = this.contactJid(input);
		if (!jid) throw new Error(`"${input}" is not a valid name`);
		if (jid === this.me) throw new Error("you can't add yourself");
		await this.iq('set', undefined, xml('query', { xmlns: NS.ROSTER }, xml('item', { jid })), { what: 'adding the contact' });
		this.connection.send(xml('presence', { to: jid, type: 'subscribe' }));
		return jid;
	}

	contactJid(input) {
		const text = String(input || '').trim();
		if (!text || /[\s/"'&<>]/.test(text)) return null;
		return bare(text.includes('@') ? text : `${text}@${this.connection.options.domain}`);
	}

	/** Approves (§3.1.5) and asks back, so that both see each other. */
	acceptFriend(jid) {
		this.requests.delete(jid);
		this.connection.send(xml('presence', { to: jid, type: 'subscribed' }));
		const entry = this.roster.get(jid);
		if (!entry || (entry.subscription !== 'to' && entry.subscription !== 'both' && !entry.ask)) {
			this.connection.send(xml('presence', { to: jid, type: 'subscribe' }));
		}
		this.changed();
	}

	denyFriend(jid) {
		this.requests.delete(jid);
		this.connection.send(xml('presence', { to: jid, type: 'unsubscribed' }));
		this.changed();
	}

	contactPresence(p) {
		const from = p.getAttribute('from');
		const jid = bare(from);
		const type = p.getAttribute('type');
		if (type === 'subscribe') {
			// Someone we asked asks back: approve without asking the user again.
			const mine = this.roster.get(jid);
			if (mine && (mine.ask || mine.subscription === 'to')) {
				this.connection.send(xml('presence', { to: jid, type: 'subscribed' }));
				return;
			}
			this.requests.add(jid);
			this.changed();
			return;
		}
		if (type === 'subscribed' || type === 'unsubscribed' || type === 'unsubscribe') {
			if (type === 'unsubscribed') this.notify(`${local(jid) || jid} declined or removed your friend request`);
			return;
		}
		const entry = this.roster.get(jid);
		if (!type && (entry || jid === this.me || this.conversations.has(jid))) this.presenceAvatar(jid, p);
		if (!entry) return;
		if (type === 'unavailable' || type === 'error') {
			entry.presence.delete(resource(from));
		} else if (!type) {
			entry.presence.set(resource(from), childText(p, 'show') || 'available');
			entry.status = childText(p, 'status') || '';
		}
		this.changed();
	}

	static show(entry) {
		const shows = [...entry.presence.values()];
		if (shows.length === 0) return 'offline';
		for (const s of ['chat', 'available', 'away', 'xa', 'dnd']) if (shows.includes(s)) return s;
		return 'available';
	}

	// ---- conversations ----

	conversation(jid, kind, title) {
		let c = this.conversations.get(jid);
		if (!c) {
			c = {
				key: jid, jid, kind, title: title || local(jid) || jid, messages: [], ids: new Set(), unread: 0,
				typing: new Map(), members: new Map(), joined: false, nick: null, subject: '',
				hasMam: kind === 'chat', complete: false, oldest: null, loadingEarlier: false, error: null,
			};
			this.conversations.set(jid, c);
		}
		return c;
	}

	select(key) {
		this.active = key;
		if (this.store && key) this.store.set('active', key);
		const c = this.conversations.get(key);
		if (c) c.unread = 0;
		this.changed();
	}

	openChat(jid) {
		const existing = this.conversations.get(jid);
		const c = this.conversation(jid, 'chat');
		this.select(jid);
		if (!existing) this.loadHistory(c, { latest: true }).catch(e => this.systemLine(c, `history unavailable: ${e.message}`));
		return c;
	}

	addMessage(c, m, { history = false, prepend = false } = {}) {
		if (m.kind === 'modifier') {
			this.applyModifier(c, m);
			return false;
		}
		const ids = [m.archiveId, m.originId].filter(Boolean);
		if (ids.some(id => c.ids.has(id))) {
			// our own room message, echoed: delivered
			const own = m.originId && c.messages.find(x => x.pending !== undefined && x.originId === m.originId);
			if (own && (own.pending || own.failed)) {
				own.pending = false;
				own.failed = null;
				clearTimeout(own.timer);
				if (m.archiveId) {
					own.archiveId = m.archiveId;
					c.ids.add(m.archiveId);
				}
				this.changed();
			}
			return false;
		}
		ids.forEach(id => c.ids.add(id));
		if (prepend) {
			c.messages.unshift(m);
		} else if (history) {
			// archive pages and live messages interleave after a reconnection
			let i = c.messages.length;
			while (i > 0 && c.messages[i - 1].time > m.time) i--;
			c.messages.splice(i, 0, m);
		} else {
			c.messages.push(m);
		}
		if (c.messages.length > MAX_MESSAGES) c.messages.splice(0, c.messages.length - MAX_MESSAGES);
		if (!history && !m.mine && m.kind === 'message') {
			if (this.active !== c.key) c.unread++;
			m.mention = c.kind === 'room' && mentions(m.text, c.nick);
			this.dispatchEvent(new CustomEvent('incoming', { detail: { conversation: c, message: m } }));
		}
		this.changed();
		return true;
	}

	systemLine(c, text, kind = 'notice', extra = {}) {
		c.messages.push(Object.assign({ kind, text, time: new Date(), id: newId('n') }, extra));
		this.changed();
	}

	sendMessage(c, text, { replyTo = null, correct = null, file = null } = {}) {
		let body = String(text);
		if (!body.trim()) return;
		const id = newId('m');
		const type = c.kind === 'room' ? 'groupchat' : 'chat';
		const extra = [];
		let fallbackLength = 0;
		if (replyTo && !correct) {
			// XEP-0461 with a quoted fallback (XEP-0428)
			const quote = replyTo.text.split('\n').slice(0, 3).map(l => `> ${l}`).join('\n') + '\n';
			fallbackLength = Array.from(quote).length;
			body = quote + body;
			extra.push(xml('reply', { xmlns: NS.REPLY, id: this.refOf(c, replyTo),
				to: c.kind === 'room' ? `${c.jid}/${replyTo.nick}` : replyTo.mine ? this.me : c.jid }),
			xml('fallback', { xmlns: NS.FALLBACK, for: NS.REPLY }, xml('body', { start: 0, end: fallbackLength })));
		}
		if (correct) extra.push(xml('replace', { xmlns: NS.CORRECT, id: correct.id }));
		if (file) extra.push(xml('x', { xmlns: NS.OOB }, xml('url', {}, file)));
		const stanza = xml('message', { to: c.jid, type, id }, xml('body', {}, body), ...extra,
			xml('active', { xmlns: NS.CHATSTATES }), xml('origin-id', { xmlns: NS.SID, id }),
			c.kind === 'chat' ? xml('markable', { xmlns: NS.MARKERS }) : null);
		if (!this.connection.fits(stanza)) {
			// the server would end the stream for it (RFC 6120 §13.12)
			throw new XmppError('too-large', `This message is too long to send (${formatBytes(new TextEncoder().encode(body).length)}; `
				+ `the server takes at most ${formatBytes(this.connection.options.maxStanzaBytes)} at a time). Shorten it or split it.`);
		}
		this.connection.send(stanza);
		c.typingSent = 'active';
		clearTimeout(c.pausedTimer);
		// in a room pending until echoed, else marked failed: nothing is lost silently
		if (correct) {
			// a room echoes the correction (XEP-0308); a 1:1 does not
			if (c.kind === 'chat') this.applyModifier(c, { kind: 'modifier', type: 'replace', target: correct.id, who: this.me, mine: true, text: body });
			return correct;
		}
		const m = { kind: 'message', id, originId: id, from: this.me, nick: c.kind === 'room' ? c.nick : this.username,
			text: Array.from(body).slice(fallbackLength).join(''), time: new Date(), mine: true, pending: c.kind === 'room', file,
			replyTo: replyTo ? { id: this.refOf(c, replyTo), quote: replyTo.text.split('\n').slice(0, 3).join('\n') } : null };
		this.addMessage(c, m);
		if (m.pending) this.watchEcho(c, m);
		return m;
	}

	watchEcho(c, m) {
		m.timer = setTimeout(() => {
			if (!m.pending) return;
			if (this.connection.status !== 'online') {
				this.watchEcho(c, m); // still queued for the reconnection: wait on
				return;
			}
			m.pending = false;
			m.failed = 'not confirmed by the room';
			this.changed();
		}, ECHO_TIMEOUT_MS);
	}

	retry(c, m) {
		const i = c.messages.indexOf(m);
		if (i >= 0) c.messages.splice(i, 1);
		this.changed();
		return this.sendMessage(c, m.text);
	}

	/** XEP-0085 */
	typing(c) {
		if (!c || (c.kind === 'room' && !c.joined)) return;
		const type = c.kind === 'room' ? 'groupchat' : 'chat';
		if (c.typingSent !== 'composing') {
			c.typingSent = 'composing';
			this.connection.send(xml('message', { to: c.jid, type }, xml('composing', { xmlns: NS.CHATSTATES }),
				xml('no-store', { xmlns: 'urn:xmpp:hints' })));
		}
		clearTimeout(c.pausedTimer);
		c.pausedTimer = setTimeout(() => {
			c.typingSent = 'paused';
			this.connection.send(xml('message', { to: c.jid, type }, xml('paused', { xmlns: NS.CHATSTATES }),
				xml('no-store', { xmlns: 'urn:xmpp:hints' })));
		}, 5000);
	}

	// ---- rooms (XEP-0045) ----

	roomJid(input) {
		const text = String(input || '').trim().toLowerCase();
		if (!text || /[\s/"'&<>@]/.test(text.replace(/@[^@]*$/, ''))) return null;
		return text.includes('@') ? bare(text) : `${text}@${this.mucService || 'conference.' + this.connection.options.domain}`;
	}

	/** Resolves once in the room, rejects with its error. */
	async joinRoom(input, { create = false, rejoin = false } = {}) {
		const jid = this.roomJid(input);
		if (!jid) throw new Error(`"${input}" is not a valid room name`);
		const existing = this.conversations.get(jid);
		if (existing && existing.joined) {
			this.select(jid);
			return existing;
		}
		let info = { features: new Set() };
		try {
			info = await this.disco(jid);
		} catch (e) {
			if (e.condition !== 'item-not-found') throw new Error(`room ${local(jid)}: ${e.message}`);
			if (!create) throw new Error(`there is no room "${local(jid)}"; use Create to make it`);
		}
		if (info.query && create && !rejoin) throw new Error(`the room "${local(jid)}" already exists; use Join`);
		const hasMam = info.features.has(NS.MAM);
		const identity = child(info.query, 'identity');
		const c = this.conversation(jid, 'room', identity && identity.getAttribute('name') || local(jid));
		c.hasMam = hasMam;
		c.features = info.features;
		c.error = null;
		c.nick = c.nick || this.username;
		if (!rejoin) this.select(jid);
		const joined = new Promise((resolve, reject) => {
			c.pendingJoin = { resolve, reject };
			setTimeout(() => reject(new Error(`no answer from the room ${local(jid)}`)), 20000);
		});
		// history from the archive when the room keeps one, else the room's own
		const history = hasMam ? xml('history', { maxstanzas: 0 }) : xml('history', { maxstanzas: PAGE });
		this.connection.send(xml('presence', { to: `${jid}/${c.nick}` }, xml('x', { xmlns: NS.MUC }, history)));
		const self = await joined;
		this.rememberRooms();
		if (!this.bookmarks || !this.bookmarks.has(c.jid)) this.bookmark(c, true).catch(() => {});
		if (self.created) await this.configureNewRoom(c);
		if (hasMam || self.created) {
			c.hasMam = c.hasMam || self.created;
			await this.loadHistory(c, { latest: true }).catch(e => this.systemLine(c, `history unavailable: ${e.message}`));
		}
		this.changed();
		return c;
	}

	/** §10.1.2: a new room is locked until configured. */
	async configureNewRoom(c) {
		await this.iq('set', c.jid, xml('query', { xmlns: NS.MUC_OWNER }, form('http://jabber.org/protocol/muc#roomconfig', {
			'muc#roomconfig_roomname': local(c.jid), 'muc#roomconfig_publicroom': 1, 'muc#roomconfig_persistentroom': 1,
			'muc#roomconfig_enablelogging': 1 })), { what: 'configuring the room' });
		this.refreshDirectory().catch(() => {});
	}

	// ---- files (XEP-0363 HTTP File Upload) ----

	/** Uploads and shares the URL (with XEP-0066 OOB); onProgress(0..1). */
	async uploadFile(c, file, onProgress = () => {}) {
		if (!this.upload) throw new Error('this server offers no file upload');
		if (this.upload.maxBytes && file.size > this.upload.maxBytes) {
			throw new Error(`${file.name} is too large (${formatBytes(file.size)}; at most ${formatBytes(this.upload.maxBytes)})`);
		}
		const type = file.type || 'application/octet-stream';
		const r = await this.iq('get', this.upload.jid, xml('request',
			{ xmlns: NS.UPLOAD, filename: file.name.substring(0, 200), size: file.size, 'content-type': type }), { what: 'asking to upload' });
		const slot = child(r, 'slot', NS.UPLOAD);
		const put = child(slot, 'put', NS.UPLOAD);
		const get = child(slot, 'get', NS.UPLOAD);
		if (!put || !get) throw new Error('the upload service gave no slot');
		await new Promise((resolve, reject) => {
			const xhr = new XMLHttpRequest();
			xhr.open('PUT', put.getAttribute('url'));
			xhr.setRequestHeader('Content-Type', type);
			// §4.2: only these may be passed on
			for (const hd of children(put, 'header', NS.UPLOAD)) {
				const name = hd.getAttribute('name');
				if (/^(authorization|cookie|expires)$/i.test(name)) xhr.setRequestHeader(name, hd.textContent.replace(/[\r\n]/g, ''));
			}
			xhr.upload.onprogress = e => e.lengthComputable && onProgress(e.loaded / e.total);
			xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`upload refused (HTTP ${xhr.status})`)));
			xhr.onerror = () => reject(new Error('the upload failed'));
			xhr.send(file);
		});
		const url = get.getAttribute('url');
		return this.sendMessage(c, url, { file: url });
	}

	// ---- bookmarks (XEP-0402): joined rooms in a private PEP node, with autojoin ----

	async loadBookmarks() {
		const r = await this.iq('get', undefined, xml('pubsub', { xmlns: NS.PUBSUB }, xml('items', { node: NS.BOOKMARKS })), { timeoutMs: 8000 });
		const items = children(child(child(r, 'pubsub', NS.PUBSUB), 'items', NS.PUBSUB), 'item');
		this.bookmarks = new Set(items.map(i => i.getAttribute('id')));
		return items.filter(i => /^(true|1)$/.test(child(i, 'conference', NS.BOOKMARKS)?.getAttribute('autojoin')))
			.map(i => i.getAttribute('id')).slice(0, 50);
	}

	async bookmark(c, on) {
		this.bookmarks = this.bookmarks || new Set();
		if (!on) {
			this.bookmarks.delete(c.jid);
			await this.iq('set', undefined, xml('pubsub', { xmlns: NS.PUBSUB },
				xml('retract', { node: NS.BOOKMARKS, notify: 'true' }, xml('item', { id: c.jid }))));
			return;
		}
		this.bookmarks.add(c.jid);
		// §5: private, persistent and unbounded, as the XEP asks.
		await this.iq('set', undefined, xml('pubsub', { xmlns: NS.PUBSUB },
			xml('publish', { node: NS.BOOKMARKS }, xml('item', { id: c.jid },
				xml('conference', { xmlns: NS.BOOKMARKS, autojoin: 'true', name: c.title }, xml('nick', {}, c.nick)))),
			xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#persist_items': true,
				'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' }))));
	}

	leaveRoom(c) {
		this.bookmark(c, false).catch(() => {});
		this.connection.send(xml('presence', { to: `${c.jid}/${c.nick}`, type: 'unavailable' }));
		this.conversations.delete(c.key);
		if (this.active === c.key) this.active = null;
		this.rememberRooms();
		this.changed();
	}

	roomPresence(p, c) {
		const from = p.getAttribute('from');
		const nick = resource(from);
		const type = p.getAttribute('type');
		const x = child(p, 'x', NS.MUC_USER);
		const codes = x ? children(x, 'status').map(s => s.getAttribute('code')) : [];
		if (!nick && type !== 'error') {
			// the room's own: its avatar (XEP-0486)
			if (!type) this.presenceAvatar(c.jid, p);
			return;
		}
		if (type === 'error') {
			const { condition, text } = stanzaError(p);
			const reasons = {
				conflict: 'that nickname is already in use in this room',
				'not-authorized': 'this room needs a password',
				forbidden: 'you are banned from this room',
				'registration-required': 'this room is for members only',
				'service-unavailable': 'this room is full',
				'item-not-found': 'this room is locked or does not exist',
				'not-allowed': 'you may not create rooms here',
			};
			const message = `cannot enter ${local(c.jid)}: ${text || reasons[condition] || condition}`;
			c.error = message;
			if (c.pendingJoin) {
				c.pendingJoin.reject(new Error(message));
				c.pendingJoin = null;
				this.conversations.delete(c.key);
				if (this.active === c.key) this.active = null;
			}
			this.changed();
			return;
		}
		const item = x ? child(x, 'item') : null;
		const isSelf = codes.includes('110');
		if (type === 'unavailable') {
			const had = c.members.delete(nick);
			if (codes.includes('303')) {
				const newNick = item && item.getAttribute('nick');
				this.systemLine(c, `${nick} is now known as ${newNick}`);
			} else {
				const why = codes.includes('307') ? 'removed' : codes.includes('301') ? 'banned' : '';
				if (isSelf) {
					c.joined = false;
					this.systemLine(c, why ? `you were ${why} from the room` : 'you left the room');
				} else if (had && c.joined) {
					this.systemLine(c, why ? `${nick} was ${why}` : `${nick} has left`, 'notice', { presence: 'left', who: nick });
				}
			}
			c.typing.delete(nick);
			this.changed();
			return;
		}
		const known = c.members.has(nick);
		const real = item && item.getAttribute('jid') ? bare(item.getAttribute('jid')) : null;
		this.presenceAvatar(real, p);
		c.members.set(nick, {
			nick,
			role: item ? item.getAttribute('role') || 'participant' : 'participant',
			affiliation: item ? item.getAttribute('affiliation') || 'none' : 'none',
			show: childText(p, 'show') || 'available',
			status: childText(p, 'status') || '',
			jid: real,
			self: isSelf,
		});
		if (isSelf) {
			c.nick = nick;
			if (!c.joined) {
				c.joined = true;
				this.systemLine(c, `you joined ${c.title}`);
			}
			if (c.pendingJoin) {
				c.pendingJoin.resolve({ created: codes.includes('201') });
				c.pendingJoin = null;
			}
		} else if (!known && c.joined) {
			this.systemLine(c, `${nick} has joined`, 'notice', { presence: 'joined', who: nick });
		}
		this.changed();
	}

	refreshDirectory() {
		if (!this.mucService) return Promise.resolve();
		return this.iq('get', this.mucService, xml('query', { xmlns: NS.DISCO_ITEMS })).then(result => {
				const known = new Map(this.directory.map(r => [r.jid, r]));
				this.directory = children(child(result, 'query', NS.DISCO_ITEMS), 'item')
					.map(i => Object.assign({ occupants: null, description: '' }, known.get(bare(i.getAttribute('jid'))),
						{ jid: bare(i.getAttribute('jid')), name: i.getAttribute('name') || local(i.getAttribute('jid')) }))
					.sort((a, b) => a.name.localeCompare(b.name));
				this.changed();
				// XEP-0045 §6.4 muc#roominfo
				return Promise.all(this.directory.slice(0, 40).map(r => this.disco(r.jid, { timeoutMs: 8000 }).then(({ query }) => {
					const occupants = field(child(query, 'x', NS.DATA), 'muc#roominfo_occupants');
					r.occupants = occupants === null ? null : Number.parseInt(occupants, 10);
					r.description = field(child(query, 'x', NS.DATA), 'muc#roominfo_description') || '';
				}, () => {})));
			}).then(() => this.changed());
	}

	// ---- history (XEP-0313) ----

	/** The latest page, or the one before the oldest shown. */
	async loadHistory(c, { latest = false } = {}) {
		if (!c.hasMam) return;
		if (!latest && (c.complete || c.loadingEarlier)) return;
		c.loadingEarlier = !latest;
		this.changed();
		const queryId = newId('q');
		const set = xml('set', { xmlns: NS.RSM }, xml('max', {}, PAGE),
			latest || !c.oldest ? xml('before') : xml('before', {}, c.oldest));
		const collected = [];
		c.mamCollector = { queryId, collected };
		try {
			const result = await this.iq('set', c.kind === 'room' ? c.jid : undefined, xml('query', { xmlns: NS.MAM, queryid: queryId },
				c.kind === 'chat' ? form(NS.MAM, { with: c.jid }) : null, set), { what: 'loading history' });
			const fin = child(result, 'fin', NS.MAM);
			const first = fin ? childText(child(fin, 'set', NS.RSM), 'first', NS.RSM) : null;
			if (!latest || !c.oldest) {
				if (first) c.oldest = first;
				c.complete = !!fin && (fin.getAttribute('complete') === 'true' || collected.length === 0);
			}
			const plain = collected.filter(m => m.kind !== 'modifier');
			if (!latest) {
				for (let i = plain.length - 1; i >= 0; i--) this.addMessage(c, plain[i], { history: true, prepend: true });
			} else {
				for (const m of plain) this.addMessage(c, m, { history: true });
			}
			// modifiers once their messages are in
			for (const m of collected) if (m.kind === 'modifier') this.applyModifier(c, m);
		} finally {
			c.mamCollector = null;
			c.loadingEarlier = false;
			this.changed();
		}
	}

	mamResult(message, result) {
		const queryId = result.getAttribute('queryid');
		const c = [...this.conversations.values()].find(x => x.mamCollector && x.mamCollector.queryId === queryId);
		if (!c) return;
		const forwarded = child(result, 'forwarded', NS.FORWARD);
		const inner = child(forwarded, 'message');
		const delay = child(forwarded, 'delay', NS.DELAY);
		const m = this.parseMessage(c, inner, delay ? new Date(delay.getAttribute('stamp')) : new Date());
		if (m) {
			m.archiveId = result.getAttribute('id');
			c.mamCollector.collected.push(m);
		}
	}

	parseMessage(c, message, time) {
		let body = childText(message, 'body');
		const from = message.getAttribute('from') || '';
		const modifier = this.parseModifier(c, message, from, body);
		if (modifier) return modifier;
		if (body === null) return null;
		// XEP-0461: the quote is a fallback (XEP-0428)
		const reply = child(message, 'reply', NS.REPLY);
		let replyTo = null;
		if (reply) {
			const fallback = children(message, 'fallback', NS.FALLBACK).find(f => f.getAttribute('for') === NS.REPLY);
			const range = fallback && child(fallback, 'body', NS.FALLBACK);
			const chars = Array.from(body);
			const start = range ? Number(range.getAttribute('start')) : NaN;
			const end = range ? Number(range.getAttribute('end')) : NaN;
			let quote = '';
			if (start >= 0 && end > start && end <= chars.length) {
				quote = chars.slice(start, end).join('').replace(/^> ?/gm, '').trim();
				body = chars.slice(0, start).concat(chars.slice(end)).join('');
			}
			replyTo = { id: reply.getAttribute('id'), to: reply.getAttribute('to'), quote };
		}
		const originId = (child(message, 'origin-id', NS.SID) || { getAttribute: () => null }).getAttribute('id');
		let nick;
		let mine;
		if (c.kind === 'room') {
			nick = resource(from);
			mine = nick === c.nick;
		} else {
			mine = bare(from) === this.me || !from;
			nick = mine ? this.username : (this.roster.get(bare(from)) || {}).name || local(from);
		}
		// XEP-0066 alongside the body
		const oob = childText(child(message, 'x', NS.OOB), 'url');
		return { kind: 'message', id: message.getAttribute('id') || newId('m'), originId, from, nick, text: body, time, mine, replyTo,
			file: oob && /^https?:\/\//.test(oob) && body.trim() === oob ? oob : null,
			markable: !!child(message, 'markable', NS.MARKERS) };
	}

	/** Reactions (XEP-0444), a correction (XEP-0308), a retraction (XEP-0424/0425). */
	parseModifier(c, message, from, body) {
		const who = c.kind === 'room' ? resource(from) : bare(from) || this.me;
		const mine = c.kind === 'room' ? who === c.nick : who === this.me;
		const base = { kind: 'modifier', from, who, mine };
		const reactions = child(message, 'reactions', NS.REACTIONS);
		if (reactions) {
			const emojis = [...new Set(children(reactions, 'reaction').map(r => r.textContent.trim()).filter(e => e && e.length <= 40))].slice(0, 20);
			return Object.assign(base, { type: 'reactions', target: reactions.getAttribute('id'), emojis });
		}
		const retract = child(message, 'retract', NS.RETRACT);
		if (retract) {
			const moderated = child(retract, 'moderated', NS.MODERATE);
			return Object.assign(base, { type: 'retract', target: retract.getAttribute('id'),
				moderated: !!moderated && c.kind === 'room' && !resource(from), reason: childText(retract, 'reason') });
		}
		const replace = child(message, 'replace', NS.CORRECT);
		if (replace && body !== null) return Object.assign(base, { type: 'replace', target: replace.getAttribute('id'), text: body });
		return null;
	}

	target(c, id) {
		if (!id) return null;
		for (let i = c.messages.length - 1; i >= 0; i--) {
			const m = c.messages[i];
			if (m.kind === 'message' && (m.archiveId === id || m.id === id || m.originId === id)) return m;
		}
		return null;
	}

	/** Only the sender may change a message (moderators may retract). */
	applyModifier(c, mod) {
		const m = this.target(c, mod.target);
		if (!m) return;
		const sameSender = c.kind === 'room' ? m.nick === mod.who : m.mine === mod.mine;
		if (mod.type === 'reactions') {
			m.reactions = m.reactions || new Map();
			for (const [emoji, who] of m.reactions) {
				who.delete(mod.who);
				if (who.size === 0) m.reactions.delete(emoji);
			}
			for (const emoji of mod.emojis) {
				if (!m.reactions.has(emoji)) m.reactions.set(emoji, new Set());
				m.reactions.get(emoji).add(mod.who);
			}
		} else if (mod.type === 'replace' && sameSender && !m.retracted) {
			m.text = mod.text;
			m.edited = true;
		} else if (mod.type === 'retract' && (sameSender || mod.moderated)) {
			m.retracted = mod.moderated ? `removed by a moderator${mod.reason ? `: ${mod.reason}` : ''}` : 'message deleted';
			m.text = '';
			m.reactions = null;
		}
		m.rev = (m.rev || 0) + 1;
		this.changed();
	}

	/** XEP-0444 §4: the room's stanza-id, or the message id in 1:1 */
	refOf(c, m) {
		return c.kind === 'room' ? m.archiveId || null : m.originId || m.id;
	}

	react(c, m, emoji) {
		const ref = this.refOf(c, m);
		if (!ref) throw new Error('this message cannot be reacted to yet');
		const me = c.kind === 'room' ? c.nick : this.me;
		const mine = new Set([...(m.reactions || new Map())].filter(([, who]) => who.has(me)).map(([e]) => e));
		mine.has(emoji) ? mine.delete(emoji) : mine.add(emoji);
		const stanza = xml('message', { to: c.jid, type: c.kind === 'room' ? 'groupchat' : 'chat', id: newId('r') },
			xml('reactions', { xmlns: NS.REACTIONS, id: ref }, [...mine].map(e => xml('reaction', {}, e))),
			xml('store', { xmlns: NS.HINTS }));
		this.connection.send(stanza);
		if (c.kind === 'chat') this.applyModifier(c, { kind: 'modifier', type: 'reactions', target: ref, who: me, mine: true, emojis: [...mine] });
	}

	/** XEP-0424 */
	retract(c, m) {
		const ref = this.refOf(c, m);
		if (!ref || !m.mine) throw new Error('only your own sent messages can be deleted');
		this.connection.send(xml('message', { to: c.jid, type: c.kind === 'room' ? 'groupchat' : 'chat', id: newId('x') },
			xml('retract', { xmlns: NS.RETRACT, id: ref }),
			xml('fallback', { xmlns: NS.FALLBACK, for: NS.RETRACT }),
			xml('body', {}, 'This person attempted to retract a previous message, but it\'s unsupported by your client.'),
			xml('store', { xmlns: NS.HINTS })));
		if (c.kind === 'chat') this.applyModifier(c, { kind: 'modifier', type: 'retract', target: ref, who: this.me, mine: true });
	}

	/** XEP-0425 */
	moderate(c, m, reason = '') {
		return this.iq('set', c.jid, xml('moderate', { xmlns: NS.MODERATE, id: m.archiveId },
			xml('retract', { xmlns: NS.RETRACT }), reason ? xml('reason', {}, reason) : null), { what: 'removing the message' });
	}

	/** XEP-0333, once per message */
	markDisplayed(c) {
		if (c.kind !== 'chat' || this.connection.status !== 'online') return;
		const m = [...c.messages].reverse().find(x => x.kind === 'message' && !x.mine);
		if (!m || !m.markable || c.displayedSent === m.id || !m.id) return;
		c.displayedSent = m.id;
		this.connection.send(xml('message', { to: c.jid, type: 'chat', id: newId('d') },
			xml('displayed', { xmlns: NS.MARKERS, id: m.id }), xml('store', { xmlns: NS.HINTS })));
	}

	/** XEP-0308 §4: only the last can be corrected. */
	lastOwn(c) {
		for (let i = c.messages.length - 1; i >= 0; i--) {
			const m = c.messages[i];
			if (m.kind === 'message' && m.mine) return m.retracted || m.failed ? null : m;
		}
		return null;
	}

	// ---- incoming stanzas ----

	stanza(event) {
		const s = event.detail.stanza;
		try {
			if (s.localName === 'iq') {
				if (child(s, 'query', NS.ROSTER) && s.getAttribute('type') === 'set' && this.rosterPush(s)) event.preventDefault();
				const query = child(s, 'query', NS.DISCO_INFO);
				if (query && s.getAttribute('type') === 'get') {
					// XEP-0115 §6.2
					this.connection.send(xml('iq', { type: 'result', id: s.getAttribute('id'), to: s.getAttribute('from') },
						xml('query', { xmlns: NS.DISCO_INFO, node: query.getAttribute('node') }, xml('identity', IDENTITY),
							FEATURES.map(f => xml('feature', { var: f })))));
					event.preventDefault();
				}
				return;
			}
			if (s.localName === 'presence') {
				const c = this.conversations.get(bare(s.getAttribute('from')));
				if (c && c.kind === 'room') this.roomPresence(s, c);
				else this.contactPresence(s);
				return;
			}
			if (s.localName === 'message') this.message(s);
		} catch (e) {
			console.error('stanza handling failed', e);
		}
	}

	message(s) {
		const result = child(s, 'result', NS.MAM);
		if (result) return this.mamResult(s, result);
		const from = s.getAttribute('from') || '';
		const type = s.getAttribute('type') || 'normal';
		const jid = bare(from);
		const items = child(child(s, 'event', NS.EVENT), 'items', NS.EVENT);
		if (items) {
			if (items.getAttribute('node') === NS.AVATAR_META) this.avatarEvent(jid || this.me, items);
			return;
		}
		let c = this.conversations.get(jid);
		const body = childText(s, 'body');
		if (type === 'error') {
			const { condition, text } = stanzaError(s);
			const id = s.getAttribute('id');
			const sent = c && id && c.messages.find(m => m.mine && m.id === id);
			const why = `not delivered: ${text || condition}`;
			if (sent) {
				sent.pending = false;
				clearTimeout(sent.timer);
				sent.failed = why;
				this.changed();
			} else if (c) {
				this.systemLine(c, why, 'error');
			}
			return;
		}
		const room = type === 'groupchat';
		// (private messages in rooms are not supported)
		if (room ? c?.kind !== 'room' : (type !== 'chat' && type !== 'normal') || c?.kind === 'room') return;
		if (room && child(s, 'subject') && body === null) {
			c.subject = childText(s, 'subject');
			return this.changed();
		}
		if (!room) {
			const displayed = child(s, 'displayed', NS.MARKERS);
			const seen = displayed && c && this.target(c, displayed.getAttribute('id'));
			if (seen && seen.mine) {
				c.seenId = seen.id;
				this.changed();
			}
			if (body === null && (!c || !(child(s, 'reactions', NS.REACTIONS) || child(s, 'retract', NS.RETRACT)
				|| children(s).some(x => x.namespaceURI === NS.CHATSTATES)))) return;
		}
		const first = !c;
		c = c || this.conversation(jid, 'chat', this.roster.get(jid)?.name);
		this.chatState(c, s, room ? resource(from) : c.title);
		const delay = child(s, 'delay', NS.DELAY);
		const m = this.parseMessage(c, s, delay ? new Date(delay.getAttribute('stamp')) : new Date());
		if (!m) return;
		const sid = children(s, 'stanza-id', NS.SID).find(x => bare(x.getAttribute('by')) === (room ? c.jid : this.me));
		if (sid) m.archiveId = sid.getAttribute('id');
		this.addMessage(c, m, { history: !!delay });
		if (first) this.loadHistory(c, { latest: true }).catch(() => {});
	}

	chatState(c, s, who) {
		const state = children(s).find(x => x.namespaceURI === NS.CHATSTATES);
		if (!state || (c.kind === 'room' && who === c.nick)) return;
		if (state.localName === 'composing') c.typing.set(who, 'composing');
		else c.typing.delete(who);
		this.changed();
	}

	/** This device's token is revoked first. */
	async logout() {
		const credentials = this.connection.credentials;
		const token = credentials && credentials.token;
		if (token && this.connection.status === 'online') {
			await this.iq('set', undefined, xml('revoke', { xmlns: NS.DEVICE_TOKENS, id: token.id }), { timeoutMs: 3000 }).catch(() => {});
		}
		this.connection.close();
	}
}

// XEP-0115: what the page is (answered to disco#info); +notify asks for contacts' avatar notifications.
const CAPS_NODE = 'urn:parley:web';
const IDENTITY = { category: 'client', type: 'web', name: 'Parley' };
const FEATURES = [NS.CAPS, NS.DISCO_INFO, NS.AVATAR_META + '+notify'].sort();

/** XEP-0115 §5.1 */
async function capsVer() {
	const s = `client/web//Parley<${FEATURES.join('<')}<`;
	return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(s))));
}

function hex(buffer) {
	return [...new Uint8Array(buffer)].map(b => b.toString(16).padStart(2, '0')).join('');
}

/** A submitted data form (XEP-0004) of this FORM_TYPE. */
function form(type, fields) {
	return xml('x', { xmlns: NS.DATA, type: 'submit' }, Object.entries({ FORM_TYPE: type, ...fields })
		.map(([v, value]) => xml('field', { var: v, type: v === 'FORM_TYPE' ? 'hidden' : null }, xml('value', {}, value))));
}

function field(form, v) {
	return childText(children(form, 'field').find(f => f.getAttribute('var') === v), 'value');
}

function dataUrl(type, data) {
	data = (data || '').replace(/\s+/g, '');
	return data && data.length < 300000 && /^image\/(png|jpeg|gif|webp)$/.test(type || '') ? `data:${type};base64,${data}` : null;
}

/** A received element to send back. */
function toNode(el) {
	const attrs = {};
	for (const a of el.attributes) if (a.name !== 'xmlns') attrs[a.name] = a.value;
	if (el.namespaceURI && (!el.parentNode || el.parentNode.namespaceURI !== el.namespaceURI)) attrs.xmlns = el.namespaceURI;
	return xml(el.localName, attrs, [...el.childNodes].map(n => n.nodeType === 1 ? toNode(n) : n.nodeType === 3 ? n.data : null));
}

/** "@nick" or the nick as a word */
export function mentions(text, nick) {
	if (!nick || !text) return false;
	const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

export function deviceName() {
	const ua = navigator.userAgent;
	const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
		: /Safari\//.test(ua) ? 'Safari' : 'Browser';
	const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
		: /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'unknown system';
	return `${browser} on ${os}`;
}
