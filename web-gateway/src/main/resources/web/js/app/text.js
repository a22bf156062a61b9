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
