// The console's shell: hash routes, the JSON fetcher and the refresh loop. Pages are built in
// views.js with `h`, which sets text as text — stream names, partition keys and record data
// never reach innerHTML.
import * as views from "./views.js";

/** h("td", {class: "x"}, "text", child, [more]) -> an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  const add = (c) => {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return el;
}

/** GETs /console/api/<path> as JSON; the server's error message on failure. */
export async function api(path) {
  const resp = await fetch(`api/${path}`, { headers: { accept: "application/json" }, cache: "no-store" });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(body.error || `${resp.status} ${resp.statusText}`);
  return body;
}

const main = () => document.getElementById("main");
let current = { timer: null, generation: 0 };

/** What the hash names: {page, stream, tab}. */
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "leases") return { page: "leases" };
  if (parts[0] === "streams" && parts[1]) return { page: "stream", stream: parts[1], tab: parts[2] || "shards" };
  return { page: "streams" };
}

/**
 * Shows a route. A view is {mount(route, root) -> Promise<refresh?>, every?: ms}: mount builds
 * the page into `root` once; `refresh` (if any) runs when the page is on screen and then every
 * `every` ms while it stays current. A stale page (the user moved on) is dropped.
 */
async function show() {
  clearTimeout(current.timer);
  const generation = ++current.generation;
  const route = parseRoute();
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === (route.page === "leases" ? "leases" : "streams"));
  }
  const view = views.viewFor(route);
  const live = () => generation === current.generation;
  const fail = (e) => {
    if (live()) main().replaceChildren(h("div", { class: "panel error" }, e.message));
  };
  let refresh;
  const root = h("div", { class: `page page-${route.page}` });
  try {
    refresh = await view.mount(route, root);
  } catch (e) {
    return fail(e);
  }
  if (!live()) return;
  main().replaceChildren(root);
  const tick = async () => {
    try {
      await refresh();
      if (live()) status(`Updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      if (live()) status(`Refresh failed: ${e.message}`);
    }
    if (view.every && live()) current.timer = setTimeout(tick, view.every);
  };
  if (refresh) await tick();
}

function status(text) {
  document.getElementById("status").textContent = text;
}

window.addEventListener("hashchange", show);
show();
