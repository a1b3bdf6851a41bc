// The Monitoring tab: per-shard write and read throughput and iterator age, the last two
// minutes, from the server's one-second samples (GET api/streams/<name>/metrics).
import { h, api } from "./console.js";
import { drawLines, colorOf, short, shortShard } from "./charts.js";

const CHARTS = [
  ["writeRecords", "Write throughput — records/s", ""],
  ["writeBytes", "Write throughput — bytes/s", "B"],
  ["readRecords", "Read throughput — records/s", ""],
  ["readBytes", "Read throughput — bytes/s", "B"],
  ["iteratorAgeMs", "Iterator age — ms (GetRecords and fan-out)", ""],
];

export const monitoringTab = {
  every: 1000,
  async mount(stream, root) {
    const name = encodeURIComponent(stream.name);
    const color = new Map(stream.shards.map((sh, i) => [sh.shardId, colorOf(i)]));
    const charts = CHARTS.map(([key, title, unit]) => {
      const canvas = h("canvas", { "data-metric": key, "aria-label": title });
      const now = h("span", { class: "now" });
      const legend = h("div", { class: "legend" });
      return { key, unit, canvas, now, legend, node: h("div", { class: "chart" }, h("h3", {}, title, " ", now), canvas, legend) };
    });
    root.append(h("div", { class: "panel" },
      h("h2", {}, "Per-shard metrics"),
      h("p", { class: "muted" }, "Sampled every second while the console is open (the counters of GET /metrics)."),
      h("div", { class: "charts" }, charts.map((c) => c.node))));
    return async () => {
      const m = await api(`streams/${name}/metrics`);
      const ids = Object.keys(m.shards).sort();
      for (const c of charts) {
        const series = ids.map((id) => ({
          label: id, color: color.get(id) || colorOf(ids.indexOf(id)),
          points: m.shards[id].map((p) => ({ t: p.t, v: p[c.key] })),
        }));
        // Shards with nothing to show keep the legend short.
        const shown = series.filter((s) => s.points.some((p) => p.v > 0));
        const latest = drawLines(c.canvas, shown, { now: m.now, unit: c.unit });
        const total = latest.reduce((a, b) => a + b, 0);
        c.now.textContent = c.key === "iteratorAgeMs" ? `now ${short(Math.max(0, ...latest))} ms at most` : `now ${short(total, c.unit)}/s in all`;
        c.legend.replaceChildren(...(shown.length ? shown : []).map((s) =>
          h("span", {}, h("i", { style: { background: s.color } }), shortShard(s.label))));
        if (!shown.length) c.legend.append(h("span", {}, ids.length ? "no traffic in the last two minutes" : "waiting for samples…"));
      }
    };
  },
};
