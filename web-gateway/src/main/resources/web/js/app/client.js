// The chat model over one XMPP connection: roster and subscriptions (RFC 6121), rooms (XEP-0045), 1:1 chats,
// history from the archive (XEP-0313, with MUC history when a room keeps none), typing states (XEP-0085) and
// the room directory (XEP-0030). Views subscribe to 'change' and read the state; they never see XML.
import { xml, child, children, childText, bare, resource, local, newId } from '../xmpp/xml.js';
import { stanzaError, XmppError } from '../xmpp/errors.js';
import { formatBytes } from '../xmpp/connection.js';

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
  AVATAR_DATA: 'urn:xmpp:avatar:data',
  AVATAR_META: 'urn:xmpp:avatar:metadata',
  PUBSUB: 'http://jabber.org/protocol/pubsub',
  BOOKMARKS: 'urn:xmpp:bookmarks:1',
  UPLOAD: 'urn:xmpp:http:upload:0',
  OOB: 'jabber:x:oob',
});

/** A sent room message that has not come back from the room after this long is marked as failed. */
const ECHO_TIMEOUT_MS = 20000;

const PAGE = 30;
const MAX_MESSAGES = 1000;

export class ChatClient extends EventTarget {
  /**
   * @param store {get(key), set(key, value), remove(key)} for what the page keeps per account in this
   *              browser (joined rooms; the device token is kept by main.js through onToken)
   */
  constructor(connection, username, { store = null, onToken = null } = {}) {
    super();
    this.connection = connection;
    this.username = username;
    this.store = store;
    this.onToken = onToken;
    this.serverFeatures = new Set();
    this.avatars = new Map(); // bare JID → data: URL, or null (none / loading)
    this.avatarRev = 0;
    this.devices = [];
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
    connection.addEventListener('status', e => {
      // The member lists say who is in the room *now*: while offline nobody is known to be.
      if (e.detail.status !== 'online') this.offlineSince = this.offlineSince || Date.now();
      else this.offlineSince = null;
      this.changed();
    });
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
    this.connection.send(this.presenceStanza());
    if (!this.mucService) this.mucService = await this.discoverMucService();
    this.discoverServer().catch(() => {});
    const rooms = [...this.conversations.values()].filter(c => c.kind === 'room');
    if (rooms.length === 0 && !this.rejoined) {
      this.rejoined = true;
      // The rooms this account was in, in this browser (the lobby the first time).
      // The account's bookmarks (XEP-0402) when it has some, so every device enters the same rooms.
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
    } catch (e) { /* damaged: start over */ }
    return Array.isArray(rooms) && rooms.length > 0 ? rooms.slice(0, 50) : ['lobby'];
  }

  rememberRooms() {
    if (!this.store) return;
    const rooms = [...this.conversations.values()].filter(c => c.kind === 'room').map(c => c.jid);
    this.store.set('rooms', JSON.stringify(rooms));
  }

  /** The server's features (disco#info); asks for a device token when the server offers them. */
  async discoverServer() {
    const info = await this.connection.iq(xml('iq', { type: 'get', to: this.connection.options.domain },
      xml('query', { xmlns: NS_APP.DISCO_INFO })));
    this.serverFeatures = new Set(children(child(info, 'query', NS_APP.DISCO_INFO), 'feature').map(f => f.getAttribute('var')));
    if (this.serverFeatures.has(NS_APP.DEVICE_TOKENS) && this.onToken) {
      const credentials = this.connection.credentials;
      if (credentials && !credentials.token) await this.issueToken();
      this.loadDevices().catch(() => {});
    }
    this.changed();
  }

  // ---- staying signed in: per-device tokens (urn:parley:device-tokens:0) ----

  async issueToken() {
    const result = await this.connection.iq(xml('iq', { type: 'set' },
      xml('issue', { xmlns: NS_APP.DEVICE_TOKENS, device: deviceName() })), { what: 'saving the sign-in' });
    const t = child(result, 'token', NS_APP.DEVICE_TOKENS);
    const token = { id: t.getAttribute('id'), secret: t.getAttribute('secret') };
    this.connection.useToken(token); // reconnections use it too: the password is forgotten
    this.onToken(token);
  }

  async loadDevices() {
    const result = await this.connection.iq(xml('iq', { type: 'get' }, xml('list', { xmlns: NS_APP.DEVICE_TOKENS })));
    const current = this.connection.credentials && this.connection.credentials.token;
    this.devices = children(child(result, 'list', NS_APP.DEVICE_TOKENS), 'device').map(d => ({
      id: d.getAttribute('id'), name: d.getAttribute('name'), lastUsed: new Date(d.getAttribute('last-used')),
      current: !!current && current.id === d.getAttribute('id'),
    }));
    this.changed();
  }

  async revokeDevice(id) {
    await this.connection.iq(xml('iq', { type: 'set' }, xml('revoke', { xmlns: NS_APP.DEVICE_TOKENS, id })),
      { what: 'signing the device out', timeoutMs: 5000 });
    await this.loadDevices();
  }

  // ---- avatars: vCard PHOTO (XEP-0054/0153) for everyone; our own also published with PEP (XEP-0084) ----

  /** The picture of a bare JID, loaded on first use; null while unknown or when there is none. */
  avatarOf(jid) {
    if (!jid) return null;
    if (!this.avatars.has(jid) && this.avatars.size < 500 && this.connection.status === 'online') {
      this.avatars.set(jid, null);
      this.connection.iq(xml('iq', { type: 'get', to: jid === this.me ? undefined : jid }, xml('vCard', { xmlns: NS_APP.VCARD })),
        { timeoutMs: 10000 }).then(r => {
        const photo = child(child(r, 'vCard', NS_APP.VCARD), 'PHOTO', NS_APP.VCARD);
        const type = childText(photo, 'TYPE', NS_APP.VCARD) || '';
        const data = (childText(photo, 'BINVAL', NS_APP.VCARD) || '').replace(/\s+/g, '');
        if (data && data.length < 300000 && /^image\/(png|jpeg|gif|webp)$/.test(type)) {
          this.avatars.set(jid, `data:${type};base64,${data}`);
          this.avatarRev++;
          this.changed();
        }
      }, () => {});
    }
    return this.avatars.get(jid) || null;
  }

  /** Sets my picture (a data: URL of a small image): in my vCard, keeping its other fields, and in PEP. */
  async setAvatar(dataUrl) {
    const [, type, data] = dataUrl.match(/^data:([^;]+);base64,(.*)$/);
    let fields = [];
    try {
      const r = await this.connection.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: NS_APP.VCARD })));
      fields = children(child(r, 'vCard', NS_APP.VCARD)).filter(e => e.localName !== 'PHOTO').map(toNode);
    } catch (e) { /* no vCard yet */ }
    await this.connection.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: NS_APP.VCARD }, fields,
      xml('PHOTO', {}, xml('TYPE', {}, type), xml('BINVAL', {}, data)))), { what: 'saving your picture' });
    this.avatars.set(this.me, dataUrl);
    this.avatarRev++;
    this.changed();
    const bytes = Uint8Array.from(atob(data), ch => ch.charCodeAt(0));
    const id = [...new Uint8Array(await crypto.subtle.digest('SHA-1', bytes))].map(b => b.toString(16).padStart(2, '0')).join('');
    const publish = (node, payload) => this.connection.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_APP.PUBSUB },
      xml('publish', { node }, xml('item', { id }, payload)))));
    await publish(NS_APP.AVATAR_DATA, xml('data', { xmlns: NS_APP.AVATAR_DATA }, data)).then(() => publish(NS_APP.AVATAR_META,
      xml('metadata', { xmlns: NS_APP.AVATAR_META }, xml('info', { id, type, bytes: bytes.length, width: 96, height: 96 }))))
      .catch(() => {}); // PEP is a bonus: the vCard already has it
  }

  // ---- own presence ----

  presenceStanza() {
    const me = this.myPresence || { show: 'available', status: '' };
    return xml('presence', {}, me.show !== 'available' ? xml('show', {}, me.show) : null,
      me.status ? xml('status', {}, me.status.substring(0, 200)) : null);
  }

  /** online / away / dnd and a status message, to contacts and rooms. */
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
      const items = await this.connection.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_APP.DISCO_ITEMS })));
      for (const item of children(child(items, 'query', NS_APP.DISCO_ITEMS), 'item')) {
        const jid = item.getAttribute('jid');
        const info = await this.connection.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_APP.DISCO_INFO })))
          .catch(() => null);
        const query = info ? child(info, 'query', NS_APP.DISCO_INFO) : null;
        const identities = query ? children(query, 'identity') : [];
        // XEP-0363 §2: an upload service, with its size limit from the extended info form.
        if (query && children(query, 'feature').some(f => f.getAttribute('var') === NS_APP.UPLOAD)) {
          const form = children(query, 'x', NS_APP.DATA).find(x => children(x, 'field').some(f => childText(f, 'value') === NS_APP.UPLOAD));
          const max = form && children(form, 'field').find(f => f.getAttribute('var') === 'max-file-size');
          this.upload = { jid, maxBytes: max ? Number(childText(max, 'value')) || 0 : 0 };
        }
        if (!found && identities.some(i => i.getAttribute('category') === 'conference' && i.getAttribute('type') === 'text')) found = jid;
      }
    } catch (e) {
      // fall through to the conventional name
    }
    return found || `conference.${domain}`;
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
      entry.status = childText(p, 'status') || '';
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
      // Our own room message coming back: it is delivered now.
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
      // Archive pages and live messages can interleave after a reconnection: keep time order.
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

  /** Sends a message to the active conversation. */
  sendMessage(c, text, { replyTo = null, correct = null, file = null } = {}) {
    let body = String(text);
    if (!body.trim()) return;
    const id = newId('m');
    const type = c.kind === 'room' ? 'groupchat' : 'chat';
    const extra = [];
    let fallbackLength = 0;
    if (replyTo && !correct) {
      // XEP-0461 with a quoted fallback (XEP-0428) for clients without replies.
      const quote = replyTo.text.split('\n').slice(0, 3).map(l => `> ${l}`).join('\n') + '\n';
      fallbackLength = Array.from(quote).length;
      body = quote + body;
      extra.push(xml('reply', { xmlns: NS_APP.REPLY, id: this.refOf(c, replyTo),
        to: c.kind === 'room' ? `${c.jid}/${replyTo.nick}` : replyTo.mine ? this.me : c.jid }),
      xml('fallback', { xmlns: NS_APP.FALLBACK, for: NS_APP.REPLY }, xml('body', { start: 0, end: fallbackLength })));
    }
    if (correct) extra.push(xml('replace', { xmlns: NS_APP.CORRECT, id: correct.id }));
    if (file) extra.push(xml('x', { xmlns: NS_APP.OOB }, xml('url', {}, file)));
    const stanza = xml('message', { to: c.jid, type, id }, xml('body', {}, body), ...extra,
      xml('active', { xmlns: NS_APP.CHATSTATES }), xml('origin-id', { xmlns: NS_APP.SID, id }),
      c.kind === 'chat' ? xml('markable', { xmlns: NS_APP.MARKERS }) : null);
    if (!this.connection.fits(stanza)) {
      // Refused here: the server would end the stream for it (RFC 6120 §13.12).
      throw new XmppError('too-large', `This message is too long to send (${formatBytes(new TextEncoder().encode(body).length)}; `
        + `the server takes at most ${formatBytes(this.connection.options.maxStanzaBytes)} at a time). Shorten it or split it.`);
    }
    this.connection.send(stanza);
    c.typingSent = 'active';
    clearTimeout(c.pausedTimer);
    // Shown at once; in a room it is pending until the room sends it back (with its archive id), and marked
    // as failed (with a retry) when it does not, so nothing typed disappears silently.
    if (correct) {
      // XEP-0308: a room sends the correction back to us; in a 1:1 we apply it ourselves.
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

  /** Sends a failed message again (as a new message). */
  retry(c, m) {
    const i = c.messages.indexOf(m);
    if (i >= 0) c.messages.splice(i, 1);
    this.changed();
    return this.sendMessage(c, m.text);
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
    const features = new Set(query ? children(query, 'feature').map(f => f.getAttribute('var')) : []);
    const identity = query ? child(query, 'identity') : null;
    const c = this.conversation(jid, 'room', identity && identity.getAttribute('name') || local(jid));
    c.hasMam = hasMam;
    c.features = features;
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

  // ---- files (XEP-0363 HTTP File Upload) ----

  /** Uploads a file and shares its URL in the conversation (with XEP-0066 OOB); onProgress(0..1). */
  async uploadFile(c, file, onProgress = () => {}) {
    if (!this.upload) throw new Error('this server offers no file upload');
    if (this.upload.maxBytes && file.size > this.upload.maxBytes) {
      throw new Error(`${file.name} is too large (${formatBytes(file.size)}; at most ${formatBytes(this.upload.maxBytes)})`);
    }
    const type = file.type || 'application/octet-stream';
    const r = await this.connection.iq(xml('iq', { type: 'get', to: this.upload.jid }, xml('request',
      { xmlns: NS_APP.UPLOAD, filename: file.name.substring(0, 200), size: file.size, 'content-type': type })), { what: 'asking to upload' });
    const slot = child(r, 'slot', NS_APP.UPLOAD);
    const put = child(slot, 'put', NS_APP.UPLOAD);
    const get = child(slot, 'get', NS_APP.UPLOAD);
    if (!put || !get) throw new Error('the upload service gave no slot');
    await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('PUT', put.getAttribute('url'));
      xhr.setRequestHeader('Content-Type', type);
      // §4.2: only these headers may be passed on from the slot.
      for (const hd of children(put, 'header', NS_APP.UPLOAD)) {
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
    const r = await this.connection.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS_APP.PUBSUB },
      xml('items', { node: NS_APP.BOOKMARKS }))), { timeoutMs: 8000 });
    const items = children(child(child(r, 'pubsub', NS_APP.PUBSUB), 'items', NS_APP.PUBSUB), 'item');
    this.bookmarks = new Set(items.map(i => i.getAttribute('id')));
    return items.filter(i => /^(true|1)$/.test((child(i, 'conference', NS_APP.BOOKMARKS) || { getAttribute: () => '' })
      .getAttribute('autojoin') || '')).map(i => i.getAttribute('id')).slice(0, 50);
  }

  async bookmark(c, on) {
    this.bookmarks = this.bookmarks || new Set();
    if (!on) {
      this.bookmarks.delete(c.jid);
      await this.connection.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_APP.PUBSUB },
        xml('retract', { node: NS_APP.BOOKMARKS, notify: 'true' }, xml('item', { id: c.jid })))));
      return;
    }
    this.bookmarks.add(c.jid);
    const field = (v, value) => xml('field', { var: v }, xml('value', {}, value));
    // §5: private, persistent and unbounded, as the XEP asks.
    await this.connection.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_APP.PUBSUB },
      xml('publish', { node: NS_APP.BOOKMARKS }, xml('item', { id: c.jid },
        xml('conference', { xmlns: NS_APP.BOOKMARKS, autojoin: 'true', name: c.title }, xml('nick', {}, c.nick)))),
      xml('publish-options', {}, xml('x', { xmlns: NS_APP.DATA, type: 'submit' },
        field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options'), field('pubsub#persist_items', 'true'),
        field('pubsub#max_items', 'max'), field('pubsub#send_last_published_item', 'never'),
        field('pubsub#access_model', 'whitelist'))))));
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
        this.systemLine(c, codes.includes('307') ? `${nick} was removed` : codes.includes('301') ? `${nick} was banned` : `${nick} has left`,
          'notice', { presence: 'left', who: nick });
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
      status: childText(p, 'status') || '',
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
      this.systemLine(c, `${nick} has joined`, 'notice', { presence: 'joined', who: nick });
    }
    this.changed();
  }

  refreshDirectory() {
    if (!this.mucService) return Promise.resolve();
    return this.connection.iq(xml('iq', { type: 'get', to: this.mucService }, xml('query', { xmlns: NS_APP.DISCO_ITEMS })))
      .then(result => {
        const known = new Map(this.directory.map(r => [r.jid, r]));
        this.directory = children(child(result, 'query', NS_APP.DISCO_ITEMS), 'item')
          .map(i => Object.assign({ occupants: null, description: '' }, known.get(bare(i.getAttribute('jid'))),
            { jid: bare(i.getAttribute('jid')), name: i.getAttribute('name') || local(i.getAttribute('jid')) }))
          .sort((a, b) => a.name.localeCompare(b.name));
        this.changed();
        // Member counts and descriptions (XEP-0045 §6.4 muc#roominfo), for the first rooms only.
        return Promise.all(this.directory.slice(0, 40).map(r => this.connection.iq(
          xml('iq', { type: 'get', to: r.jid }, xml('query', { xmlns: NS_APP.DISCO_INFO })), { timeoutMs: 8000 })
          .then(info => {
            const form = children(child(info, 'query', NS_APP.DISCO_INFO), 'x', NS_APP.DATA)[0];
            const field = v => {
              const f = form && children(form, 'field').find(x => x.getAttribute('var') === v);
              return f ? childText(f, 'value') : null;
            };
            const occupants = field('muc#roominfo_occupants');
            r.occupants = occupants === null ? null : Number.parseInt(occupants, 10);
            r.description = field('muc#roominfo_description') || '';
          }, () => {})));
      }).then(() => this.changed());
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
      const plain = collected.filter(m => m.kind !== 'modifier');
      if (!latest) {
        for (let i = plain.length - 1; i >= 0; i--) this.addMessage(c, plain[i], { history: true, prepend: true });
      } else {
        for (const m of plain) this.addMessage(c, m, { history: true });
      }
      // Reactions, corrections and retractions once the messages they change are in.
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
    let body = childText(message, 'body');
    const from = message.getAttribute('from') || '';
    const modifier = this.parseModifier(c, message, from, body);
    if (modifier) return modifier;
    if (body === null) return null;
    // XEP-0461: the quoted part of the body is a fallback (XEP-0428) for clients without replies.
    const reply = child(message, 'reply', NS_APP.REPLY);
    let replyTo = null;
    if (reply) {
      const fallback = children(message, 'fallback', NS_APP.FALLBACK).find(f => f.getAttribute('for') === NS_APP.REPLY);
      const range = fallback && child(fallback, 'body', NS_APP.FALLBACK);
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
    // XEP-0066: a shared file's URL alongside the body (XEP-0363 uploads send both).
    const oob = childText(child(message, 'x', NS_APP.OOB), 'url');
    return { kind: 'message', id: message.getAttribute('id') || newId('m'), originId, from, nick, text: body, time, mine, replyTo,
      file: oob && /^https?:\/\//.test(oob) && body.trim() === oob ? oob : null,
      markable: !!child(message, 'markable', NS_APP.MARKERS) };
  }

  /** Reactions (XEP-0444), a correction (XEP-0308), a retraction (XEP-0424/0425): changes to an earlier message. */
  parseModifier(c, message, from, body) {
    const who = c.kind === 'room' ? resource(from) : bare(from) || this.me;
    const mine = c.kind === 'room' ? who === c.nick : who === this.me;
    const base = { kind: 'modifier', from, who, mine };
    const reactions = child(message, 'reactions', NS_APP.REACTIONS);
    if (reactions) {
      const emojis = [...new Set(children(reactions, 'reaction').map(r => r.textContent.trim()).filter(e => e && e.length <= 40))].slice(0, 20);
      return Object.assign(base, { type: 'reactions', target: reactions.getAttribute('id'), emojis });
    }
    const retract = child(message, 'retract', NS_APP.RETRACT);
    if (retract) {
      const moderated = child(retract, 'moderated', NS_APP.MODERATE);
      return Object.assign(base, { type: 'retract', target: retract.getAttribute('id'),
        moderated: !!moderated && c.kind === 'room' && !resource(from), reason: childText(retract, 'reason') });
    }
    const replace = child(message, 'replace', NS_APP.CORRECT);
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

  /** Applies a modifier to its message; only the message's sender may change it (moderators may retract). */
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

  /** The id other clients use for a message: the room's stanza-id in rooms, the message id in 1:1 (XEP-0444 §4). */
  refOf(c, m) {
    return c.kind === 'room' ? m.archiveId || null : m.originId || m.id;
  }

  /** XEP-0444: toggles one of my reactions on a message. */
  react(c, m, emoji) {
    const ref = this.refOf(c, m);
    if (!ref) throw new Error('this message cannot be reacted to yet');
    const me = c.kind === 'room' ? c.nick : this.me;
    const mine = new Set([...(m.reactions || new Map())].filter(([, who]) => who.has(me)).map(([e]) => e));
    mine.has(emoji) ? mine.delete(emoji) : mine.add(emoji);
    const stanza = xml('message', { to: c.jid, type: c.kind === 'room' ? 'groupchat' : 'chat', id: newId('r') },
      xml('reactions', { xmlns: NS_APP.REACTIONS, id: ref }, [...mine].map(e => xml('reaction', {}, e))),
      xml('store', { xmlns: NS_APP.HINTS }));
    this.connection.send(stanza);
    // A room sends it back to everyone, us included; in a 1:1 we apply it ourselves.
    if (c.kind === 'chat') this.applyModifier(c, { kind: 'modifier', type: 'reactions', target: ref, who: me, mine: true, emojis: [...mine] });
  }

  /** XEP-0424: retracts one of my messages. */
  retract(c, m) {
    const ref = this.refOf(c, m);
    if (!ref || !m.mine) throw new Error('only your own sent messages can be deleted');
    this.connection.send(xml('message', { to: c.jid, type: c.kind === 'room' ? 'groupchat' : 'chat', id: newId('x') },
      xml('retract', { xmlns: NS_APP.RETRACT, id: ref }),
      xml('fallback', { xmlns: NS_APP.FALLBACK, for: NS_APP.RETRACT }),
      xml('body', {}, 'This person attempted to retract a previous message, but it\'s unsupported by your client.'),
      xml('store', { xmlns: NS_APP.HINTS })));
    if (c.kind === 'chat') this.applyModifier(c, { kind: 'modifier', type: 'retract', target: ref, who: this.me, mine: true });
  }

  /** XEP-0425: a moderator removes someone's message from the room (when the room offers it). */
  moderate(c, m, reason = '') {
    return this.connection.iq(xml('iq', { type: 'set', to: c.jid },
      xml('moderate', { xmlns: NS_APP.MODERATE, id: m.archiveId },
        xml('retract', { xmlns: NS_APP.RETRACT }), reason ? xml('reason', {}, reason) : null)), { what: 'removing the message' });
  }

  /** XEP-0333: tells the contact the newest message they asked about has been seen (once per message). */
  markDisplayed(c) {
    if (c.kind !== 'chat' || this.connection.status !== 'online') return;
    const m = [...c.messages].reverse().find(x => x.kind === 'message' && !x.mine);
    if (!m || !m.markable || c.displayedSent === m.id || !m.id) return;
    c.displayedSent = m.id;
    this.connection.send(xml('message', { to: c.jid, type: 'chat', id: newId('d') },
      xml('displayed', { xmlns: NS_APP.MARKERS, id: m.id }), xml('store', { xmlns: NS_APP.HINTS })));
  }

  /** My last message in the conversation that can still be corrected (XEP-0308 §4: the last one only). */
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
      const id = s.getAttribute('id');
      const sent = c && id && c.messages.find(m => m.mine && m.id === id);
      if (sent) {
        sent.pending = false;
        clearTimeout(sent.timer);
        sent.failed = `not delivered: ${text || condition}`;
        this.changed();
      } else if (c) {
        this.systemLine(c, `not delivered: ${text || condition}`, 'error');
      }
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
      // XEP-0333: the contact has seen our messages up to this one.
      const displayed = child(s, 'displayed', NS_APP.MARKERS);
      const seen = displayed && this.conversations.get(jid) && this.target(this.conversations.get(jid), displayed.getAttribute('id'));
      if (seen && seen.mine) {
        this.conversations.get(jid).seenId = seen.id;
        this.changed();
      }
      const modifies = !!(child(s, 'reactions', NS_APP.REACTIONS) || child(s, 'retract', NS_APP.RETRACT));
      if (childText(s, 'body') === null && !modifies && !children(s).some(x => x.namespaceURI === NS_APP.CHATSTATES)) return;
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

  /** Logs out: this device's token is revoked first (when online), so the sign-in cannot be reused. */
  async logout() {
    const credentials = this.connection.credentials;
    const token = credentials && credentials.token;
    if (token && this.connection.status === 'online') {
      await this.connection.iq(xml('iq', { type: 'set' }, xml('revoke', { xmlns: NS_APP.DEVICE_TOKENS, id: token.id })),
        { timeoutMs: 3000 }).catch(() => {});
    }
    this.connection.close();
  }
}

/** An incoming DOM element as an outgoing XmlNode (to send back what was read). */
function toNode(el) {
  const attrs = {};
  for (const a of el.attributes) if (a.name !== 'xmlns') attrs[a.name] = a.value;
  if (el.namespaceURI && (!el.parentNode || el.parentNode.namespaceURI !== el.namespaceURI)) attrs.xmlns = el.namespaceURI;
  return xml(el.localName, attrs, [...el.childNodes].map(n => n.nodeType === 1 ? toNode(n) : n.nodeType === 3 ? n.data : null));
}

/** Whether text mentions the nick: "@nick" or the nick as a word (case-insensitive). */
export function mentions(text, nick) {
  if (!nick || !text) return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

/** "Chrome on Linux": a label for the devices list. */
export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'unknown system';
  return `${browser} on ${os}`;
}
