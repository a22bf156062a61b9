// Ad-hoc commands (XEP-0050) with data forms (XEP-0004) over the page's XMPP connection: the admin console does
// everything through them, so the server authorises every action per stanza and there is no second way in.
import { xml, child, children } from '../../js/xmpp/xml.js';

export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
export const NS_DATA = 'jabber:x:data';
export const XEP0133 = 'http://jabber.org/protocol/admin#';
export const PARLEY = 'urn:parley:admin:0#';

/** A data form element → {type, title, fields: {var: {type, label, values}}, columns: [{var, label}], rows: [{var: value}]}. */
export function readForm(x) {
  const form = { type: x ? x.getAttribute('type') : null, title: '', fields: {}, columns: [], rows: [] };
  if (!x) return form;
  const title = child(x, 'title', NS_DATA);
  form.title = title ? title.textContent : '';
  for (const f of children(x, 'field', NS_DATA)) {
    form.fields[f.getAttribute('var')] = {
      type: f.getAttribute('type'), label: f.getAttribute('label'),
      values: children(f, 'value', NS_DATA).map(v => v.textContent),
    };
  }
  const reported = child(x, 'reported', NS_DATA);
  if (reported) {
    form.columns = children(reported, 'field', NS_DATA).map(f => ({ var: f.getAttribute('var'), label: f.getAttribute('label') }));
  }
  for (const item of children(x, 'item', NS_DATA)) {
    const row = {};
    for (const f of children(item, 'field', NS_DATA)) row[f.getAttribute('var')] = (child(f, 'value', NS_DATA) || {}).textContent || '';
    form.rows.push(row);
  }
  return form;
}

/** One value of a field, or ''. */
export function value(form, name) {
  const f = form.fields[name];
  return f && f.values.length ? f.values[0] : '';
}

export class Commands {
  constructor(connection, domain) {
    this.connection = connection;
    this.domain = domain;
  }

  async request(command, what) {
    const reply = await this.connection.iq(xml('iq', { type: 'set', to: this.domain }, command), { what });
    const c = child(reply, 'command', NS_COMMANDS);
    const note = c ? child(c, 'note', NS_COMMANDS) : null;
    return {
      status: c ? c.getAttribute('status') : null, sessionid: c ? c.getAttribute('sessionid') : null,
      form: readForm(c ? child(c, 'x', NS_DATA) : null), note: note ? note.textContent : '',
    };
  }

  /** Starts a command (XEP-0050 §3.3): the first form, or the result of a command without input. */
  execute(node) {
    return this.request(xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }), label(node));
  }

  /** Submits the form of a started command; values: {var: string | string[]}. */
  submit(node, sessionid, values) {
    const fields = Object.entries(values).map(([name, v]) =>
      xml('field', { var: name }, ...[].concat(v).map(one => xml('value', {}, one))));
    return this.request(xml('command', { xmlns: NS_COMMANDS, node, sessionid, action: 'complete' },
      xml('x', { xmlns: NS_DATA, type: 'submit' }, ...fields)), label(node));
  }

  /** Runs a command to completion: execute, then (when it asks for input) submit `values`. */
  async run(node, values = {}) {
    const first = await this.execute(node);
    if (first.status !== 'executing') return first;
    return this.submit(node, first.sessionid, values);
  }
}

function label(node) {
  return node.substring(node.indexOf('#') + 1).replace(/-/g, ' ');
}
