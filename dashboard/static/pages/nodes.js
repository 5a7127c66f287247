// Nodes and devices (read-only, every role): each node's online state and since when, last seen,
// software version, outbox backlog, events dropped by the node and lost on the way (sequence
// gaps), and the state of each device. Live: node state changes arrive over SSE; backlog and
// last-seen come with heartbeats, so the table is also re-read every 10 s.

import { ALL_ROLES, page } from "./page.js";

let stop = () => {};

const STATE_CLASS = { online: "ok", offline: "bad", unknown: "muted" };
const DEVICE_CLASS = { ok: "ok", fault: "bad", unknown: "muted" };

export default page({
  id: "nodes",
  roles: ALL_ROLES,
  css: null,

  async mount(el, ctx) {
    const { h, t } = ctx;
    let data = null;
    let error = null;
    let site = "";
    let timer = null;
    const summary = h("div", { class: "summary", "data-testid": "nodes-summary" });
    const siteSel = h("select", { "data-testid": "nodes-site", onchange: (e) => { site = e.target.value; render(); } });
    const body = h("div", { class: "nodes-table" });
    el.append(
      h("div", { class: "card" },
        h("div", { class: "toolbar" }, h("h2", { class: "grow" }, t("nodes.title")), siteSel,
          h("button", { class: "btn small", onclick: () => load() }, t("common.refresh"))),
        summary, body),
    );

    async function load() {
      try {
        data = await ctx.api("/api/v1/nodes");
        error = null;
      } catch (err) {
        if (ctx.signal.aborted) return;
        error = err.message;
      }
      render();
    }
    const soon = (ms) => {
      if (timer) return;
      timer = setTimeout(() => { timer = null; load(); }, ms);
    };
    ctx.onUpdate("node", () => soon(100));
    // Device states reach the node table with heartbeats; a fault event is shown at once and
    // stands until two heartbeat intervals have passed (by then a heartbeat carries the truth).
    const overlay = new Map(); // "site/node/device" -> {state, until}
    ctx.onUpdate("event", (ev) => {
      if (ev.kind === "fault" && ev.device && ev.data?.state) {
        const row = data?.items.find((n) => n.site === ev.site && n.node === ev.node);
        const hb = (row?.heartbeat_interval_s || 15) * 1000;
        overlay.set(`${ev.site}/${ev.node}/${ev.device}`, { state: ev.data.state, until: Date.now() + 2 * hb + 1000 });
        render();
      }
      soon(2000);
    });
    ctx.onUpdate("resync", () => soon(100));
    const poll = setInterval(load, 10000);
    const ages = setInterval(() => {
      for (const x of el.querySelectorAll("[data-since]")) x.textContent = ctx.fmtTime(x.dataset.since, "relative");
    }, 5000);
    stop = () => { clearInterval(poll); clearInterval(ages); clearTimeout(timer); };

    function render() {
      if (error) {
        body.replaceChildren(h("p", { class: "error" }, error));
        return;
      }
      if (!data) {
        body.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
        return;
      }
      const sites = [...new Set(data.items.map((n) => n.site))].sort();
      siteSel.replaceChildren(h("option", { value: "" }, t("nodes.all_sites")),
        ...sites.map((s) => h("option", { value: s, selected: s === site }, s)));
      siteSel.hidden = sites.length < 2;
      const items = data.items.filter((n) => !site || n.site === site);
      const count = (s) => items.filter((n) => (n.state || "unknown") === s).length;
      const faults = items.reduce((a, n) => a + Object.values(deviceStates(n)).filter((d) => d === "fault").length, 0);
      summary.replaceChildren(h("div", { class: "badges" },
        h("span", { class: "badge ok" }, `${t("state.online")} ${count("online")}`),
        h("span", { class: "badge bad" }, `${t("state.offline")} ${count("offline")}`),
        count("unknown") ? h("span", { class: "badge muted" }, `${t("state.unknown")} ${count("unknown")}`) : null,
        h("span", { class: `badge ${faults ? "bad" : "ok"}`, "data-testid": "nodes-faults" }, `${t("nodes.faults")} ${faults}`),
      ));
      if (!items.length) {
        body.replaceChildren(h("p", { class: "empty", "data-testid": "nodes-empty" }, t("nodes.none")));
        return;
      }
      const rows = items.map((n) => {
        const st = n.state || "unknown";
        const devices = Object.entries(deviceStates(n)).sort(([a], [b]) => a.localeCompare(b));
        return h("tr", { "data-testid": "node-row", "data-node": `${n.site}/${n.node}`, "data-state": st, class: st === "offline" ? "bad" : "" },
          h("td", {}, h("strong", {}, n.node), h("div", { class: "muted small" }, n.site)),
          h("td", {}, h("span", { class: `badge ${STATE_CLASS[st] || "muted"}`, "data-testid": "node-state" }, t(`state.${st}`)),
            n.state_since ? h("div", { class: "muted small", "data-since": n.state_since, title: ctx.fmtTime(n.state_since) }, ctx.fmtTime(n.state_since, "relative")) : null,
            st === "offline" && n.state_reason ? h("div", { class: "muted small" }, reason(n.state_reason)) : null),
          h("td", {}, n.last_seen ? [ctx.fmtTime(n.last_seen, "time"), h("div", { class: "muted small", "data-since": n.last_seen }, ctx.fmtTime(n.last_seen, "relative"))] : "—"),
          h("td", { class: "num", "data-testid": "node-outbox" }, n.outbox ?? "—"),
          h("td", { class: `num ${n.dropped ? "error" : ""}` }, n.dropped ?? 0),
          h("td", { class: `num ${n.lost ? "error" : ""}`, "data-testid": "node-lost" }, n.lost ?? 0),
          h("td", {}, h("div", { class: "devices" }, devices.length
            ? devices.map(([id, s]) => h("span", { class: `badge ${DEVICE_CLASS[s] || "muted"}`, "data-device": id, "data-device-state": s, title: t(`device.${s}`) }, `${id} · ${t(`device.${s}`)}`))
            : h("span", { class: "muted" }, "—"))),
          h("td", { class: "muted small" }, n.version || "—"),
        );
      });
      body.replaceChildren(h("table", { class: "grid", "data-testid": "nodes-table" },
        h("thead", {}, h("tr", {},
          h("th", {}, t("common.node")), h("th", {}, t("nodes.state")), h("th", {}, t("nodes.last_seen")),
          h("th", { class: "num", title: t("nodes.outbox_hint") }, t("nodes.outbox")),
          h("th", { class: "num", title: t("nodes.dropped_hint") }, t("nodes.dropped")),
          h("th", { class: "num", title: t("nodes.lost_hint") }, t("nodes.lost")),
          h("th", {}, t("nodes.devices")), h("th", {}, t("nodes.version")))),
        h("tbody", {}, rows)));
    }

    function deviceStates(n) {
      const out = { ...(n.devices || {}) };
      const now = Date.now();
      for (const [key, o] of overlay) {
        if (o.until < now) overlay.delete(key);
        else if (key.startsWith(`${n.site}/${n.node}/`)) out[key.slice(n.site.length + n.node.length + 2)] = o.state;
      }
      return out;
    }

    function reason(r) {
      const key = `nodes.reason.${r}`;
      const s = t(key);
      return s === key ? r : s;
    }

    render();
    await load();
  },

  unmount() {
    stop();
    stop = () => {};
  },
});
