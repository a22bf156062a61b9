// SASL: SCRAM-SHA-256 (RFC 7677) and SCRAM-SHA-1 (RFC 5802) with WebCrypto, PLAIN (RFC 4616), HT-SHA-256-NONE.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const toBase64 = bytes => btoa(Array.from(bytes, b => String.fromCharCode(b)).join(''));
export const fromBase64 = text => Uint8Array.from(atob(text), ch => ch.charCodeAt(0));

const utf8 = text => encoder.encode(text);
const fromUtf8 = bytes => decoder.decode(bytes);

// RFC 4013 SASLprep, approximated by NFKC (what it amounts to for ordinary passwords), as the server does
function prep(s) {
	return s.normalize('NFKC');
}

// RFC 5802 §5.1
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

export const TOKEN_MECHANISM = 'HT-SHA-256-NONE';

/** XEP-0484: the initial response, and what the server's success must carry (it proves it had the token). */
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

export const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'];

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

export function mechanism(name, username, password) {
	if (name === 'PLAIN') {
		return {
			initial: () => utf8(`\u0000${username}\u0000${password}`),
			challenge: async () => { throw new Error('unexpected challenge for PLAIN'); },
			verify: () => true,
		};
	}
	if (name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-1') return new Scram(name.substring(6), username, password);
	throw new Error(`unsupported mechanism ${name}`);
}
