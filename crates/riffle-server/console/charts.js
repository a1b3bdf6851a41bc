// Line charts on <canvas>, small enough to read: time on x (the last two minutes), one line per
// shard, y scaled to the largest value shown. The newest values are also written to the
// canvas's data-latest attribute and under the chart, so tests and screen readers see numbers.

export const PALETTE = ["#0972d3", "#ec7211", "#037f0c", "#9469d6", "#d91515", "#00a1c9",
  "#8d6605", "#e07941", "#688ae8", "#c33d69", "#2ea597", "#7d8998"];

export const colorOf = (i) => PALETTE[i % PALETTE.length];

/** "shardId-000000000007" -> "shard 7". */
export const shortShard = (id) => `shard ${Number(id.replace(/^shardId-/, ""))}`;

/** "12.3 k", "4.5 M": short numbers for axes; with a unit, "12.3 kB" or "512 B". */
export function short(v, unit = "") {
  const a = Math.abs(v);
  const [n, prefix] = a >= 1e9 ? [v / 1e9, "G"] : a >= 1e6 ? [v / 1e6, "M"] : a >= 1e3 ? [v / 1e3, "k"] : [v, ""];
  const digits = prefix ? (Math.abs(n) >= 10 ? 0 : 1) : a >= 10 || a === 0 || Number.isInteger(v) ? 0 : 2;
  const text = n.toFixed(digits);
  return prefix || unit ? `${text} ${prefix}${unit}` : text;
}

/**
 * Draws `series` ([{label, color, points: [{t, v}]}]) on `canvas` over the window ending at
 * `now` (epoch ms) and `windowMs` long.
 */
export function drawLines(canvas, series, { now, windowMs = 120_000, unit = "" } = {}) {
  // unit: "B" for bytes (axis labels "1.5 kB"), "" for plain counts.
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 400;
  const h = canvas.clientHeight || 180;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);

  const pad = { l: 52, r: 10, t: 8, b: 22 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const t0 = now - windowMs;
  let max = 0;
  for (const s of series) for (const p of s.points) if (p.t >= t0) max = Math.max(max, p.v);
  const [top, steps] = niceCeil(max);

  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#5f6b7a";
  g.strokeStyle = "#e9ebed";
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (let i = 0; i <= steps; i++) {
    const y = pad.t + ph - (ph * i) / steps;
    g.beginPath();
    g.moveTo(pad.l, Math.round(y) + 0.5);
    g.lineTo(pad.l + pw, Math.round(y) + 0.5);
    g.stroke();
    g.fillText(short((top * i) / steps, unit), pad.l - 6, y);
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  for (let s = 0; s <= windowMs / 1000; s += 30) {
    const x = pad.l + pw - (pw * s * 1000) / windowMs;
    g.fillText(s === 0 ? "now" : `-${s}s`, x, pad.t + ph + 5);
  }

  const xOf = (t) => pad.l + (pw * (t - t0)) / windowMs;
  const yOf = (v) => pad.t + ph - (ph * v) / top;
  g.lineWidth = 2;
  g.lineJoin = "round";
  for (const s of series) {
    const pts = s.points.filter((p) => p.t >= t0);
    if (pts.length === 0) continue;
    g.strokeStyle = s.color;
    g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(xOf(p.t), yOf(p.v)) : g.moveTo(xOf(p.t), yOf(p.v))));
    if (pts.length === 1) g.lineTo(xOf(pts[0].t) - 2, yOf(pts[0].v));
    g.stroke();
  }

  const latest = series.map((s) => (s.points.length ? s.points[s.points.length - 1].v : 0));
  canvas.dataset.latest = String(latest.length ? Math.max(...latest) : 0);
  canvas.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
  return latest;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `v` (1 for nothing), and how many
 * gridlines divide it evenly. */
function niceCeil(v) {
  if (!(v > 0)) return [1, 5];
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const [m, steps] of [[1, 5], [2, 4], [5, 5]]) if (m * p >= v) return [m * p, steps];
  return [10 * p, 5];
}
