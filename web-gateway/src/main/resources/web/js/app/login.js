// The sign-in screen: log in or sign up (XEP-0077), with a clear message for each way it can fail.
import { h } from './text.js';

const MESSAGES = {
  auth: 'Wrong username or password.',
  conflict: null, // the connection's message names the taken name
  'weak-password': null,
  unreachable: 'The server cannot be reached. Check your connection; the page will work again once the server is back.',
  insecure: null,
};

/**
 * Renders the form into `root`; `submit({username, password, register})` returns a promise that rejects with
 * an XmppError on failure.
 */
export function loginView(root, submit, { username = '', notice = '' } = {}) {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert', 'aria-live': 'assertive' }, notice);
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, value: username,
    autocapitalize: 'none', spellcheck: 'false', maxlength: 1023 });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const login = h('button', { id: 'login-button', type: 'submit', value: 'login' }, 'Log in');
  const signup = h('button', { id: 'signup-button', type: 'submit', value: 'signup', class: 'secondary' }, 'Sign up');
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title', novalidate: true },
    h('h1', { id: 'login-title' }, 'Parley'),
    h('p', { class: 'lead' }, 'Give a name, land in the lobby, chat.'),
    h('label', { for: 'username' }, 'Name'), user,
    h('label', { for: 'password' }, 'Password'), password,
    h('div', { class: 'buttons' }, login, signup),
    error);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const register = e.submitter && e.submitter.value === 'signup';
    const name = user.value.trim();
    if (!name) {
      error.textContent = 'Enter a name.';
      user.focus();
      return;
    }
    if (!password.value) {
      error.textContent = 'Enter a password.';
      password.focus();
      return;
    }
    error.textContent = register ? 'Creating your account…' : 'Logging in…';
    form.setAttribute('aria-busy', 'true');
    login.disabled = signup.disabled = true;
    try {
      await submit({ username: name, password: password.value, register });
    } catch (err) {
      error.textContent = MESSAGES[err.kind] || capitalize(err.message || String(err));
      // The per-address sign-up limit: say what it is (the server's text) and who can change it.
      if (err.condition === 'resource-constraint') error.textContent += ' Failed attempts do not count. If many people sign up from one network, ask the server\'s operator to raise registration.per-address-per-hour.';
      (err.kind === 'auth' || err.kind === 'weak-password' ? password : user).focus();
    } finally {
      form.removeAttribute('aria-busy');
      login.disabled = signup.disabled = false;
    }
  });
  root.replaceChildren(h('main', { class: 'login-screen' }, form));
  (username ? password : user).focus();
}

function capitalize(s) {
  return s ? s[0].toUpperCase() + s.substring(1) + (/[.!?]$/.test(s) ? '' : '.') : s;
}
