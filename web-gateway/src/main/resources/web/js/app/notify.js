// New messages: unread count in the title, a WebAudio sound and, while the tab is hidden, desktop
// notifications for 1:1 messages and mentions.
import { read, write } from './text.js';

const MUTED_KEY = 'parley.muted';

export class Notifier {
	constructor(client) {
		this.client = client;
		this.hiddenUnread = 0; // in the open conversation while hidden
		this.muted = read(MUTED_KEY) === 'true';
		this.shown = []; // for diagnostics and tests
		window.parleyNotifications = this.shown;
		client.addEventListener('incoming', e => this.incoming(e.detail.conversation, e.detail.message));
		client.addEventListener('change', () => this.title());
		document.addEventListener('visibilitychange', () => {
			if (!document.hidden) {
				this.hiddenUnread = 0;
				client.changed(); // seen now (read markers)
			}
			this.title();
		});
	}

	get permission() {
		return 'Notification' in window ? Notification.permission : 'unsupported';
	}

	async ask() {
		if (this.permission !== 'default') return this.permission;
		try {
			return await Notification.requestPermission();
		} catch (e) {
			return 'denied';
		}
	}

	setMuted(muted) {
		this.muted = muted;
		write(MUTED_KEY, String(muted));
	}

	unreadTotal() {
		let n = this.hiddenUnread;
		for (const c of this.client.conversations.values()) n += c.unread || 0;
		return n;
	}

	title() {
		const n = this.unreadTotal();
		const title = n > 0 ? `(${n > 99 ? '99+' : n}) Parley` : 'Parley';
		if (document.title !== title) document.title = title;
	}

	incoming(c, m) {
		const hidden = document.hidden;
		const looking = !hidden && this.client.active === c.key;
		if (hidden && this.client.active === c.key) this.hiddenUnread++;
		this.title();
		if (looking) return;
		const dnd = this.client.myPresence && this.client.myPresence.show === 'dnd';
		const important = c.kind === 'chat' || m.mention;
		if (!important || dnd) return;
		if (!this.muted) beep();
		if (hidden) this.desktop(c, m);
	}

	desktop(c, m) {
		const title = c.kind === 'room' ? `${m.nick} in #${c.title}` : m.nick;
		const body = m.text.length > 200 ? m.text.substring(0, 200) + '…' : m.text;
		const record = { title, body, conversation: c.key, shown: false };
		this.shown.push(record);
		if (this.shown.length > 50) this.shown.shift();
		if (this.permission !== 'granted') return;
		try {
			const n = new Notification(title, { body, tag: c.key });
			record.shown = true;
			n.onclick = () => {
				window.focus();
				this.client.select(c.key);
				n.close();
			};
		} catch (e) {
			// only from a service worker in some browsers
		}
	}
}

let audio = null;

function beep() {
	try {
		audio = audio || new AudioContext();
		const now = audio.currentTime;
		[880, 1320].forEach((freq, i) => {
			const t = now + i * 0.12;
			const osc = audio.createOscillator();
			const gain = audio.createGain();
			osc.frequency.value = freq;
			gain.gain.setValueAtTime(0.0001, t);
			gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
			gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.11);
			osc.connect(gain).connect(audio.destination);
			osc.start(t);
			osc.stop(t + 0.12);
		});
	} catch (e) {
		// no audio before any click, or no device
	}
}
