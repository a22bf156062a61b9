// The chat model over one XMPP connection: roster and subscriptions (RFC 6121), rooms (XEP-0045), 1:1 chats,
// history from the archive (XEP-0313, with MUC history when a room keeps none), typing states (XEP-0085) and
// the room directory (XEP-0030). Views subscribe to 'change' and read the state; they never see XML.
import { xml, child, children, childText, bare, resource, local, newId } from '../xmpp/xml.js';
import { stanzaError } from '../xmpp/errors.js';

export const NS_APP = Object.freeze({
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
});

const PAGE = 30;
const MAX_MESSAGES = 1000;

export class ChatClient extends EventTarget {
    constructor(connection, username) {
        super();
        this.connection = connection;
        this.username = username;
        this.mucService = null;
        this.conversations = new Map(); // key: bare JID of the room or contact
        this.roster = new Map();
        this.requests = new Set();
        this.directory = [];
        this.active = null;
        this.notices = [];
        this.changeScheduled = false;
        connection.addEventListener('stanza', e => this.stanza(e));
        connection.addEventListener('online', e => this.online(e.detail.resumed));
        connection.addEventListener('status', () => this.changed());
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
        this.connection.send(xml('presence'));
        if (!this.mucService) this.mucService = await this.discoverMucService();
        const rooms = [...this.conversations.values()].filter(c => c.kind === 'room');
        if (rooms.length === 0 && !this.rejoined) {
            this.rejoined = true;
            await this.joinRoom('lobby').catch(e => this.notify(e.message));
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

    async discoverMucService() {
        const domain = this.connection.options.domain;
        try {
            const items = await this.connection.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_APP.DISCO_ITEMS })));
            for (const item of children(child(items, 'query', NS_APP.DISCO_ITEMS), 'item')) {
                const jid = item.getAttribute('jid');
                const info = await this.connection.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_APP.DISCO_INFO })))
                    .catch(() => null);
                const identities = info ? children(child(info, 'query', NS_APP.DISCO_INFO), 'identity') : [];
                if (identities.some(i => i.getAttribute('category') === 'conference' && i.getAttribute('type') === 'text')) return jid;
            }
        } catch (e) {
            // fall through to the conventional name
        }
        return `conference.${domain}`;
    }

    // ---- roster and subscriptions (RFC 6121) ----

    async loadRoster() {
        const result = await this.connection.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_APP.ROSTER })));
        const fresh = new Map();
        for (const item of children(child(result, 'query', NS_APP.ROSTER), 'item')) {
            const entry = this.rosterItem(item);
            const old = this.roster.get(entry.jid);
            if (old) entry.presence = old.presence;
            fresh.set(entry.jid, entry);
        }
        this.roster = fresh;
        this.changed();
    }

    rosterItem(item) {
        return {
            jid: bare(item.getAttribute('jid')),
            name: item.getAttribute('name') || local(item.getAttribute('jid')) || item.getAttribute('jid'),
            subscription: item.getAttribute('subscription') || 'none',
            ask: item.getAttribute('ask') === 'subscribe',
            presence: new Map(),
        };
    }

    rosterPush(iq) {
        const from = iq.getAttribute('from');
        if (from && bare(from) !== this.me) return false; // §2.1.6: only from the account itself
        for (const item of children(child(iq, 'query', NS_APP.ROSTER), 'item')) {
            const entry = this.rosterItem(item);
            if (entry.subscription === 'remove') {
                this.roster.delete(entry.jid);
            } else {
                const old = this.roster.get(entry.jid);
                if (old) entry.presence = old.presence;
                this.roster.set(entry.jid, entry);
            }
        }
        this.connection.send(xml('iq', { type: 'result', id: iq.getAttribute('id') }));
        this.changed();
        return true;
    }

    /** Add friend: a roster item and a subscription request (§3.1.1). */
    async addFriend(input) {
        const jid = this.contactJid(input);
        if (!jid) throw new Error(`"${input}" is not a valid name`);
        if (jid === this.me) throw new Error("you can't add yourself");
        await this.connection.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_APP.ROSTER }, xml('item', { jid }))),
            { what: 'adding the contact' });
        this.connection.send(xml('presence', { to: jid, type: 'subscribe' }));
        return jid;
    }

    contactJid(input) {
        const text = String(input || '').trim();
        if (!text || /[\s/"'&<>]/.test(text)) return null;
        return bare(text.includes('@') ? text : `${text}@${this.connection.options.domain}`);
    }

    /** Accept a friend request: approve it (§3.1.5) and ask back, so that both see each other. */
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
            // Asking back someone we asked (or who accepted us) completes a friendship the user already
            // started: approve at once instead of asking the user a second time.
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
        if (!entry) return;
        if (type === 'unavailable' || type === 'error') {
            entry.presence.delete(resource(from));
        } else if (!type) {
            entry.presence.set(resource(from), childText(p, 'show') || 'available');
        }
        this.changed();
    }

    /** 'available', 'away', 'dnd', 'xa', 'chat' or 'offline'. */
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
        const ids = [m.archiveId, m.originId].filter(Boolean);
        if (ids.some(id => c.ids.has(id))) return false;
        ids.forEach(id => c.ids.add(id));
        if (prepend) {
            c.messages.unshift(m);
        } else if (history) {
            // Archive pages and live messages can interleave after a reconnection: keep time order.
            let i = c.messages.length;
            while (i > 0 && c.messages[i - 1].time > m.time) i--;
            c.messages.splice(i, 0, m);
        } else {
            c.messages.push(m);
        }
        if (c.messages.length > MAX_MESSAGES) c.messages.splice(0, c.messages.length - MAX_MESSAGES);
        if (!history && !m.mine && m.kind === 'message' && this.active !== c.key) c.unread++;
        this.changed();
        return true;
    }

    systemLine(c, text, kind = 'notice') {
        c.messages.push({ kind, text, time: new Date(), id: newId('n') });
        this.changed();
    }

    /** Sends a message to the active conversation. */
    sendMessage(c, text) {
        const body = String(text);
        if (!body.trim()) return;
        const id = newId('m');
        const type = c.kind === 'room' ? 'groupchat' : 'chat';
        const stanza = xml('message', { to: c.jid, type, id }, xml('body', {}, body),
            xml('active', { xmlns: NS_APP.CHATSTATES }), xml('origin-id', { xmlns: NS_APP.SID, id }));
        this.connection.send(stanza);
        c.typingSent = 'active';
        clearTimeout(c.pausedTimer);
        if (c.kind === 'chat') {
            this.addMessage(c, { kind: 'message', id, originId: id, from: this.me, nick: this.username, text: body, time: new Date(), mine: true });
        }
        // In a room the message comes back from the room (with its archive id); it is shown then.
    }

    /** XEP-0085: 'composing' while typing, 'paused' after five quiet seconds. */
    typing(c) {
        if (!c || (c.kind === 'room' && !c.joined)) return;
        const type = c.kind === 'room' ? 'groupchat' : 'chat';
        if (c.typingSent !== 'composing') {
            c.typingSent = 'composing';
            this.connection.send(xml('message', { to: c.jid, type }, xml('composing', { xmlns: NS_APP.CHATSTATES }),
                xml('no-store', { xmlns: 'urn:xmpp:hints' })));
        }
        clearTimeout(c.pausedTimer);
        c.pausedTimer = setTimeout(() => {
            c.typingSent = 'paused';
            this.connection.send(xml('message', { to: c.jid, type }, xml('paused', { xmlns: NS_APP.CHATSTATES }),
                xml('no-store', { xmlns: 'urn:xmpp:hints' })));
        }, 5000);
    }

    // ---- rooms (XEP-0045) ----

    roomJid(input) {
        const text = String(input || '').trim().toLowerCase();
        if (!text || /[\s/"'&<>@]/.test(text.replace(/@[^@]*$/, ''))) return null;
        return text.includes('@') ? bare(text) : `${text}@${this.mucService || 'conference.' + this.connection.options.domain}`;
    }

    /** Enters a room (creating it when `create`); resolves once in, rejects with the room's error. */
    async joinRoom(input, { create = false, rejoin = false } = {}) {
        const jid = this.roomJid(input);
        if (!jid) throw new Error(`"${input}" is not a valid room name`);
        const existing = this.conversations.get(jid);
        if (existing && existing.joined) {
            this.select(jid);
            return existing;
        }
        let info = null;
        try {
            info = await this.connection.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_APP.DISCO_INFO })));
        } catch (e) {
            if (!create && e.condition === 'item-not-found') {
                throw new Error(`there is no room "${local(jid)}"; use Create to make it`);
            }
            if (e.condition !== 'item-not-found') throw new Error(`room ${local(jid)}: ${e.message}`);
        }
        if (info && create && !rejoin) throw new Error(`the room "${local(jid)}" already exists; use Join`);
        const query = info ? child(info, 'query', NS_APP.DISCO_INFO) : null;
        const hasMam = !!query && children(query, 'feature').some(f => f.getAttribute('var') === NS_APP.MAM);
        const identity = query ? child(query, 'identity') : null;
        const c = this.conversation(jid, 'room', identity && identity.getAttribute('name') || local(jid));
        c.hasMam = hasMam;
        c.error = null;
        c.nick = c.nick || this.username;
        if (!rejoin) this.select(jid);
        const joined = new Promise((resolve, reject) => {
            c.pendingJoin = { resolve, reject };
            setTimeout(() => reject(new Error(`no answer from the room ${local(jid)}`)), 20000);
        });
        // History: from the archive when the room keeps one (then none from the room itself), else the room's own.
        const history = hasMam ? xml('history', { maxstanzas: 0 }) : xml('history', { maxstanzas: PAGE });
        this.connection.send(xml('presence', { to: `${jid}/${c.nick}` }, xml('x', { xmlns: NS_APP.MUC }, history)));
        const self = await joined;
        if (self.created) await this.configureNewRoom(c);
        if (hasMam || self.created) {
            c.hasMam = c.hasMam || self.created;
            await this.loadHistory(c, { latest: true }).catch(e => this.systemLine(c, `history unavailable: ${e.message}`));
        }
        this.changed();
        return c;
    }

    /** §10.1.2-3: a room we created is locked until configured: make it public, persistent and archived. */
    async configureNewRoom(c) {
        const field = (v, value) => xml('field', { var: v }, xml('value', {}, value));
        await this.connection.iq(xml('iq', { type: 'set', to: c.jid }, xml('query', { xmlns: NS_APP.MUC_OWNER },
            xml('x', { xmlns: NS_APP.DATA, type: 'submit' },
                field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'),
                field('muc#roomconfig_roomname', local(c.jid)),
                field('muc#roomconfig_publicroom', '1'),
                field('muc#roomconfig_persistentroom', '1'),
                field('muc#roomconfig_enablelogging', '1')))), { what: 'configuring the room' });
        this.refreshDirectory().catch(() => {});
    }

    leaveRoom(c) {
        this.connection.send(xml('presence', { to: `${c.jid}/${c.nick}`, type: 'unavailable' }));
        this.conversations.delete(c.key);
        if (this.active === c.key) this.active = null;
        this.changed();
    }

    roomPresence(p, c) {
        const from = p.getAttribute('from');
        const nick = resource(from);
        const type = p.getAttribute('type');
        const x = child(p, 'x', NS_APP.MUC_USER);
        const codes = x ? children(x, 'status').map(s => s.getAttribute('code')) : [];
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
            } else if (isSelf) {
                c.joined = false;
                this.systemLine(c, codes.includes('307') ? 'you were removed from the room' : codes.includes('301') ? 'you were banned from the room' : 'you left the room');
            } else if (had && c.joined) {
                this.systemLine(c, codes.includes('307') ? `${nick} was removed` : codes.includes('301') ? `${nick} was banned` : `${nick} has left`);
            }
            c.typing.delete(nick);
            this.changed();
            return;
        }
        const known = c.members.has(nick);
        c.members.set(nick, {
            nick,
            role: item ? item.getAttribute('role') || 'participant' : 'participant',
            affiliation: item ? item.getAttribute('affiliation') || 'none' : 'none',
            show: childText(p, 'show') || 'available',
            jid: item && item.getAttribute('jid') ? bare(item.getAttribute('jid')) : null,
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
            this.systemLine(c, `${nick} has joined`);
        }
        this.changed();
    }

    refreshDirectory() {
        if (!this.mucService) return Promise.resolve();
        return this.connection.iq(xml('iq', { type: 'get', to: this.mucService }, xml('query', { xmlns: NS_APP.DISCO_ITEMS })))
            .then(result => {
                this.directory = children(child(result, 'query', NS_APP.DISCO_ITEMS), 'item')
                    .map(i => ({ jid: bare(i.getAttribute('jid')), name: i.getAttribute('name') || local(i.getAttribute('jid')) }))
                    .sort((a, b) => a.name.localeCompare(b.name));
                this.changed();
            });
    }

    // ---- history (XEP-0313) ----

    /** The latest page (latest) or the page before the oldest shown ('load earlier'). */
    async loadHistory(c, { latest = false } = {}) {
        if (!c.hasMam) return;
        if (!latest && (c.complete || c.loadingEarlier)) return;
        c.loadingEarlier = !latest;
        this.changed();
        const queryId = newId('q');
        const form = c.kind === 'chat'
            ? xml('x', { xmlns: NS_APP.DATA, type: 'submit' },
                xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_APP.MAM)),
                xml('field', { var: 'with' }, xml('value', {}, c.jid)))
            : null;
        const set = xml('set', { xmlns: NS_APP.RSM }, xml('max', {}, PAGE),
            latest || !c.oldest ? xml('before') : xml('before', {}, c.oldest));
        const collected = [];
        c.mamCollector = { queryId, collected };
        try {
            const result = await this.connection.iq(xml('iq', { type: 'set', to: c.kind === 'room' ? c.jid : undefined },
                xml('query', { xmlns: NS_APP.MAM, queryid: queryId }, form, set)), { what: 'loading history' });
            const fin = child(result, 'fin', NS_APP.MAM);
            const first = fin ? childText(child(fin, 'set', NS_APP.RSM), 'first', NS_APP.RSM) : null;
            if (!latest || !c.oldest) {
                if (first) c.oldest = first;
                c.complete = !!fin && (fin.getAttribute('complete') === 'true' || collected.length === 0);
            }
            // Newest page first when prepending: keep the archive's (oldest-first) order in the list.
            if (!latest) {
                for (let i = collected.length - 1; i >= 0; i--) this.addMessage(c, collected[i], { history: true, prepend: true });
            } else {
                for (const m of collected) this.addMessage(c, m, { history: true });
            }
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
        const forwarded = child(result, 'forwarded', NS_APP.FORWARD);
        const inner = child(forwarded, 'message');
        const delay = child(forwarded, 'delay', NS_APP.DELAY);
        const m = this.parseMessage(c, inner, delay ? new Date(delay.getAttribute('stamp')) : new Date());
        if (m) {
            m.archiveId = result.getAttribute('id');
            c.mamCollector.collected.push(m);
        }
    }

    parseMessage(c, message, time) {
        const body = childText(message, 'body');
        if (body === null) return null;
        const from = message.getAttribute('from') || '';
        const originId = (child(message, 'origin-id', NS_APP.SID) || { getAttribute: () => null }).getAttribute('id');
        let nick;
        let mine;
        if (c.kind === 'room') {
            nick = resource(from);
            mine = nick === c.nick;
        } else {
            mine = bare(from) === this.me || !from;
            nick = mine ? this.username : (this.roster.get(bare(from)) || {}).name || local(from);
        }
        return { kind: 'message', id: message.getAttribute('id') || newId('m'), originId, from, nick, text: body, time, mine };
    }

    // ---- incoming stanzas ----

    stanza(event) {
        const s = event.detail.stanza;
        try {
            if (s.localName === 'iq') {
                if (child(s, 'query', NS_APP.ROSTER) && s.getAttribute('type') === 'set' && this.rosterPush(s)) event.preventDefault();
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
        const result = child(s, 'result', NS_APP.MAM);
        if (result) {
            this.mamResult(s, result);
            return;
        }
        const from = s.getAttribute('from') || '';
        const type = s.getAttribute('type') || 'normal';
        const jid = bare(from);
        if (type === 'error') {
            const c = this.conversations.get(jid);
            const { condition, text } = stanzaError(s);
            if (c) this.systemLine(c, `not delivered: ${text || condition}`, 'error');
            return;
        }
        if (type === 'groupchat') {
            const c = this.conversations.get(jid);
            if (!c) return;
            const subject = child(s, 'subject');
            if (subject && childText(s, 'body') === null) {
                c.subject = subject.textContent;
                this.changed();
                return;
            }
            this.chatState(c, s, resource(from));
            const delay = child(s, 'delay', NS_APP.DELAY);
            const m = this.parseMessage(c, s, delay ? new Date(delay.getAttribute('stamp')) : new Date());
            if (!m) return;
            const sid = children(s, 'stanza-id', NS_APP.SID).find(x => bare(x.getAttribute('by')) === c.jid);
            if (sid) m.archiveId = sid.getAttribute('id');
            this.addMessage(c, m, { history: !!delay });
            return;
        }
        if (type === 'chat' || type === 'normal') {
            if (this.conversations.get(jid) && this.conversations.get(jid).kind === 'room') return; // private MUC messages: not supported
            if (childText(s, 'body') === null && !children(s).some(x => x.namespaceURI === NS_APP.CHATSTATES)) return;
            const existing = this.conversations.get(jid);
            if (childText(s, 'body') === null && !existing) return;
            const c = existing || this.conversation(jid, 'chat', (this.roster.get(jid) || {}).name);
            this.chatState(c, s, c.title);
            const delay = child(s, 'delay', NS_APP.DELAY);
            const m = this.parseMessage(c, s, delay ? new Date(delay.getAttribute('stamp')) : new Date());
            if (!m) return;
            const sid = children(s, 'stanza-id', NS_APP.SID).find(x => bare(x.getAttribute('by')) === this.me);
            if (sid) m.archiveId = sid.getAttribute('id');
            const firstContact = !existing;
            this.addMessage(c, m, { history: !!delay });
            if (firstContact) this.loadHistory(c, { latest: true }).catch(() => {});
        }
    }

    chatState(c, s, who) {
        const state = children(s).find(x => x.namespaceURI === NS_APP.CHATSTATES);
        if (!state || (c.kind === 'room' && who === c.nick)) return;
        if (state.localName === 'composing') c.typing.set(who, 'composing');
        else c.typing.delete(who);
        this.changed();
    }

    logout() {
        this.connection.close();
    }
}
