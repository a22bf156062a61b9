// BOSH (XEP-0124, XEP-0206) where WebSocket cannot connect. The server holds one request; stanzas go in a
// second, so at most 'requests' (2 with hold=1) are in flight (§11).
import { NS, parse, xml, children } from './xml.js';
import { XmppError } from './errors.js';

const WAIT_SECONDS = 60;
const RETRIES = 3;

export class BoshTransport {
	constructor(url, domain, handlers) {
		this.name = 'bosh';
		this.url = url;
		this.domain = domain;
		this.handlers = handlers;
		this.sid = null;
		// §14.1: random, far below 2^53
		this.rid = Math.floor(Math.random() * 2 ** 32) + 1;
		this.queue = [];
		this.restartPending = false;
		this.inFlight = 0;
		this.maxRequests = 2;
		this.ended = false;
		this.terminating = false;
		this.aborts = new Set();
		this.flushScheduled = false;
	}

	async open() {
		const body = xml('body', {
			xmlns: NS.BOSH, content: 'text/xml; charset=utf-8', hold: 1, rid: this.rid++, to: this.domain,
			ver: '1.6', wait: WAIT_SECONDS, 'xml:lang': 'en', 'xmpp:version': '1.0', 'xmlns:xmpp': NS.XBOSH,
		});
		let response;
		try {
			response = await this.post(body.toString(), 15000);
		} catch (e) {
			throw new XmppError('unreachable', `no BOSH connection to ${this.url}: ${e.message}`);
		}
		if (response.getAttribute('type') === 'terminate') {
			throw new XmppError('unreachable', `the server refused the BOSH session: ${response.getAttribute('condition')}`);
		}
		this.sid = response.getAttribute('sid');
		if (!this.sid) throw new XmppError('unreachable', 'the server started no BOSH session');
		const requests = Number.parseInt(response.getAttribute('requests') || '2', 10);
		this.maxRequests = Math.max(1, Math.min(requests, 2));
		// the features may be in this response: delivered after open() resolves
		queueMicrotask(() => {
			this.deliver(response);
			this.pump();
		});
	}

	restart() {
		this.restartPending = true;
		this.schedule();
	}

	send(node) {
		this.queue.push(node.toString());
		this.schedule();
	}

	schedule() {
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		// one request per turn of the event loop
		queueMicrotask(() => {
			this.flushScheduled = false;
			this.pump();
		});
	}

	pump() {
		while (!this.ended && !this.terminating && this.inFlight < this.maxRequests) {
			const hasData = this.queue.length > 0 || this.restartPending;
			if (!hasData && this.inFlight > 0) return;
			const attrs = { xmlns: NS.BOSH, rid: this.rid++, sid: this.sid };
			if (this.restartPending) {
				Object.assign(attrs, { 'xmpp:restart': 'true', 'xmlns:xmpp': NS.XBOSH, to: this.domain, 'xml:lang': 'en' });
				this.restartPending = false;
			}
			this.request(this.body(attrs), attrs.rid);
			if (!hasData) return;
		}
	}

	async request(text, rid) {
		this.inFlight++;
		let attempt = 0;
		for (;;) {
			try {
				const response = await this.post(text, (WAIT_SECONDS + 15) * 1000);
				this.inFlight--;
				if (response.getAttribute('type') === 'terminate') {
					const condition = response.getAttribute('condition');
					this.deliver(response);
					this.end(this.terminating ? null
						: new XmppError('closed', `the server ended the session${condition ? ': ' + condition : ''}`, condition));
					return;
				}
				this.deliver(response);
				this.pump();
				return;
			} catch (e) {
				if (this.ended) return;
				attempt++;
				// §17.1: retransmitted with the same rid
				if (attempt > RETRIES || e.status === 404 || e.status === 403 || e.status === 400) {
					this.inFlight--;
					this.end(new XmppError('closed', `connection lost (${e.message})`));
					return;
				}
				await new Promise(r => setTimeout(r, 500 * attempt));
			}
		}
	}

	async post(text, timeoutMs) {
		const abort = new AbortController();
		this.aborts.add(abort);
		const timer = setTimeout(() => abort.abort(), timeoutMs);
		try {
			const response = await fetch(this.url, {
				method: 'POST', body: text, signal: abort.signal, cache: 'no-store',
				headers: { 'Content-Type': 'text/xml; charset=utf-8' },
			});
			const body = await response.text();
			if (!response.ok) {
				const error = new Error(`HTTP ${response.status}`);
				error.status = response.status;
				throw error;
			}
			return parse(body);
		} finally {
			clearTimeout(timer);
			this.aborts.delete(abort);
		}
	}

	/** A <body/> with what is queued. */
	body(attrs) {
		return xml('body', attrs).toString().replace(/\/>$/, '>') + this.queue.splice(0).join('') + '</body>';
	}

	deliver(body) {
		for (const el of children(body)) {
			if (this.ended) return;
			this.handlers.element(el);
		}
	}

	/** §13, with what is still queued */
	close() {
		if (this.ended || this.terminating || !this.sid) {
			this.end(null);
			return;
		}
		this.terminating = true;
		const text = this.body({ xmlns: NS.BOSH, rid: this.rid++, sid: this.sid, type: 'terminate' });
		if (document.visibilityState === 'hidden' && navigator.sendBeacon) {
			// the page is going away: a beacon still arrives, a fetch may not
			navigator.sendBeacon(this.url, new Blob([text], { type: 'text/xml; charset=utf-8' }));
			this.end(null);
			return;
		}
		this.post(text, 5000)
			.catch(() => {})
			.finally(() => this.end(null));
	}

	drop() {
		for (const a of this.aborts) a.abort();
		this.end(new XmppError('closed', 'connection dropped'));
	}

	end(error) {
		if (this.ended) return;
		this.ended = true;
		for (const a of this.aborts) a.abort();
		this.handlers.closed(error);
	}
}
