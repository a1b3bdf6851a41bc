// The Data viewer tab: peek at a shard's records from a position, shown as text, pretty JSON
// or hex. KPL aggregates arrive unpacked by the server; their user records show under the
// aggregate with their sub-sequence numbers.
import { h, api } from "./console.js";

const POSITIONS = [
  ["TRIM_HORIZON", "Trim horizon (oldest)"],
  ["LATEST", "Latest (the last N)"],
  ["AT_SEQUENCE_NUMBER", "At sequence number"],
  ["AT_TIMESTAMP", "At timestamp"],
];

export const dataTab = {
  async mount(stream, root) {
    const field = (label, input) => h("label", {}, label, input);
    const shard = h("select", { name: "shard" }, stream.shards.map((sh) =>
      h("option", { value: sh.shardId }, `${sh.shardId}${sh.open ? "" : " (closed)"}`)));
    const from = h("select", { name: "from" }, POSITIONS.map(([v, l]) => h("option", { value: v }, l)));
    const seq = h("input", { name: "seq", size: 44, placeholder: "sequence number" });
    const ts = h("input", { name: "ts", type: "datetime-local", step: 1 });
    const n = h("input", { name: "n", type: "number", min: 1, max: 100, value: 20, style: { width: "5em" } });
    const format = h("select", { name: "format" }, ["Text", "JSON", "Hex"].map((f) => h("option", { value: f.toLowerCase() }, f)));
    const out = h("div", { class: "records" }, h("p", { class: "muted" }, "Pick a shard and a starting position, then Get records."));
    let last = null;
    const showFields = () => {
      seq.parentElement.style.display = from.value === "AT_SEQUENCE_NUMBER" ? "" : "none";
      ts.parentElement.style.display = from.value === "AT_TIMESTAMP" ? "" : "none";
    };
    const form = h("form", {
      class: "browse",
      onsubmit: async (e) => {
        e.preventDefault();
        const q = new URLSearchParams({ shard: shard.value, from: from.value, n: n.value });
        if (from.value === "AT_SEQUENCE_NUMBER") q.set("seq", seq.value.trim());
        if (from.value === "AT_TIMESTAMP") q.set("ts", String(ts.value ? new Date(ts.value).getTime() : Date.now()));
        out.replaceChildren(h("p", { class: "muted" }, "Reading…"));
        try {
          last = await api(`streams/${encodeURIComponent(stream.name)}/records?${q}`);
          out.replaceChildren(results(last, format.value));
        } catch (err) {
          out.replaceChildren(h("p", { class: "error" }, err.message));
        }
      },
    },
    field("Shard", shard), field("Starting position", from), field("Sequence number", seq), field("Timestamp", ts),
    field("Records", n), field("Show data as", format), h("button", { type: "submit" }, "Get records"));
    from.addEventListener("change", showFields);
    format.addEventListener("change", () => last && out.replaceChildren(results(last, format.value)));
    root.append(h("div", { class: "panel" }, h("h2", {}, "Data viewer"), form), h("div", { class: "panel" }, out));
    showFields();
    return null;
  },
};

function results(r, format) {
  if (!r.records.length) return h("p", { class: "muted empty" }, `No records in ${r.shardId} from ${r.from}.`);
  const rows = [];
  for (const rec of r.records) {
    const aggregated = rec.aggregated && rec.userRecords;
    rows.push(h("tr", { class: aggregated ? "record aggregate" : "record", "data-seq": rec.sequenceNumber },
      h("td", { class: "mono" }, rec.sequenceNumber), h("td", {}, aggregated ? "—" : ""),
      h("td", {}, new Date(rec.arrivalMs).toLocaleString()), h("td", { class: "mono" }, rec.partitionKey),
      h("td", {}, aggregated
        ? h("span", { class: "muted" }, `KPL aggregate of ${rec.userRecords.length} user records (${rec.size} bytes)`)
        : render(rec.data, format),
        rec.aggregationError ? h("div", { class: "error" }, rec.aggregationError) : null,
        rec.encrypted ? h("div", { class: "muted" }, "stored encrypted (KMS)") : null)));
    for (const u of aggregated ? rec.userRecords : []) {
      rows.push(h("tr", { class: "user", "data-sub": u.subSequenceNumber },
        h("td", { class: "mono muted" }, "↳ user record"), h("td", { class: "sub" }, u.subSequenceNumber),
        h("td", {}), h("td", { class: "mono" }, u.partitionKey), h("td", {}, render(u.data, format))));
    }
  }
  return h("div", {},
    h("p", { class: "muted" }, `${r.records.length} records of ${r.shardId} from ${r.from} (starting at ${r.startingSequenceNumber}).`),
    h("table", { class: "records" },
      h("thead", {}, h("tr", {}, ["Sequence number", "Sub-seq", "Arrival", "Partition key", "Data"].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)));
}

const bytesOf = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** A record's data as text, pretty JSON (falling back to text) or a hex dump. */
function render(b64, format) {
  const bytes = bytesOf(b64);
  if (format === "hex") return h("pre", { class: "data hex" }, hexdump(bytes));
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (format === "json") {
    try {
      return h("pre", { class: "data json" }, JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      return h("pre", { class: "data text" }, text, h("div", { class: "muted" }, "(not JSON)"));
    }
  }
  return h("pre", { class: "data text" }, text);
}

function hexdump(bytes) {
  const lines = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = Array.from(bytes.slice(off, off + 16));
    const hex = chunk.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(47);
    const ascii = chunk.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${off.toString(16).padStart(8, "0")}  ${hex}  ${ascii}`);
  }
  return lines.join("\n");
}
