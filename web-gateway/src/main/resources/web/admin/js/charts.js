// Small line charts as inline SVG (no chart library: a polyline per series is all the dashboard needs).
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Keeps the last `capacity` samples of one series and draws them. */
export class Series {
  constructor(capacity = 360) {
    this.capacity = capacity;
    this.points = []; // {t, v}
  }

  add(t, v) {
    if (!Number.isFinite(v)) return;
    this.points.push({ t, v });
    if (this.points.length > this.capacity) this.points.shift();
  }

  last() {
    return this.points.length ? this.points[this.points.length - 1].v : null;
  }
}

/** Redraws `series` into `target` (an <svg> made by chart()). */
export function draw(target, series, windowMs = 3600 * 1000) {
  const width = 240;
  const height = 56;
  target.replaceChildren();
  const now = Date.now();
  const points = series.points.filter(p => now - p.t <= windowMs);
  const max = Math.max(1, ...points.map(p => p.v));
  target.append(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'axis' }));
  if (points.length > 0) {
    const coords = points.map(p => {
      const x = width - (now - p.t) / windowMs * width;
      const y = height - 2 - p.v / max * (height - 6);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    if (coords.length === 1) coords.unshift(`${(width - 1).toFixed(1)},${coords[0].split(',')[1]}`);
    target.append(svg('polyline', { points: coords.join(' '), class: 'line' }));
  }
  const title = svg('title', {});
  title.textContent = target.getAttribute('aria-label');
  target.append(title);
}

/** An empty chart with an accessible name. */
export function chart(label) {
  return svg('svg', { viewBox: '0 0 240 56', class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
}
