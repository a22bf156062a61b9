// An XMPP connection over WebSocket (RFC 7395), else BOSH, resumed (XEP-0198) or reconnected with backoff.
// Events: 'status' {status: connecting|online|reconnecting|disconnected, error, delay}, 'online', 'stanza'.
import { NS, xml, child, children, childText, newId } from './xml.js';
import { XmppError, fromStanza } from './errors.js';
import { MECHANISMS, TOKEN_MECHANISM, mechanism, hashedToken, toBase64, fromBase64 } from './sasl.js';
import { WebSocketTransport } from './websocket.js';
import { BoshTransport } from './bosh.js';

const STANZAS = new Set(['message', 'presence', 'iq']);

/** PLAIN only where the password cannot be read on the way (TLS or this machine). */
export function plainAllowed(url) {
	const u = new URL(url, location.href);
	if (u.protocol === 'https:' || u.protocol === 'wss:') return true;
	const host = u.hostname.replace(/^\[|\]$/g, '');
	return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
}

export async function discover(configUrl = '/parley-client.json') {
	let response;
	try {
		response = await fetch(configUrl, { cache: 'no-store' });
	} catch (e) {
		throw new XmppError('unreachable', 'the server cannot be reached');
	}
	if (!response.ok) throw new XmppError('unreachable', `the server answered ${response.status}`);
	const config = await response.json();
	const base = new URL(location.href);
	const ws = new URL(config.websocket, base);
	ws.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
	return { domain: config.domain, websocketUrl: ws.href, boshUrl: new URL(config.bosh, base).href,
		maxStanzaBytes: Number(config.maxStanzaBytes) || 0 };
}

/** 262144 → "256 KB". */
export function formatBytes(n) {
	if (n >= 1024 * 1024) return `${Math.round(n / 1024 / 1024 * 10) / 10} MB`;
	if (n >= 1024) return `${Math.round(n / 1024)} KB`;
	return `${n} bytes`;
}

export class Connection extends EventTarget {
	constructor(options) {
		super();
		this.options = Object.assign({
			transports: ['websocket', 'bosh'], mechanisms: MECHANISMS, reconnect: true, maxBackoffMs: 30000,
			resource: 'web-' + toBase64(crypto.getRandomValues(new Uint8Array(6))).replace(/[+/=]/g, 'x'),
		}, options);
		this.status = 'disconnected';
		this.jid = null;
		this.transport = null;
		this.mechanismUsed = null;
		this.credentials = null;
		this.pendingIqs = new Map();
		this.outbox = []; // sent while not online
		this.waiters = [];
		this.inbox = [];
		this.negotiating = false;
		this.userClosed = false;
		this.reconnectTimer = null;
		this.preferBosh = false;
		this.resetStreamManagement();
	}

	resetStreamManagement() {
		this.sm = { enabled: false, id: null, resumable: false, inbound: 0, outbound: 0, acked: 0, unacked: [], location: null };
	}

	log(direction, text) {
		if (this.options.log) this.options.log(direction, text());
		else if (this.options.debug) console.debug(direction, text());
	}

	setStatus(status, extra = {}) {
		this.status = status;
		this.dispatchEvent(new CustomEvent('status', { detail: Object.assign({ status }, extra) }));
	}

	/** With a password or a device token {id, secret}; rejects with an XmppError. */
	async connect({ username, password, token = null, register = false }) {
		this.userClosed = false;
		this.credentials = { username, password, token };
		this.setStatus('connecting');
		try {
			await this.session({ register });
		} catch (e) {
			this.credentials = null;
			this.teardown();
			this.setStatus('disconnected', { error: e });
			throw e;
		}
		return this.jid;
	}

	async session({ register = false } = {}) {
		this.negotiating = true; // from the start: a BOSH session's first response may carry the features
		try {
			await this.openTransport();
			let features = await this.next('features');
			if (register) {
				await this.register(features);
			}
			await this.authenticate(features);
			this.transport.restart();
			features = await this.next('features');
			let resumed = false;
			if (this.sm.resumable && this.sm.id && child(features, 'sm', NS.SM)) {
				resumed = await this.resume();
			}
			if (!resumed) {
				this.rejectPendingIqs(new XmppError('closed', 'the session ended before an answer came'));
				await this.bind(features);
				if (child(features, 'sm', NS.SM)) await this.enableStreamManagement();
			}
			this.negotiating = false;
			this.flushInbox();
			this.setStatus('online', { transport: this.transport.name, resumed });
			this.dispatchEvent(new CustomEvent('online', { detail: { resumed } }));
			for (const stanza of this.outbox.splice(0)) this.send(stanza);
		} finally {
			this.negotiating = false;
		}
	}

	async openTransport() {
		const errors = [];
		let kinds = this.options.transports;
		if (this.preferBosh && kinds.includes('bosh')) kinds = ['bosh'];
		for (const kind of kinds) {
			const url = kind === 'websocket' ? this.options.websocketUrl : this.options.boshUrl;
			if (!url) continue;
			const handlers = { element: el => this.received(el), closed: error => this.transportClosed(transport, error) };
			const transport = kind === 'websocket'
				? new WebSocketTransport(url, this.options.domain, handlers)
				: new BoshTransport(url, this.options.domain, handlers);
			this.transport = transport;
			this.transportError = null;
			this.streamError = null;
			this.inbox = [];
			try {
				await transport.open();
				this.log('info', () => `connected over ${kind}`);
				// a WebSocket that cannot connect will not on the next attempt either
				if (kind === 'bosh' && errors.length > 0) this.preferBosh = true;
				return;
			} catch (e) {
				this.log('info', () => `${kind}: ${e.message}`);
				errors.push(e.message);
			}
		}
		this.transport = null;
		throw new XmppError('unreachable', `the server cannot be reached (${errors.join('; ')})`);
	}

	received(el) {
		this.log('in', () => new XMLSerializer().serializeToString(el));
		if (el.localName === 'error' && el.namespaceURI === NS.STREAMS) {
			const condition = children(el).find(c => c.namespaceURI === NS.STREAM_ERRORS && c.localName !== 'text');
			const text = childText(el, 'text', NS.STREAM_ERRORS);
			this.streamError = new XmppError('stream', `the server ended the stream: ${text || (condition && condition.localName)}`,
				condition ? condition.localName : null, text);
			return;
		}
		if (el.namespaceURI === NS.SM) {
			this.streamManagement(el);
			if (!this.negotiating || !['enabled', 'resumed', 'failed'].includes(el.localName)) return;
		}
		if (STANZAS.has(el.localName) && this.sm.enabled) this.sm.inbound = (this.sm.inbound + 1) % 2 ** 32;
		if (this.negotiating) {
			this.inbox.push(el);
			this.wake();
			return;
		}
		this.dispatch(el);
	}

	dispatch(el) {
		if (el.localName === 'iq') {
			const type = el.getAttribute('type');
			if (type === 'result' || type === 'error') {
				const pending = this.pendingIqs.get(el.getAttribute('id'));
				if (pending) {
					this.pendingIqs.delete(el.getAttribute('id'));
					clearTimeout(pending.timer);
					if (type === 'result') pending.resolve(el);
					else pending.reject(fromStanza(el, pending.what));
				}
				return;
			}
			const event = new CustomEvent('stanza', { detail: { stanza: el }, cancelable: true });
			this.dispatchEvent(event);
			if (!event.defaultPrevented) {
				// RFC 6120 §8.4
				this.send(xml('iq', { xmlns: NS.CLIENT, type: 'error', id: el.getAttribute('id'), to: el.getAttribute('from') },
					xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS.STANZAS }))));
			}
			return;
		}
		if (STANZAS.has(el.localName)) {
			this.dispatchEvent(new CustomEvent('stanza', { detail: { stanza: el } }));
		}
	}

	flushInbox() {
		const queued = this.inbox.splice(0);
		for (const el of queued) this.dispatch(el);
	}

	wake() {
		for (const waiter of this.waiters.slice()) {
			const index = this.inbox.findIndex(waiter.match);
			if (index >= 0) {
				const [el] = this.inbox.splice(index, 1);
				this.waiters.splice(this.waiters.indexOf(waiter), 1);
				clearTimeout(waiter.timer);
				waiter.resolve(el);
			}
		}
	}

	/** The next negotiation element with one of these names (or matching a predicate). */
	next(names, timeoutMs = 20000) {
		const wanted = Array.isArray(names) ? names : [names];
		const match = typeof names === 'function' ? names : el => wanted.includes(el.localName);
		return new Promise((resolve, reject) => {
			if (this.transportError) {
				reject(this.streamError || this.transportError);
				return;
			}
			const waiter = { match, resolve, reject };
			waiter.timer = setTimeout(() => {
				this.waiters.splice(this.waiters.indexOf(waiter), 1);
				reject(this.streamError || new XmppError('timeout', `the server did not answer (waiting for ${wanted.join('/')})`));
			}, timeoutMs);
			this.waiters.push(waiter);
			this.wake();
		});
	}

	async negotiationIq(iq) {
		const id = iq.attrs.id;
		this.transport.send(iq);
		const reply = await this.next(el => el.localName === 'iq' && el.getAttribute('id') === id);
		if (reply.getAttribute('type') === 'error') throw fromStanza(reply, 'request');
		return reply;
	}

	/** XEP-0077 §3.1, with errors a person can act on. */
	async register(features) {
		const { username, password } = this.credentials;
		const refused = e => new XmppError('not-allowed', 'this server does not accept sign-ups here' + (e?.text ? `: ${e.text}` : ''), e?.condition);
		const reply = await this.negotiationIq(xml('iq', { xmlns: NS.CLIENT, type: 'get', id: newId('reg') },
			xml('query', { xmlns: NS.REGISTER }))).catch(e => { throw refused(e); });
		if (!child(reply, 'query', NS.REGISTER)) throw refused();
		try {
			await this.negotiationIq(xml('iq', { xmlns: NS.CLIENT, type: 'set', id: newId('reg') },
				xml('query', { xmlns: NS.REGISTER }, xml('username', {}, username), xml('password', {}, password))));
		} catch (e) {
			const c = e.condition;
			const weak = c === 'not-acceptable' && /password/i.test(e.text || '');
			throw new XmppError(c === 'conflict' ? c : weak ? 'weak-password' : 'not-allowed',
				c === 'conflict' ? `the name "${username}" is taken; choose another`
					: weak ? `password not accepted: ${e.text}`
						: c === 'resource-constraint' ? e.text || 'too many sign-ups from here; try again later'
							: `sign-up refused: ${e.text || (c === 'not-acceptable' ? 'invalid username or password' : c)}`, c, e.text);
		}
	}

	async authenticate(features) {
		const offered = children(child(features, 'mechanisms', NS.SASL), 'mechanism').map(m => m.textContent.trim());
		const transportUrl = this.transport.name === 'websocket' ? this.options.websocketUrl : this.options.boshUrl;
		const usable = this.options.mechanisms.filter(m => offered.includes(m) && (m !== 'PLAIN' || plainAllowed(transportUrl)));
		if (usable.length === 0) {
			throw new XmppError('insecure', offered.length === 0
				? 'the server offers no way to log in on this connection; use HTTPS'
				: `no common login mechanism (server offers ${offered.join(', ')}); use HTTPS`);
		}
		const { username, password, token } = this.credentials;
		if (token) {
			if (!offered.includes(TOKEN_MECHANISM)) {
				throw new XmppError('token', 'this server does not accept saved sign-ins here; log in with your password');
			}
			await this.tokenAuthentication(username, token.secret);
			return;
		}
		const name = usable[0];
		const client = mechanism(name, username, password);
		const initial = client.initial();
		this.transport.send(xml('auth', { xmlns: NS.SASL, mechanism: name }, initial.length ? toBase64(initial) : '='));
		for (;;) {
			const el = await this.next(['challenge', 'success', 'failure']);
			const data = el.textContent.trim();
			if (el.localName === 'failure') {
				const c = children(el).find(x => x.localName !== 'text')?.localName || 'not-authorized';
				const text = childText(el, 'text', NS.SASL);
				throw new XmppError('auth', c === 'account-disabled' ? 'this account is disabled'
					: c === 'not-authorized' || c === 'credentials-expired' ? 'wrong username or password' : `login failed: ${text || c}`, c, text);
			}
			try {
				const bytes = data && data !== '=' ? fromBase64(data) : new Uint8Array(0);
				if (el.localName === 'challenge') {
					const response = await client.challenge(bytes);
					this.transport.send(xml('response', { xmlns: NS.SASL }, response.length ? toBase64(response) : ''));
				} else {
					client.verify(bytes); // RFC 5802 §5: the server must prove it knows the verifier
					this.mechanismUsed = name;
					return;
				}
			} catch (e) {
				if (e instanceof XmppError) throw e;
				throw new XmppError('auth', e.message);
			}
		}
	}

	/** HT-SHA-256-NONE; a 'token' error means: forget it, ask for the password. */
	async tokenAuthentication(username, secret) {
		const { initial, responder } = await hashedToken(username, secret);
		this.transport.send(xml('auth', { xmlns: NS.SASL, mechanism: TOKEN_MECHANISM }, toBase64(initial)));
		const el = await this.next(['challenge', 'success', 'failure']);
		if (el.localName === 'failure') {
			const condition = children(el).find(c => c.localName !== 'text');
			throw new XmppError('token', 'your saved sign-in has expired or was revoked; log in again',
				condition ? condition.localName : 'not-authorized', childText(el, 'text', NS.SASL));
		}
		if (el.localName !== 'success' || el.textContent.trim() !== responder) {
			throw new XmppError('token', 'the server could not prove it knows this sign-in; log in again');
		}
		this.mechanismUsed = TOKEN_MECHANISM;
	}

	/** Reconnections use this token, not the password. */
	useToken(token) {
		if (this.credentials) this.credentials = { username: this.credentials.username, token };
	}

	/** RFC 6120 §13.12: a bigger stanza would end the stream. */
	fits(node) {
		const limit = this.options.maxStanzaBytes;
		return !limit || new TextEncoder().encode(node.toString()).length <= limit;
	}

	async bind(features) {
		if (!child(features, 'bind', NS.BIND)) throw new XmppError('stream', 'the server offers no resource binding');
		const reply = await this.negotiationIq(xml('iq', { xmlns: NS.CLIENT, type: 'set', id: newId('bind') },
			xml('bind', { xmlns: NS.BIND }, xml('resource', {}, this.options.resource))));
		this.jid = childText(child(reply, 'bind', NS.BIND), 'jid', NS.BIND);
		const session = child(features, 'session', NS.SESSION);
		if (session && !child(session, 'optional', NS.SESSION)) {
			await this.negotiationIq(xml('iq', { xmlns: NS.CLIENT, type: 'set', id: newId('sess') }, xml('session', { xmlns: NS.SESSION })));
		}
	}

	async enableStreamManagement() {
		this.resetStreamManagement();
		this.transport.send(xml('enable', { xmlns: NS.SM, resume: 'true' }));
		const el = await this.next(['enabled', 'failed']);
		if (el.localName === 'enabled') {
			this.sm.enabled = true;
			this.sm.id = el.getAttribute('id');
			this.sm.resumable = el.getAttribute('resume') === 'true' || el.getAttribute('resume') === '1';
		}
	}

	/** XEP-0198 §5: true when the server still had the session. */
	async resume() {
		this.transport.send(xml('resume', { xmlns: NS.SM, previd: this.sm.id, h: this.sm.inbound }));
		const el = await this.next(['resumed', 'failed']);
		if (el.localName === 'failed') {
			const unsent = this.sm.unacked.splice(0);
			this.resetStreamManagement();
			this.outbox.unshift(...unsent.filter(s => s.name === 'message'));
			return false;
		}
		this.acknowledged(Number.parseInt(el.getAttribute('h'), 10));
		const resend = this.sm.unacked.splice(0);
		this.sm.enabled = true;
		this.outbox.unshift(...resend);
		this.sm.outbound = this.sm.acked;
		return true;
	}

	streamManagement(el) {
		if (el.localName === 'r') {
			this.transport.send(xml('a', { xmlns: NS.SM, h: this.sm.inbound }));
		} else if (el.localName === 'a') {
			this.acknowledged(Number.parseInt(el.getAttribute('h'), 10));
		}
	}

	acknowledged(h) {
		if (!Number.isFinite(h)) return;
		const count = (h - this.sm.acked + 2 ** 32) % 2 ** 32;
		this.sm.unacked.splice(0, Math.min(count, this.sm.unacked.length));
		this.sm.acked = h;
	}

	/** While not online it waits, in order. */
	send(node) {
		if (!this.fits(node)) {
			throw new XmppError('too-large', `too large to send: the server takes at most ${formatBytes(this.options.maxStanzaBytes)} at a time`);
		}
		if (this.status !== 'online' || !this.transport) {
			if (this.status === 'disconnected' && !this.credentials) throw new XmppError('closed', 'not connected');
			this.outbox.push(node);
			return;
		}
		if (!node.attrs.xmlns && STANZAS.has(node.name)) node.attrs.xmlns = NS.CLIENT;
		this.transport.send(node);
		if (this.sm.enabled && STANZAS.has(node.name)) {
			this.sm.unacked.push(node);
			this.sm.outbound++;
			this.requestAck();
		}
	}

	requestAck() {
		if (this.ackTimer) return;
		this.ackTimer = setTimeout(() => {
			this.ackTimer = null;
			if (this.status === 'online' && this.sm.enabled && this.sm.unacked.length > 0) {
				this.transport.send(xml('r', { xmlns: NS.SM }));
			}
		}, 250);
	}

	iq(node, { timeoutMs = 20000, what = 'request' } = {}) {
		if (!node.attrs.id) node.attrs.id = newId('iq');
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pendingIqs.delete(node.attrs.id);
				reject(new XmppError('timeout', `${what}: no answer from the server`));
			}, timeoutMs);
			this.pendingIqs.set(node.attrs.id, { resolve, reject, timer, what });
			try {
				this.send(node);
			} catch (e) {
				clearTimeout(timer);
				this.pendingIqs.delete(node.attrs.id);
				reject(e);
			}
		});
	}

	rejectPendingIqs(error) {
		for (const pending of this.pendingIqs.values()) {
			clearTimeout(pending.timer);
			pending.reject(error);
		}
		this.pendingIqs.clear();
	}

	transportClosed(transport, error) {
		if (transport !== this.transport) return;
		this.transportError = error || new XmppError('closed', 'the connection closed');
		for (const waiter of this.waiters.splice(0)) {
			clearTimeout(waiter.timer);
			waiter.reject(this.streamError || error || new XmppError('closed', 'the connection closed'));
		}
		if (this.negotiating) return; // the failing attempt reports it
		const wasOnline = this.status === 'online';
		this.transport = null;
		if (this.userClosed) {
			this.setStatus('disconnected');
			return;
		}
		const reason = this.streamError || error;
		this.streamError = null;
		// A newer login with the same resource, or a removed account: reconnecting would fight it. Others reconnect.
		if (reason && ['conflict', 'not-authorized'].includes(reason.condition)) {
			this.credentials = null;
			this.rejectPendingIqs(reason);
			this.setStatus('disconnected', { error: reason });
			return;
		}
		if (wasOnline && this.options.reconnect && this.credentials) {
			this.scheduleReconnect(1, reason);
		} else {
			this.setStatus('disconnected', { error: reason });
		}
	}

	scheduleReconnect(attempt, reason) {
		// 1, 2, 4 … s with jitter, so a restarting server is not stormed
		const base = Math.min(this.options.maxBackoffMs, 1000 * 2 ** (attempt - 1));
		const delay = Math.round(base / 2 + Math.random() * base / 2);
		this.setStatus('reconnecting', { attempt, delay, error: reason });
		this.reconnectTimer = setTimeout(async () => {
			this.reconnectTimer = null;
			if (this.userClosed || !this.credentials) return;
			try {
				await this.session();
			} catch (e) {
				this.teardown();
				if (e.kind === 'auth' || e.kind === 'token') {
					this.credentials = null;
					this.setStatus('disconnected', { error: e });
					return;
				}
				this.scheduleReconnect(attempt + 1, e);
			}
		}, delay);
	}

	teardown() {
		const transport = this.transport;
		this.transport = null;
		if (transport) transport.drop();
	}

	/** For tests: as a network failure would. */
	dropConnection() {
		if (this.transport) this.transport.drop();
	}

	/** Ends the stream and stops reconnecting. */
	close() {
		this.userClosed = true;
		this.credentials = null;
		clearTimeout(this.reconnectTimer);
		this.outbox = [];
		this.rejectPendingIqs(new XmppError('closed', 'logged out'));
		this.resetStreamManagement();
		const transport = this.transport;
		if (transport) {
			this.transport = null;
			transport.close();
		}
		this.setStatus('disconnected');
	}
}
