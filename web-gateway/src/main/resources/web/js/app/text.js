// Message text into DOM nodes, never parsed as HTML (append() of a string makes a text node); only http(s) URLs,
// checked by the URL parser, become links.

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

function appendText(parent, text) {
	let last = 0;
	for (const match of text.matchAll(LINK)) {
		const url = match[0].replace(TRAILING, '');
		parent.append(text.substring(last, match.index), link(url));
		last = match.index + url.length;
	}
	parent.append(text.substring(last));
}

function link(url) {
	try {
		const u = new URL(url);
		if (/^https?:$/.test(u.protocol)) return h('a', { href: u.href, rel: 'noopener noreferrer nofollow', target: '_blank' }, url);
	} catch (e) { /* not a URL */ }
	return url;
}

/**
 * h('li#id.class', {title, onclick: fn}, child, 'text'), the attributes optional: strings become text nodes,
 * never markup.
 */
export function h(tag, attrs, ...children) {
	if (!attrs || attrs.constructor !== Object) {
		children.unshift(attrs);
		attrs = {};
	}
	const [, name, id, classes] = tag.match(/^(\w+)(?:#([\w-]+))?((?:\.[\w-]+)*)$/);
	const el = document.createElement(name);
	if (id) el.id = id;
	if (classes) el.className = classes.substring(1).replace(/\./g, ' ');
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') on(el, k.substring(2), v);
		else if (k === 'class') el.className = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat(Infinity)) {
		if (c === undefined || c === null || c === false) continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

// XEP-0393 styling; the styling characters stay visible (§6), so the text reads the same copied.
const SPAN = /(^|[\s(\["'])([*_~`])(?!\s)([^\n]*?[^\s])\2(?=$|[\s.,;:!?)\]"'])/g;
const TAGS = { '*': 'strong', _: 'em', '~': 's', '`': 'code' };

export function appendStyled(parent, text) {
	const lines = text.split('\n');
	lines.forEach((line, i) => {
		const target = line.startsWith('>') ? parent.appendChild(h('q.quote')) : parent;
		appendSpans(target, line);
		if (i < lines.length - 1) parent.append('\n');
	});
}

function appendSpans(parent, line) {
	let last = 0;
	for (const m of line.matchAll(SPAN)) {
		const start = m.index + m[1].length;
		appendText(parent, line.substring(last, start));
		const el = document.createElement(TAGS[m[2]]);
		const mark = () => h('span.styling', m[2]);
		el.append(mark());
		if (m[2] === '`') el.append(m[3]);
		else appendText(el, m[3]);
		el.append(mark());
		parent.append(el);
		last = start + m[2].length * 2 + m[3].length;
	}
	appendText(parent, line.substring(last));
}

/** "ann" → "A", "Bob Smith" → "BS" */
function initials(name) {
	const words = String(name || '?').replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
	const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || '?').substring(0, 1);
	return letters.toUpperCase();
}

/** A person's colour, the same everywhere. */
function hue(name) {
	let x = 0;
	for (const ch of String(name)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
	return x % 360;
}

export const on = (target, type, listener, options) => target.addEventListener(type, listener, options);

// localStorage, which private modes may refuse
export function read(key) {
	try { return localStorage.getItem(key); } catch (e) { return null; }
}
export function write(key, value) {
	try { value === null ? localStorage.removeItem(key) : localStorage.setItem(key, value); } catch (e) { /* not kept */ }
}

export function capitalize(s) {
	return s ? s[0].toUpperCase() + s.substring(1) + (/[.!?]$/.test(s) ? '' : '.') : s;
}

/** The picture when there is one, else initials. */
export function avatar(name, size = '', url = null) {
	if (url) return h('img', { class: `avatar ${size}`, src: url, alt: '', 'aria-hidden': 'true' });
	const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initials(name));
	el.style.setProperty('--hue', hue(name)); // the CSP allows no style attribute, the CSSOM is fine
	return el;
}
