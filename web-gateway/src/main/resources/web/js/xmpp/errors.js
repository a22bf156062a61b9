// Errors the XMPP layer reports, each with a machine-readable kind and a message a person can read.
import { child, children, NS } from './xml.js';

/**
 * kind: 'unreachable' (no transport could connect), 'auth' (wrong username or password), 'conflict' (name
 * taken), 'weak-password', 'not-allowed' (registration refused), 'insecure' (no mechanism this page may use),
 * 'stream' (the server ended the stream), 'timeout', 'stanza' (an error reply to a request), 'closed'.
 */
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
  const error = child(stanza, 'error');
  if (!error) return { condition: 'undefined-condition', text: null, type: null };
  let condition = 'undefined-condition';
  let text = null;
  for (const c of children(error)) {
    if (c.namespaceURI !== NS.STANZAS) continue;
    if (c.localName === 'text') text = c.textContent;
    else condition = c.localName;
  }
  return { condition, text, type: error.getAttribute('type') };
}

/** An XmppError for an error reply. */
export function fromStanza(stanza, what = 'request') {
  const { condition, text } = stanzaError(stanza);
  return new XmppError('stanza', `${what} failed: ${text || condition}`, condition, text);
}
