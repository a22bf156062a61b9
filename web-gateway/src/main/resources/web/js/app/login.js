// The sign-in screen: log in or sign up (XEP-0077), with a clear message for each way it can fail.
import { h, capitalize } from './text.js';

const MESSAGES = {
	auth: 'Wrong username or password.',
	unreachable: 'The server cannot be reached. Check your connection; the page will work again once the server is back.',
};

/** submit({username, password, register}) rejects with an XmppError. */
export function loginView(root, submit, { username = '', notice = '' } = {}) {
	const error = h('p#login-error.error', { role: 'alert', 'aria-live': 'assertive' }, notice);
	const user = h('input#username', { name: 'username', autocomplete: 'username', required: true, value: username, autocapitalize: 'none', spellcheck: 'false', maxlength: 1023 });
	const password = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const login = h('button#login-button', { type: 'submit', value: 'login' }, 'Log in');
	const signup = h('button#signup-button.secondary', { type: 'submit', value: 'signup' }, 'Sign up');
	const form = h('form.login', { 'aria-labelledby': 'login-title', novalidate: true },
		h('h1#login-title', 'Parley'),
		h('p.lead', 'Give a name, land in the lobby, chat.'),
		h('label', { for: 'username' }, 'Name'), user,
		h('label', { for: 'password' }, 'Password'), password,
		h('div.buttons', login, signup),
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
			// the per-address sign-up limit: what it is and who can change it
			if (err.condition === 'resource-constraint') error.textContent += ' Failed attempts do not count. If many people sign up from one network, ask the server\'s operator to raise registration.per-address-per-hour.';
			(err.kind === 'auth' || err.kind === 'weak-password' ? password : user).focus();
		} finally {
			form.removeAttribute('aria-busy');
			login.disabled = signup.disabled = false;
		}
	});
	root.replaceChildren(h('main.login-screen', form));
	(username ? password : user).focus();
}
