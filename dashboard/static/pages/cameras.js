// Cameras (supervisor, admin): a wall of tiles with the latest snapshot, a health badge and the
// age of the last frame; a click opens the camera: live view (MJPEG through the gateway's relay,
// every view audited there), zone/line overlays and the event timeline with snapshots and clips.
// Media are fetched with the caller's credentials and shown as blob URLs (every fetch of a
// recorded image or clip is audited by the gateway), so nothing of a resident is cached by URL.

import { page } from "./page.js";

import { clipPlayer, parseAvi } from "./clip.js";

const KIND_ICONS = { motion: "≈", people: "☺", line_cross: "→", tamper: "⚠", camera: "◉" };
const STALE_S = 15 * 60; // a wall snapshot older than this is shown as stale
const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

// Zones (polygons) and exit lines over an image; coordinates are fractions of width/height.
function overlay(cam, highlight) {
  const svg = svgEl("svg", { viewBox: "0 0 100 100", preserveAspectRatio: "none", class: "cam-overlay" });
  svg.dataset.testid = "overlay";
  for (const z of cam.zones || []) {
    const pts = z.polygon.map(([x, y]) => `${x * 100},${y * 100}`).join(" ");
    const poly = svgEl("polygon", { points: pts, class: "zone" + (highlight?.has(z.id) ? " hot" : "") });
    poly.dataset.zone = z.id;
    svg.append(poly);
    const [x, y] = z.polygon[0];
    const label = svgEl("text", { x: x * 100 + 1, y: y * 100 + 4, class: "label" });
    label.textContent = z.id;
    svg.append(label);
  }
  for (const l of cam.lines || []) {
    const line = svgEl("line", {
      x1: l.a[0] * 100, y1: l.a[1] * 100, x2: l.b[0] * 100, y2: l.b[1] * 100, class: "exit",
    });
    line.dataset.line = l.id;
    svg.append(line);
    const label = svgEl("text", { x: l.a[0] * 100 + 1, y: l.a[1] * 100 - 1, class: "label exit-label" });
    label.textContent = l.id;
    svg.append(label);
  }
  return svg;
}

function fmtAge(s, t) {
  if (s == null) return t("cameras.age_none");
  if (s < 90) return t("cameras.age_s", { n: Math.round(s) });
  if (s < 5400) return t("cameras.age_m", { n: Math.round(s / 60) });
  if (s < 172800) return t("cameras.age_h", { n: Math.round(s / 3600) });
  return t("cameras.age_d", { n: Math.round(s / 86400) });
}

// Read a multipart/x-mixed-replace MJPEG response and hand each JPEG to `onFrame`.
async function readMjpeg(response, onFrame) {
  const reader = response.body.getReader();
  let buf = new Uint8Array(0);
  const dec = new TextDecoder("latin1");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const joined = new Uint8Array(buf.length + value.length);
    joined.set(buf);
    joined.set(value, buf.length);
    buf = joined;
    for (;;) {
      // headers end at the first CRLFCRLF; Content-Length says how many JPEG bytes follow
      let end = -1;
      for (let i = 0; i + 3 < buf.length; i++) {
        if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) { end = i; break; }
      }
      if (end < 0) break;
      const head = dec.decode(buf.subarray(0, end));
      const m = /content-length:\s*(\d+)/i.exec(head);
      if (!m) { buf = buf.subarray(end + 4); continue; }
      const len = Number(m[1]);
      if (buf.length < end + 4 + len) break;
      onFrame(buf.slice(end + 4, end + 4 + len));
      buf = buf.subarray(end + 4 + len);
    }
  }
}

export default page({
  id: "cameras",
  roles: ["supervisor", "admin"],

  async mount(el, ctx) {
    this.el = el;
    this.blobs = new Map(); // media url -> object URL (revoked on unmount)
    this.players = []; // clip players (their frames revoked on unmount)
    this.cams = [];
    this.live = null;
    this.timers = [];
    const { h, t } = ctx;
    this.reason = h("input", {
      type: "text", class: "cam-reason", maxlength: "200", placeholder: t("cameras.reason_ph"), "aria-label": t("cameras.reason_ph"),
      dataset: { testid: "live-reason" },
    });
    this.siteSel = h("select", { dataset: { testid: "site-filter" }, onchange: () => this.refresh() },
      h("option", { value: "" }, t("cameras.all_sites")));
    this.status = h("span", { class: "muted" });
    this.wall = h("div", { class: "cam-wall", dataset: { testid: "camera-wall" } });
    this.detail = h("div", { class: "cam-detail" });
    // expected head counts per foster home (from placements: pages/people.js, docs/people.md)
    this.rosters = h("div", { class: "toolbar muted", dataset: { testid: "camera-rosters" } });
    el.append(
      h("div", { class: "toolbar" },
        h("label", null, t("cameras.site"), " ", this.siteSel),
        h("label", null, t("cameras.reason"), " ", this.reason),
        h("button", { class: "btn", onclick: () => this.refresh() }, t("common.refresh")),
        this.status),
      this.rosters,
      this.detail,
      this.wall,
    );
    ctx.onUpdate("event", (ev) => {
      if (!KIND_ICONS[ev.kind]) return;
      const mine = this.current && ev.site === this.current.site && ev.node === this.current.node && ev.device === this.current.camera;
      if (ev.kind !== "motion" || ev.data?.snapshot || mine) this.soon(mine);
    });
    ctx.onUpdate("node", () => this.soon());
    ctx.onUpdate("resync", () => this.soon());
    this.timers.push(setInterval(() => this.tickAges(), 1000));
    this.timers.push(setInterval(() => this.refresh(), 30000));
    await this.refresh();
    await this.route(ctx);
  },

  unmount() {
    this.stopLive();
    for (const id of this.timers || []) clearInterval(id);
    clearTimeout(this.pending);
    for (const url of (this.blobs || new Map()).values()) URL.revokeObjectURL(url);
    for (const p of this.players || []) p.dispose();
  },

  // Coalesce bursts of events into one reload every 2 s at most (a busy site sends many).
  soon(timeline) {
    if (timeline) this.timelineDue = true;
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.refresh();
      if (this.timelineDue && this.current) {
        this.timelineDue = false;
        const cam = this.find(this.current);
        if (cam) this.loadTimeline(cam);
      }
    }, 2000);
  },

  async blobUrl(url) {
    if (this.blobs.has(url)) return this.blobs.get(url);
    const r = await this.ctx.fetch(url, { signal: this.ctx.signal });
    if (!r.ok) throw new Error(`${r.status}`);
    const obj = URL.createObjectURL(await r.blob());
    this.blobs.set(url, obj);
    return obj;
  },

  async refresh() {
    const { ctx } = this;
    let page;
    try {
      page = await ctx.api("/api/v1/cameras", { query: { site: this.siteSel.value } });
    } catch (e) {
      this.status.textContent = e.message || String(e);
      return;
    }
    this.loadedAt = Date.now();
    this.cams = page.items;
    const sites = [...new Set(page.items.map((c) => c.site))].sort();
    const have = new Set([...this.siteSel.options].map((o) => o.value));
    for (const s of sites) if (!have.has(s)) this.siteSel.append(ctx.h("option", { value: s }, s));
    this.status.textContent = ctx.t("cameras.count", { n: page.items.length });
    this.renderWall();
    this.loadRosters();
    if (this.current) {
      const cam = this.find(this.current);
      if (cam) this.renderHeader(cam);
    }
  },

  async loadRosters() {
    const { h, t } = this.ctx;
    let rows = [];
    try {
      rows = await this.ctx.api("/api/v1/people/rosters", { query: { site: this.siteSel.value } });
    } catch {
      return; // the wall works without it
    }
    this.rosters.replaceChildren(...rows.map((r) => h("span", { class: "pill", dataset: { testid: "camera-roster", site: r.site, expected: r.in_force ?? r.placed } },
      t("cameras.roster", { site: r.site, n: r.in_force ?? r.placed, placed: r.placed }))));
  },

  find(key) {
    return this.cams.find((c) => c.site === key.site && c.node === key.node && c.camera === key.camera);
  },

  renderWall() {
    const { h, t } = this.ctx;
    this.wall.replaceChildren();
    if (!this.cams.length) {
      this.wall.append(h("div", { class: "empty" }, t("cameras.none")));
      return;
    }
    for (const cam of this.cams) {
      const img = h("img", { alt: `${cam.site}/${cam.node}/${cam.camera}`, class: "cam-img" });
      const frame = h("div", { class: "cam-frame" }, img, overlay(cam));
      if (cam.snapshot) {
        this.blobUrl(cam.snapshot.url).then((u) => { img.src = u; }).catch(() => img.classList.add("broken"));
      } else {
        frame.append(h("div", { class: "cam-nosnap" }, t("cameras.no_snapshot")));
      }
      const age = h("span", { class: "cam-age", dataset: { testid: "frame-age" } });
      age._age = cam.last_frame_age_s;
      const key = `${cam.site}/${cam.node}/${cam.camera}`;
      const tile = h("button", {
        class: "cam-tile card",
        dataset: { testid: "camera-tile", camera: key, health: cam.health },
        onclick: () => this.ctx.navigate(`#/cameras/${key}`),
      },
        h("div", { class: "cam-head" },
          h("strong", null, cam.camera),
          h("span", { class: "muted" }, ` ${cam.site} · ${cam.node}`),
          this.badge(cam)),
        frame,
        h("div", { class: "cam-foot" }, age,
          cam.tamper.length ? h("span", { class: "badge bad" }, cam.tamper.map((r) => t(`cameras.tamper.${r}`)).join(", ")) : null),
      );
      this.wall.append(tile);
    }
    this.tickAges();
  },

  badge(cam) {
    const cls = { online: "ok", offline: "bad", tampered: "warn", unknown: "muted" }[cam.health] || "muted";
    return this.ctx.h("span", { class: `badge ${cls}`, dataset: { testid: "health" } }, this.ctx.t(`cameras.health.${cam.health}`));
  },

  tickAges() {
    if (!this.el) return;
    const extra = (Date.now() - (this.loadedAt || Date.now())) / 1000;
    for (const el of this.el.querySelectorAll(".cam-age")) {
      const s = el._age == null ? null : el._age + extra;
      el.textContent = `${this.ctx.t("cameras.last_frame")} ${fmtAge(s, this.ctx.t)}`;
      el.classList.toggle("stale", s == null || s > STALE_S);
    }
  },

  async route(ctx) {
    this.ctx = ctx.api ? ctx : this.ctx;
    const parts = (ctx.route && ctx.route.parts) || [];
    this.stopLive();
    if (parts.length < 3) {
      this.current = null;
      this.detail.replaceChildren();
      this.wall.hidden = false;
      return;
    }
    const [site, node, camera] = parts;
    this.current = { site, node, camera };
    this.wall.hidden = true;
    const cam = this.find(this.current) || { site, node, camera, zones: [], lines: [], tamper: [], health: "unknown" };
    this.openDetail(cam);
  },

  openDetail(cam) {
    const { h, t } = this.ctx;
    this.head = h("div", { class: "cam-detail-head" });
    this.liveImg = h("img", { class: "cam-img", alt: t("cameras.live"), dataset: { testid: "live-img" } });
    this.liveState = h("span", { class: "muted", dataset: { testid: "live-state" } });
    this.liveBtn = h("button", { class: "btn primary", dataset: { testid: "live-toggle" }, onclick: () => (this.live ? this.stopLive() : this.startLive(cam)) }, t("cameras.live_start"));
    this.timeline = h("ol", { class: "cam-timeline", dataset: { testid: "timeline" } });
    this.detail.replaceChildren(
      h("div", { class: "toolbar" },
        h("button", { class: "btn", dataset: { testid: "back" }, onclick: () => this.ctx.navigate("#/cameras") }, "← ", t("cameras.back")),
        this.head),
      h("div", { class: "grid2" },
        h("div", { class: "card" },
          h("div", { class: "toolbar" }, this.liveBtn, this.liveState),
          h("div", { class: "cam-frame live" }, this.liveImg, overlay(cam)),
          h("p", { class: "muted small" }, t("cameras.live_note"))),
        h("div", { class: "card" },
          h("h3", null, t("cameras.timeline")),
          this.timeline)),
    );
    this.renderHeader(cam);
    this.startLive(cam);
    this.loadTimeline(cam);
  },

  renderHeader(cam) {
    if (!this.head) return;
    const { h, t } = this.ctx;
    this.head.replaceChildren(
      h("strong", null, `${cam.site} / ${cam.node} / ${cam.camera}`), " ", this.badge(cam), " ",
      h("span", { class: "muted" }, `${t("cameras.last_frame")} ${fmtAge(cam.last_frame_age_s, t)}`),
    );
  },

  async startLive(cam) {
    this.stopLive();
    const { t } = this.ctx;
    const ac = new AbortController();
    const live = { ac, frames: 0, url: null };
    this.live = live;
    this.liveBtn.textContent = t("cameras.live_stop");
    this.liveState.textContent = t("cameras.live_connecting");
    this.liveState.dataset.state = "connecting";
    const reason = this.reason.value.trim();
    const q = reason ? `?reason=${encodeURIComponent(reason)}` : "";
    const onAbort = () => ac.abort();
    this.ctx.signal.addEventListener("abort", onAbort);
    try {
      const r = await this.ctx.fetch(`${cam.live_url || `/live/${cam.site}/${cam.node}/${cam.camera}.mjpg`}${q}`, { signal: ac.signal });
      if (!r.ok) throw new Error(r.status === 403 ? t("cameras.live_forbidden") : `HTTP ${r.status}`);
      await readMjpeg(r, (jpeg) => {
        if (this.live !== live) return;
        const url = URL.createObjectURL(new Blob([jpeg], { type: "image/jpeg" }));
        const old = live.url;
        live.url = url;
        this.liveImg.src = url;
        if (old) setTimeout(() => URL.revokeObjectURL(old), 1000);
        live.frames += 1;
        this.liveImg.dataset.frames = String(live.frames);
        this.liveState.textContent = t("cameras.live_on", { n: live.frames });
        this.liveState.dataset.state = "live";
      });
      if (this.live === live) {
        this.liveState.textContent = t("cameras.live_ended");
        this.liveState.dataset.state = "ended";
      }
    } catch (e) {
      if (this.live === live && e.name !== "AbortError") {
        this.liveState.textContent = `${t("cameras.live_failed")}: ${e.message}`;
        this.liveState.dataset.state = "error";
      }
    } finally {
      this.ctx.signal.removeEventListener("abort", onAbort);
      if (this.live === live) {
        this.live = null;
        this.liveBtn.textContent = t("cameras.live_start");
      }
    }
  },

  stopLive() {
    const live = this.live;
    if (!live) return;
    this.live = null;
    live.ac.abort();
    if (this.liveBtn) this.liveBtn.textContent = this.ctx.t("cameras.live_start");
    if (this.liveState) {
      this.liveState.textContent = this.ctx.t("cameras.live_stopped");
      this.liveState.dataset.state = "stopped";
    }
  },

  async loadTimeline(cam, before) {
    const { h, t, fmtTime } = this.ctx;
    let page;
    try {
      page = await this.ctx.api(`/api/v1/cameras/${cam.site}/${cam.node}/${cam.camera}/events`, { query: { limit: 30, before } });
    } catch (e) {
      this.timeline.append(h("li", { class: "empty" }, e.message || String(e)));
      return;
    }
    if (!before) this.timeline.replaceChildren();
    if (!page.items.length && !before) this.timeline.append(h("li", { class: "empty" }, t("cameras.no_events")));
    for (const ev of page.items) {
      const media = h("div", { class: "cam-media" });
      for (const m of ev.media) {
        if (m.kind === "jpeg") {
          const btn = h("button", { class: "btn", dataset: { testid: "show-snapshot" }, onclick: async () => {
            btn.disabled = true;
            try {
              const img = h("img", { class: "cam-thumb", alt: ev.kind, src: await this.blobUrl(m.url) });
              btn.replaceWith(img);
            } catch (e) { this.ctx.toast(`${t("cameras.media_failed")}: ${e.message}`, "error"); btn.disabled = false; }
          } }, t("cameras.show_snapshot"));
          media.append(btn);
        } else {
          const play = h("button", { class: "btn", dataset: { testid: "play-clip" }, onclick: async () => {
            play.disabled = true;
            try {
              const r = await this.ctx.fetch(m.url, { signal: this.ctx.signal });
              if (!r.ok) throw new Error(`${r.status}`);
              const player = clipPlayer(h, t, parseAvi(await r.arrayBuffer()));
              this.players.push(player);
              play.replaceWith(player);
            } catch (e) { this.ctx.toast(`${t("cameras.media_failed")}: ${e.message}`, "error"); play.disabled = false; }
          } }, `▶ ${t("cameras.play_clip")}`);
          media.append(play, h("button", { class: "btn", dataset: { testid: "download-clip" }, onclick: () =>
            this.ctx.download(`${m.url}?download=1`, `${cam.camera}-${ev.id}-${m.n}.${m.kind}`)
              .catch((e) => this.ctx.toast(`${t("cameras.media_failed")}: ${e.message}`, "error")) },
          `${t("cameras.clip")} (${m.kind.toUpperCase()}, ${Math.round(m.size / 1024)} KB)`));
        }
      }
      this.timeline.append(h("li", { class: `ev ev-${ev.kind}`, dataset: { kind: ev.kind } },
        h("span", { class: "ev-icon" }, KIND_ICONS[ev.kind] || "•"),
        h("span", { class: "ev-time" }, fmtTime(ev.ts, "datetime")),
        h("span", { class: "ev-what" }, this.describe(ev)),
        media));
    }
    if (page.next) {
      const more = h("li", null, h("button", { class: "btn", onclick: () => { more.remove(); this.loadTimeline(cam, page.next); } }, t("cameras.more")));
      this.timeline.append(more);
    }
  },

  describe(ev) {
    const { t } = this.ctx;
    const d = ev.data || {};
    switch (ev.kind) {
      case "motion": return t(d.active ? "cameras.ev.motion_on" : "cameras.ev.motion_off", { zones: (d.zones || []).join(", ") || "—" });
      case "people": return t("cameras.ev.people", { count: d.count, expected: d.expected ?? "—", zone: d.zone || "—" });
      case "line_cross": return t(d.night ? "cameras.ev.line_night" : "cameras.ev.line", { line: d.line, dir: t(`cameras.dir.${d.direction}`) });
      case "tamper": return t(d.active ? "cameras.ev.tamper_on" : "cameras.ev.tamper_off", { reason: t(`cameras.tamper.${d.reason}`) });
      case "camera": return t(d.state === "online" ? "cameras.ev.online" : "cameras.ev.offline", { reason: d.reason || "" });
      default: return ev.kind;
    }
  },
});
