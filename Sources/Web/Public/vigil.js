// Vigil's dashboard: what every page shares. Plain browser JavaScript, no build step; the
// charting and map libraries are the vendored Debian ones in vendor/.
"use strict";
const Vigil = {
  params: new URLSearchParams(location.search),

  async api(path) {
    const r = await fetch("/api/v1/" + path);
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new Error((body && body.error && body.error.message) || r.status + " " + r.statusText);
    return body;
  },

  /** "2014-12-22 16:15 UTC" from RFC 3339 or Unix seconds. */
  time(t) {
    if (t === null || t === undefined) return "";
    const d = typeof t === "number" ? new Date(t * 1000) : new Date(t);
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  },
  seconds(t) { return Math.floor(new Date(t).getTime() / 1000); },
  iso(s) { return new Date(s * 1000).toISOString().replace(".000Z", "Z"); },

  duration(s) {
    if (s < 60) return Math.round(s) + "s";
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + "d " : "") + (h ? h + "h" : "") + (m && !d ? m + "m" : "") || "0m";
  },

  /** Why, as a person says it. */
  cause(c) {
    return {
      "bgp-withdrawal": "routes withdrawn",
      "unreachable-while-routed": "unreachable while still routed",
      "route-instability": "route instability",
      "latency-degradation": "latency and loss degradation",
      "feed-loss": "a feed was lost (Vigil's own view, not an outage)",
      "unknown": "cause unknown",
    }[c] || c;
  },

  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c));
    return e;
  },
  entityLink(code) { return Vigil.el("a", { href: "entity.html?e=" + encodeURIComponent(code) }, code); },
  eventLink(e, text) { return Vigil.el("a", { href: "event.html?id=" + encodeURIComponent(e.id) }, text); },
  kind(k) { return Vigil.el("span", { class: "kind " + k }, k); },

  table(parent, head, rows, empty) {
    parent.replaceChildren();
    if (!rows.length) { parent.append(Vigil.el("p", { class: "empty" }, empty)); return; }
    const t = Vigil.el("table");
    t.append(Vigil.el("tr", {}, ...head.map(h => Vigil.el("th", {}, h))));
    for (const r of rows) t.append(Vigil.el("tr", {}, ...r.map(c => Vigil.el("td", {}, c ?? ""))));
    parent.append(t);
  },

  fail(where, err) {
    where.replaceChildren(Vigil.el("div", { class: "error" }, String(err.message || err)));
  },

  /** The header every page has; `here` marks the current page. */
  header(here) {
    const nav = Vigil.el("header", {},
      Vigil.el("a", { class: "brand", href: "index.html" }, "Vigil"),
      Vigil.el("a", { href: "index.html", class: here === "now" ? "here" : "" }, "Now"),
      Vigil.el("a", { href: "feeds.html", class: here === "feeds" ? "here" : "" }, "Feeds"),
      Vigil.el("a", { href: "api/v1/openapi.json" }, "API"),
      Vigil.el("span", { id: "live" }));
    const form = Vigil.el("form", {}, Vigil.el("input", { name: "q", placeholder: "Country, AS or prefix (KP, AS131279)", list: "found" }),
      Vigil.el("datalist", { id: "found" }));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      const q = form.q.value.trim();
      if (q) location.href = "entity.html?e=" + encodeURIComponent(q);
    });
    form.q.addEventListener("input", async () => {
      if (form.q.value.length < 2) return;
      const r = await Vigil.api("entities?limit=10&q=" + encodeURIComponent(form.q.value)).catch(() => ({ entities: [] }));
      form.querySelector("datalist").replaceChildren(...r.entities.map(e => Vigil.el("option", { value: e.code })));
    });
    nav.append(form);
    document.body.prepend(nav);
  },

  /** The API's event stream, when the server has one (a viewer has none): `onMessage(type, data)`
   *  for each event ("event", "feed", "bin", "missed"), data parsed. */
  live(onMessage) {
    if (!window.EventSource) return;
    const src = new EventSource("/api/v1/stream");
    const mark = document.getElementById("live");
    src.onopen = () => { if (mark) mark.textContent = "● live"; };
    src.onerror = () => { if (mark) mark.textContent = ""; if (src.readyState === EventSource.CLOSED) src.close(); };
    for (const type of ["event", "feed", "bin", "missed"]) {
      src.addEventListener(type, m => { let d = null; try { d = JSON.parse(m.data); } catch (_) {} onMessage(type, d); });
    }
  },

  /** `f` at most once per `ms`, after the last call (a burst of changes is one reload). */
  debounce(f, ms) {
    let t = null;
    return () => { clearTimeout(t); t = setTimeout(f, ms); };
  },
};
