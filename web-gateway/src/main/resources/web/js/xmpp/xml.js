// Outgoing XML is built as trees and escaped when serialized, so user text never becomes markup.

export const NS = Object.freeze({
	CLIENT: 'jabber:client',
	STREAMS: 'http://etherx.jabber.org/streams',
	FRAMING: 'urn:ietf:params:xml:ns:xmpp-framing',
	SASL: 'urn:ietf:params:xml:ns:xmpp-sasl',
	BIND: 'urn:ietf:params:xml:ns:xmpp-bind',
	SESSION: 'urn:ietf:params:xml:ns:xmpp-session',
	STANZAS: 'urn:ietf:params:xml:ns:xmpp-stanzas',
	STREAM_ERRORS: 'urn:ietf:params:xml:ns:xmpp-streams',
	SM: 'urn:xmpp:sm:3',
	BOSH: 'http://jabber.org/protocol/httpbind',
	XBOSH: 'urn:xmpp:xbosh',
	REGISTER: 'jabber:iq:register',
});

// XML 1.0 §2.2: not allowed at all; replaced, else the server ends the stream (RFC 6120 §11) and the message is lost
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escapeText(s) {
	return String(s).replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s) {
	return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;')
		.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** An element to send (null attributes left out); names are the code's own, never user input. */
export class XmlNode {
	constructor(name, attrs = {}, children = []) {
		this.name = name;
		this.attrs = {};
		for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) this.attrs[k] = String(v);
		this.children = children.flat(Infinity).filter(c => c !== undefined && c !== null && c !== false)
			.map(c => (c instanceof XmlNode ? c : String(c)));
	}

	toString() {
		let out = '<' + this.name;
		for (const [k, v] of Object.entries(this.attrs)) out += ` ${k}="${escapeAttr(v)}"`;
		if (this.children.length === 0) return out + '/>';
		out += '>';
		for (const c of this.children) out += c instanceof XmlNode ? c.toString() : escapeText(c);
		return out + `</${this.name}>`;
	}
}

/** xml('message', {to, type: 'chat'}, xml('body', {}, text)) */
export function xml(name, attrs, ...children) {
	return new XmlNode(name, attrs || {}, children);
}

/** A WebSocket frame or BOSH body; throws on malformed input. */
export function parse(text) {
	const doc = new DOMParser().parseFromString(text, 'text/xml');
	const root = doc.documentElement;
	if (!root || root.getElementsByTagName('parsererror').length > 0 || root.localName === 'parsererror') {
		throw new Error('malformed XML from the server');
	}
	return root;
}

/** Child elements, optionally of this local name and namespace. */
export function children(el, name, ns) {
	const out = [];
	if (!el) return out;
	for (const c of el.children) {
		if ((name === undefined || c.localName === name) && (ns === undefined || c.namespaceURI === ns)) out.push(c);
	}
	return out;
}

export function child(el, name, ns) {
	return children(el, name, ns)[0] || null;
}

/** Text of the first matching child, or null. */
export function childText(el, name, ns) {
	const c = child(el, name, ns);
	return c ? c.textContent : null;
}

export function bare(jid) {
	if (!jid) return jid;
	const slash = jid.indexOf('/');
	return (slash < 0 ? jid : jid.substring(0, slash)).toLowerCase();
}

export function resource(jid) {
	const slash = jid ? jid.indexOf('/') : -1;
	return slash < 0 ? '' : jid.substring(slash + 1);
}

export function local(jid) {
	const b = bare(jid) || '';
	const at = b.indexOf('@');
	return at < 0 ? '' : b.substring(0, at);
}

let counter = 0;
export function newId(prefix = 'p') {
	counter += 1;
	const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
	return `${prefix}${counter.toString(36)}-${random}`;
}
