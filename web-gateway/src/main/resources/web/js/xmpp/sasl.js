// SASL for the page (RFC 6120 §6): SCRAM-SHA-256 (RFC 7677) and SCRAM-SHA-1 (RFC 5802) computed with WebCrypto,
// and PLAIN (RFC 4616), which the connection only offers over TLS or to a server on this machine.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function utf8(text) {
  return encoder.encode(text);
}

export function fromUtf8(bytes) {
  return decoder.decode(bytes);
}

// RFC 4013 SASLprep, approximated by NFKC normalization (what SASLprep amounts to for ordinary passwords);
// the server applies the same to what it stores.
function prep(s) {
  return s.normalize('NFKC');
}

// RFC 5802 §5.1: ',' and '=' in the username are escaped.
function saslName(s) {
  return prep(s).replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function requireSubtle() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error('this browser offers no WebCrypto here: open the page over HTTPS (or from localhost)');
  }
  return crypto.subtle;
}

async function hmac(hash, keyBytes, data) {
  const subtle = requireSubtle();
  const key = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', key, typeof data === 'string' ? utf8(data) : data));
}

function xor(a, b) {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function parseAttributes(message) {
  const out = {};
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out[part[0]] = part.substring(2);
  }
  return out;
}

/** XEP-0484's hashed-token mechanism, used with the per-device tokens of urn:parley:device-tokens:0. */
export const TOKEN_MECHANISM = 'HT-SHA-256-NONE';

/**
 * HT-SHA-256-NONE: the initial response (authcid NUL HMAC(token, "Initiator")) and the value the server must
 * answer with in its success (HMAC(token, "Responder")), so a server that never had the token is caught.
 */
export async function hashedToken(username, secret) {
  const key = utf8(secret);
  const initiator = await hmac('SHA-256', key, 'Initiator');
  const responder = await hmac('SHA-256', key, 'Responder');
  const name = utf8(username);
  const initial = new Uint8Array(name.length + 1 + initiator.length);
  initial.set(name, 0);
  initial.set(initiator, name.length + 1);
  return { initial, responder: toBase64(responder) };
}

/** The mechanisms this module implements, strongest first. */
export const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'];

/**
 * A SCRAM client exchange: initial() gives the client-first message, challenge(serverFirst) the client-final
 * one, and verify(serverFinal) checks the server's signature (it proves the server knows the verifier).
 */
export class Scram {
  constructor(hash, username, password, nonce = null) {
    this.hash = hash; // 'SHA-256' or 'SHA-1'
    this.bits = hash === 'SHA-256' ? 256 : 160;
    this.username = username;
    this.password = password;
    this.nonce = nonce || toBase64(crypto.getRandomValues(new Uint8Array(18)));
    this.serverSignature = null;
  }

  initial() {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.nonce}`;
    return utf8('n,,' + this.clientFirstBare);
  }

  async challenge(bytes) {
    const serverFirst = fromUtf8(bytes);
    const a = parseAttributes(serverFirst);
    const iterations = Number.parseInt(a.i, 10);
    if (!a.r || !a.r.startsWith(this.nonce) || a.r === this.nonce || !a.s || !(iterations > 0)) {
      throw new Error('the server sent an invalid SCRAM challenge');
    }
    const subtle = requireSubtle();
    const base = await subtle.importKey('raw', utf8(prep(this.password)), 'PBKDF2', false, ['deriveBits']);
    const salted = new Uint8Array(await subtle.deriveBits(
      { name: 'PBKDF2', salt: fromBase64(a.s), iterations, hash: this.hash }, base, this.bits));
    const clientKey = await hmac(this.hash, salted, 'Client Key');
    const storedKey = new Uint8Array(await subtle.digest(this.hash, clientKey));
    const withoutProof = `c=biws,r=${a.r}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = await hmac(this.hash, storedKey, authMessage);
    const serverKey = await hmac(this.hash, salted, 'Server Key');
    this.serverSignature = toBase64(await hmac(this.hash, serverKey, authMessage));
    return utf8(`${withoutProof},p=${toBase64(xor(clientKey, clientSignature))}`);
  }

  verify(bytes) {
    const a = parseAttributes(fromUtf8(bytes));
    if (a.e) throw new Error(`the server refused: ${a.e}`);
    if (!this.serverSignature || a.v !== this.serverSignature) {
      throw new Error("the server's SCRAM signature is wrong: it does not know this account's verifier");
    }
    return true;
  }
}

export class Plain {
  constructor(username, password) {
    this.username = username;
    this.password = password;
  }

  initial() {
    return utf8(`\u0000${this.username}\u0000${this.password}`);
  }

  async challenge() {
    throw new Error('unexpected challenge for PLAIN');
  }

  verify() {
    return true;
  }
}

/** A client for the named mechanism. */
export function mechanism(name, username, password) {
  switch (name) {
    case 'SCRAM-SHA-256': return new Scram('SHA-256', username, password);
    case 'SCRAM-SHA-1': return new Scram('SHA-1', username, password);
    case 'PLAIN': return new Plain(username, password);
    default: throw new Error(`unsupported mechanism ${name}`);
  }
}
