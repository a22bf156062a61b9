// Errors the XMPP layer reports, each with a machine-readable kind and a message a person can read.
import { child, children, NS } from './xml.js';

/** kind: unreachable, auth, token, conflict, weak-password, not-allowed, insecure, stream, timeout, stanza, closed, too-large */
export class XmppError extends Error {
	constructor(kind, message, condition = null, text = null) {
		super(message);
		this.name = 'XmppError';
		this.kind = kind;
		this.condition = condition;
		this.text = text;
	}
}

/** The defined condition and text of an <error/> child of a stanza (RFC 6120 §8.3). */
export function stanzaError(stanza) {
	const defined = children(child(stanza, 'error')).filter(c => c.namespaceURI === NS.STANZAS);
	return { condition: defined.find(c => c.localName !== 'text')?.localName || 'undefined-condition',
		text: defined.find(c => c.localName === 'text')?.textContent ?? null };
}

export function fromStanza(stanza, what = 'request') {
	const { condition, text } = stanzaError(stanza);
	return new XmppError('stanza', `${what} failed: ${text || condition}`, condition, text);
}
