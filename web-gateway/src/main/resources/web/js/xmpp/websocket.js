// XMPP over WebSocket (RFC 7395).
import { NS, parse, xml } from './xml.js';
import { XmppError } from './errors.js';

export class WebSocketTransport {
	/** handlers: {element(el), closed(error|null)} */
	constructor(url, domain, handlers) {
		this.name = 'websocket';
		this.url = url;
		this.domain = domain;
		this.handlers = handlers;
		this.socket = null;
		this.closing = false;
		this.ended = false;
	}

	open(timeoutMs = 10000) {
		return new Promise((resolve, reject) => {
			let opened = false;
			let socket;
			try {
				socket = new WebSocket(this.url, 'xmpp');
			} catch (e) {
				reject(new XmppError('unreachable', `cannot open a WebSocket to ${this.url}: ${e.message}`));
				return;
			}
			this.socket = socket;
			const timer = setTimeout(() => {
				if (!opened) {
					socket.close();
					reject(new XmppError('unreachable', `no WebSocket connection to ${this.url}`));
				}
			}, timeoutMs);
			socket.onopen = () => {
				if (socket.protocol !== 'xmpp') {
					clearTimeout(timer);
					socket.close();
					reject(new XmppError('unreachable', 'the server did not accept the xmpp subprotocol'));
					return;
				}
				this.sendOpen();
			};
			socket.onclose = event => {
				clearTimeout(timer);
				if (!opened) {
					reject(new XmppError('unreachable', `no WebSocket connection to ${this.url} (code ${event.code})`));
					return;
				}
				this.end(this.closing ? null : new XmppError('closed', `connection lost (code ${event.code})`));
			};
			socket.onmessage = event => {
				let el;
				try {
					el = parse(event.data);
				} catch (e) {
					this.end(new XmppError('stream', e.message));
					socket.close();
					return;
				}
				if (el.localName === 'open' && el.namespaceURI === NS.FRAMING) {
					if (!opened) {
						opened = true;
						clearTimeout(timer);
						resolve();
					}
					return;
				}
				if (el.localName === 'close' && el.namespaceURI === NS.FRAMING) {
					// RFC 7395 §3.6
					if (!this.closing) this.write(xml('close', { xmlns: NS.FRAMING }).toString());
					this.closing = true;
					socket.close();
					return;
				}
				this.handlers.element(el);
			};
		});
	}

	sendOpen() {
		this.write(xml('open', { xmlns: NS.FRAMING, to: this.domain, version: '1.0', 'xml:lang': 'en' }).toString());
	}

	/** RFC 7395 §3.5 */
	restart() {
		this.sendOpen();
	}

	send(node) {
		this.write(node.toString());
	}

	write(text) {
		if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
	}

	close() {
		if (this.ended) return;
		this.closing = true;
		this.write(xml('close', { xmlns: NS.FRAMING }).toString());
		const socket = this.socket;
		// if the server does not close it
		setTimeout(() => socket && socket.close(), 1000);
	}

	drop() {
		if (this.socket) this.socket.close();
	}

	end(error) {
		if (this.ended) return;
		this.ended = true;
		this.handlers.closed(error);
	}
}
