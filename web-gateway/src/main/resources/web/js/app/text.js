// Message text into DOM nodes: always as text nodes, never parsed as HTML; http(s) links become anchors whose
// href is checked by the URL parser, so "javascript:" and friends stay plain text.

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}]+$/;

/** Appends `text` to `parent` as text nodes and safe links. */
export function appendText(parent, text) {
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    let url = match[0];
    const trailing = url.match(TRAILING);
    if (trailing) url = url.substring(0, url.length - trailing[0].length);
    parent.append(document.createTextNode(text.substring(last, match.index)));
    parent.append(link(url));
    last = match.index + url.length;
  }
  parent.append(document.createTextNode(text.substring(last)));
}

function link(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    return document.createTextNode(url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return document.createTextNode(url);
  const a = document.createElement('a');
  a.href = parsed.href;
  a.textContent = url;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  return a;
}

/**
 * h('li', {class: 'x', 'data-nick': nick, onclick: fn}, child, 'text') — elements with properties and
 * listeners; strings become text nodes (never markup).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.substring(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// XEP-0393 message styling: *strong*, _emphasis_, `preformatted`, ~strike~ spans and "> " block quotes. The
// styling characters stay visible (§6 recommends it), so the text reads the same copied or unstyled.
const SPAN = /(^|[\s(\["'])([*_~`])(?!\s)([^\n]*?[^\s])\2(?=$|[\s.,;:!?)\]"'])/g;
const TAGS = { '*': 'strong', _: 'em', '~': 's', '`': 'code' };

/** Appends `text` with XEP-0393 styling and safe links, as text nodes only. */
export function appendStyled(parent, text) {
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const target = line.startsWith('>') ? parent.appendChild(h('q', { class: 'quote' })) : parent;
    appendSpans(target, line);
    if (i < lines.length - 1) parent.append(document.createTextNode('\n'));
  });
}

function appendSpans(parent, line) {
  let last = 0;
  for (const m of line.matchAll(SPAN)) {
    const start = m.index + m[1].length;
    appendText(parent, line.substring(last, start));
    const el = document.createElement(TAGS[m[2]]);
    const mark = () => h('span', { class: 'styling' }, m[2]);
    el.append(mark());
    if (m[2] === '`') el.append(document.createTextNode(m[3]));
    else appendText(el, m[3]);
    el.append(mark());
    parent.append(el);
    last = start + m[2].length * 2 + m[3].length;
  }
  appendText(parent, line.substring(last));
}

/** Initials for an avatar: "ann" → "A", "Bob Smith" → "BS". */
export function initials(name) {
  const words = String(name || '?').replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || '?').substring(0, 1);
  return letters.toUpperCase();
}

/** A stable hue for a name, so a person's avatar keeps its colour everywhere. */
export function hue(name) {
  let x = 0;
  for (const ch of String(name)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
  return x % 360;
}

/** A picture (data: URL) when there is one, else initials on a colour of the name's own. */
export function avatar(name, size = '', url = null) {
  if (url) return h('img', { class: `avatar ${size}`, src: url, alt: '', 'aria-hidden': 'true' });
  const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initials(name));
  el.style.setProperty('--hue', hue(name)); // through the CSSOM: the CSP allows no inline style attribute
  return el;
}
