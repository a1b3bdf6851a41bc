// The console's pages: the streams list, a stream (summary and tabs: shards, monitoring,
// consumers, data viewer) and the lease tables. Each view is {mount, every} (see console.js).
import { h, api } from "./console.js";
import { colorOf, shortShard } from "./charts.js";
import { monitoringTab } from "./monitor.js";
import { dataTab } from "./browse.js";

export function viewFor(route) {
  if (route.page === "leases") return leasesView;
  if (route.page === "stream") return streamView(route.tab);
  return streamsView;
}

const badge = (s) => h("span", { class: `badge ${s}` }, s);
const when = (ms) => (ms ? new Date(ms).toLocaleString() : "—");
const hours = (n) => (n % 24 === 0 ? `${n / 24} day${n === 24 ? "" : "s"} (${n} h)` : `${n} hours`);
const streamHref = (name, tab) => `#/streams/${encodeURIComponent(name)}${tab ? `/${tab}` : ""}`;
const table = (heads, rows, attrs = {}) =>
  h("table", attrs, h("thead", {}, h("tr", {}, heads.map((x) => h("th", {}, x)))), h("tbody", {}, rows));

/** Fills `root` with what `build(data)` makes from `fetcher()`, on every refresh. */
const simple = (root, fetcher, build) => async () => root.replaceChildren(build(await fetcher()));

// ---- Data streams -------------------------------------------------------------------------

const streamsView = {
  every: 3000,
  async mount(_route, root) {
    const body = h("div");
    root.append(h("h1", {}, "Data streams"), body);
    return simple(body, () => api("streams"), ({ streams }) => {
      if (!streams.length) return h("div", { class: "panel muted" }, "No data streams yet. Create one with `riffle stream create`.");
      const rows = streams.map((s) =>
        h("tr", { "data-stream": s.name },
          h("td", {}, h("a", { href: streamHref(s.name) }, s.name)),
          h("td", { class: "status" }, badge(s.status)),
          h("td", {}, s.mode === "ON_DEMAND" ? "On-demand" : "Provisioned"),
          h("td", { class: "open-shards" }, s.openShards),
          h("td", {}, hours(s.retentionHours)),
          h("td", {}, s.encryption === "KMS" ? "KMS" : "Disabled"),
          h("td", {}, s.consumers),
        ));
      return h("div", { class: "panel" }, h("h2", {}, `Data streams (${streams.length})`),
        table(["Name", "Status", "Capacity mode", "Open shards", "Data retention", "Encryption", "Fan-out consumers"],
          rows, { class: "streams" }));
    });
  },
};

// ---- A stream ----------------------------------------------------------------------------

const TABS = [["shards", "Shards"], ["monitoring", "Monitoring"], ["consumers", "Consumers"], ["data", "Data viewer"]];

function streamView(tab) {
  const body = { shards: shardsTab, monitoring: monitoringTab, consumers: consumersTab, data: dataTab }[tab] || shardsTab;
  return {
    every: body.every,
    async mount(route, root) {
      const stream = await api(`streams/${encodeURIComponent(route.stream)}`);
      const head = h("div");
      const summary = (s) => h("div", { class: "panel" }, h("dl", { class: "summary" },
        [["Status", badge(s.status)], ["Capacity mode", s.mode === "ON_DEMAND" ? "On-demand" : "Provisioned"],
          ["Open shards", s.openShards], ["Data retention", hours(s.retentionHours)],
          ["Encryption", s.encryption === "KMS" ? `KMS (${s.keyId})` : "Disabled"], ["Created", when(s.createdMs)],
          ["ARN", h("span", { class: "mono" }, s.arn)]]
          .map(([k, v]) => h("div", { class: k === "ARN" ? "wide" : null }, h("dt", {}, k), h("dd", {}, v)))));
      head.append(summary(stream));
      const tabs = h("nav", { class: "tabs" }, TABS.map(([id, label]) =>
        h("a", { href: streamHref(stream.name, id), class: id === (route.tab || "shards") ? "active" : null }, label)));
      const content = h("div", { class: `tab tab-${route.tab}` });
      root.append(h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Data streams"), " › ", stream.name),
        h("h1", {}, stream.name), head, tabs, content);
      return body.mount(stream, content, (s) => head.replaceChildren(summary(s)));
    },
  };
}

const shardsTab = {
  every: 3000,
  async mount(stream, root, setSummary) {
    const name = encodeURIComponent(stream.name);
    return simple(root, () => api(`streams/${name}`), (s) => {
      setSummary(s);
      const color = new Map(s.shards.map((sh, i) => [sh.shardId, colorOf(i)]));
      const open = s.shards.filter((sh) => sh.open);
      return h("div", {},
        h("div", { class: "panel" }, h("h2", {}, "Hash key space"),
          h("p", { class: "muted" }, `Open shards over the hash keys 0 … 2^128 − 1. Closed shards below, as they were.`),
          bar(open, color, "open"),
          h("div", { class: "axis" }, h("span", {}, "0"), h("span", {}, "2^127"), h("span", {}, "2^128 − 1")),
          s.shards.filter((sh) => !sh.open).map((sh) => bar([sh], color, "thin closed"))),
        h("div", { class: "panel" }, h("h2", {}, "Lineage"), lineage(s.shards, color)),
        h("div", { class: "panel" }, h("h2", {}, `Shards (${s.shards.length})`), shardTable(s.shards)));
    });
  },
};

/** Shards as segments of a bar over the key space. */
function bar(shards, color, kind) {
  return h("div", { class: `bar ${kind}` }, shards.map((sh) => {
    const width = (sh.to - sh.from) * 100;
    return h("div", {
      class: "seg", "data-shard": sh.shardId, title: `${sh.shardId}\n${sh.startingHashKey} … ${sh.endingHashKey}`,
      style: { left: `${sh.from * 100}%`, width: `${Math.max(width, 0.2)}%`, background: sh.open ? color.get(sh.shardId) : "#b4b4bb" },
    }, width > 6 ? shortShard(sh.shardId) : "");
  }));
}

/**
 * Split/merge lineage as a tree: a shard under its parent; a merged shard under its first
 * parent, with a pointer to it under the adjacent parent.
 */
function lineage(shards, color) {
  const children = (id) => shards.filter((c) => c.parent === id || c.adjacentParent === id);
  const node = (sh, via) => {
    if (via && sh.adjacentParent === via) {
      return h("li", { class: "ref", "data-shard": sh.shardId }, `→ ${sh.shardId} (merged with ${sh.parent})`);
    }
    const kids = children(sh.shardId);
    const pct = (f) => `${(f * 100).toFixed(1)}%`;
    return h("li", { "data-shard": sh.shardId },
      h("span", { class: `node ${sh.open ? "open" : "closed"}` },
        h("span", { class: "swatch", style: { background: sh.open ? color.get(sh.shardId) : "#b4b4bb" } }),
        h("strong", {}, sh.shardId), badge(sh.open ? "OPEN" : "CLOSED"),
        h("span", { class: "muted" }, `keys ${pct(sh.from)}–${pct(sh.to)}`),
        sh.adjacentParent ? h("span", { class: "muted" }, `merge of ${sh.parent} + ${sh.adjacentParent}`) : null),
      kids.length ? h("ul", {}, kids.map((k) => node(k, sh.shardId))) : null);
  };
  const roots = shards.filter((sh) => !sh.parent);
  return h("div", { class: "lineage" }, h("ul", {}, roots.map((r) => node(r, null))));
}

function shardTable(shards) {
  const pct = (f) => `${(f * 100).toFixed(1)}%`;
  const seqs = (sh) => h("div", { class: "seqs" }, sh.startingSequenceNumber, h("br"), sh.endingSequenceNumber
    ? `… ${sh.endingSequenceNumber}` : h("span", { class: "muted" }, "… open"));
  return table(["Shard", "Status", "Parents", "Hash keys", "Sequence numbers", "Records retained", "Last write"],
    shards.map((sh) => h("tr", { "data-shard": sh.shardId },
      h("td", { class: "mono" }, sh.shardId), h("td", {}, badge(sh.open ? "OPEN" : "CLOSED")),
      h("td", {}, [sh.parent, sh.adjacentParent].filter(Boolean).map(shortShard).join(" + ") || "—"),
      h("td", { title: `${sh.startingHashKey} … ${sh.endingHashKey}` }, `${pct(sh.from)} – ${pct(sh.to)}`),
      h("td", { class: "mono" }, seqs(sh)),
      h("td", {}, sh.retainedRecords.toLocaleString()),
      h("td", { title: when(sh.lastArrivalMs) }, sh.lastArrivalMs ? new Date(sh.lastArrivalMs).toLocaleTimeString() : "—"))),
    { class: "shards" });
}

const consumersTab = {
  every: 3000,
  async mount(stream, root, setSummary) {
    const name = encodeURIComponent(stream.name);
    return simple(root, () => api(`streams/${name}`), (s) => {
      setSummary(s);
      return h("div", {},
        h("div", { class: "panel" }, h("h2", {}, `Enhanced fan-out consumers (${s.consumers.length})`),
          s.consumers.length
            ? table(["Name", "Status", "Registered", "ARN"], s.consumers.map((c) => h("tr", { "data-consumer": c.name },
              h("td", {}, c.name), h("td", {}, badge(c.status)), h("td", {}, when(c.createdMs)), h("td", { class: "mono" }, c.arn))),
            { class: "consumers" })
            : h("p", { class: "muted" }, "No consumer is registered for enhanced fan-out.")),
        h("div", { class: "panel" }, h("h2", {}, "Polling consumers"),
          h("p", {}, "KCL-style applications keep their leases in DynamoDB tables on this server: see ",
            h("a", { href: "#/leases" }, "Lease tables"), ".")));
    });
  },
};

// ---- Lease tables --------------------------------------------------------------------------

const leasesView = {
  every: 3000,
  async mount(_route, root) {
    const body = h("div");
    root.append(h("h1", {}, "Lease tables"),
      h("p", { class: "muted" }, "DynamoDB tables on this server keyed by leaseKey, as the KCL and riffle-consumer keep them."), body);
    return simple(body, () => api("leases"), ({ tables }) => {
      if (!tables.length) return h("div", { class: "panel muted" }, "No lease tables.");
      return h("div", {}, tables.map((t) => h("div", { class: "panel lease-table", "data-table": t.name },
        h("h2", {}, `${t.name} (${t.rows.length} leases)`),
        table(["Lease key", "Owner", "Counter", "Checkpoint", "Sub-seq", "Stream", "Behind (records)", "Owner switches", "Parents"],
          t.rows.map((r) => h("tr", { "data-lease": r.leaseKey },
            h("td", { class: "mono" }, r.leaseKey), h("td", { class: "owner" }, r.leaseOwner ?? h("span", { class: "muted" }, "unowned")),
            h("td", {}, r.leaseCounter ?? ""), h("td", { class: "mono" }, r.checkpoint ?? ""),
            h("td", {}, r.checkpointSubSequenceNumber ?? ""), h("td", {}, r.stream ?? ""),
            h("td", { class: "lag", title: r.lagRecords === null ? "Only a sequence-number checkpoint has a known lag" : null },
              r.lagRecords ?? "—"), h("td", {}, r.ownerSwitchesSinceCheckpoint ?? ""),
            h("td", { class: "mono" }, Array.isArray(r.parentShardIds) ? r.parentShardIds.join(", ") : "")))))));
    });
  },
};
