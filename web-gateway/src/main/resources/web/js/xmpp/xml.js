// XML for the XMPP layer. Outgoing XML is built as small trees and serialized here with every attribute value
// and text escaped, so user text can never become markup; incoming XML is parsed by the browser's DOMParser.

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
  REGISTER_FEATURE: 'http://jabber.org/features/iq-register',
});

// XML 1.0 §2.2: characters that may not appear in a document at all. Replaced rather than sent, because the
// server must end the stream on them (RFC 6120 §11) and the user's message would be lost with it.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeText(s) {
  return String(s).replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s) {
  return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** An element to send: name, attributes (undefined/null values left out) and children (nodes or text). */
export class XmlNode {
  constructor(name, attrs = {}, children = []) {
    if (!NAME.test(name)) throw new Error(`not an XML name: ${name}`);
    this.name = name;
    this.attrs = {};
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null) continue;
      if (!NAME.test(k)) throw new Error(`not an XML attribute name: ${k}`);
      this.attrs[k] = String(v);
    }
    this.children = [];
    this.append(children);
  }

  append(...children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      this.children.push(c instanceof XmlNode ? c : String(c));
    }
    return this;
  }

  /** The first child element with this name (outgoing trees only). */
  child(name) {
    return this.children.find(c => c instanceof XmlNode && c.name === name) || null;
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

/** Parses one XML document (a WebSocket frame, a BOSH body); throws on malformed input. */
export function parse(text) {
  const doc = new DOMParser().parseFromString(text, 'text/xml');
  const root = doc.documentElement;
  if (!root || root.getElementsByTagName('parsererror').length > 0 || root.localName === 'parsererror') {
    throw new Error('malformed XML from the server');
  }
  return root;
}

/** Child elements of a parsed element, optionally only those with this local name and namespace. */
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

/** The first descendant with this local name and namespace, or null. */
export function find(el, name, ns) {
  if (!el) return null;
  const found = el.getElementsByTagNameNS(ns, name);
  return found.length > 0 ? found[0] : null;
}

/** A parsed element back to text (for logs and tests). */
export function serialize(el) {
  return new XMLSerializer().serializeToString(el);
}

/** The bare JID (no resource) of a JID string. */
export function bare(jid) {
  if (!jid) return jid;
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.substring(0, slash)).toLowerCase();
}

/** The resource of a JID string, or ''. */
export function resource(jid) {
  const slash = jid ? jid.indexOf('/') : -1;
  return slash < 0 ? '' : jid.substring(slash + 1);
}

/** The local part of a JID string, or ''. */
export function local(jid) {
  const b = bare(jid) || '';
  const at = b.indexOf('@');
  return at < 0 ? '' : b.substring(0, at);
}

let counter = 0;
/** A stanza id unique in this page. */
export function newId(prefix = 'p') {
  counter += 1;
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${prefix}${counter.toString(36)}-${random}`;
}
