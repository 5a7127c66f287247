// StationKit dashboard shell: login, navigation by role, hash router, API helper (bearer token
// or session cookie + X-CSRF-Token), live updates (SSE over fetch), i18n, time formatting.
// Pages are ES modules in ./pages/<id>.js; see docs/dashboard.md for their interface.

import { createAlarm } from "./alarm.js";

export const PAGE_IDS = ["desk", "people", "family", "faces", "nodes", "cameras", "alerts", "reports", "audit", "users"];
const LANGS = ["zh-CN", "en"];
const STREAM_IDLE_MS = 45000; // the server sends a keep-alive every 15 s

const state = {
  token: null, // bearer mode
  csrf: null, // session mode
  user: null, // {name, role, kind, sites} from /api/v1/me
  lang: "zh-CN",
  tz: document.documentElement.dataset.tz || "Asia/Shanghai",
  dict: {},
  fallback: {},
  pages: [], // modules the user may see
  current: null, // {page, ctx, el, cleanups}
  listeners: new Map(), // topic -> Set(fn)
  stream: null,
};
if (!state.tz || state.tz.startsWith("__")) state.tz = "Asia/Shanghai";

// ---------------------------------------------------------------------------------------- DOM
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return el;
}
const $ = (sel) => document.querySelector(sel);

export function toast(message, kind = "info") {
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  $("#toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

// ---------------------------------------------------------------------------------------- API
export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

function authHeaders(method = "GET") {
  const headers = {};
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (state.csrf && !["GET", "HEAD", "OPTIONS"].includes(method)) headers["X-CSRF-Token"] = state.csrf;
  return headers;
}

function withQuery(path, query) {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    qs.append(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

export async function rawFetch(path, init = {}) {
  const method = (init.method || "GET").toUpperCase();
  const headers = { ...authHeaders(method), ...(init.headers || {}) };
  return fetch(path, { credentials: "same-origin", ...init, method, headers });
}

export async function api(path, opts = {}) {
  const { method = "GET", body, query, signal } = opts;
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const r = await rawFetch(withQuery(path, query), init);
  if (r.status === 401 && state.user) {
    expired();
    throw new ApiError(401, "login required");
  }
  if (!r.ok) {
    let detail = r.statusText;
    try {
      detail = (await r.json()).detail ?? detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(r.status, detail);
  }
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.text();
}

async function download(path, filename) {
  const r = await rawFetch(path);
  if (!r.ok) throw new ApiError(r.status, r.statusText);
  const url = URL.createObjectURL(await r.blob());
  const a = h("a", { href: url, download: filename || "" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---------------------------------------------------------------------------------------- i18n
async function loadJson(url) {
  try {
    const r = await fetch(url, { cache: "no-cache" });
    return r.ok ? await r.json() : {};
  } catch {
    return {};
  }
}

async function loadStrings(lang, pages) {
  const wanted = pages.filter((p) => p.i18n).map((p) => p.id);
  const load = async (l) => {
    const [common, ...parts] = await Promise.all([
      loadJson(`/static/i18n/${l}.json`),
      ...wanted.map((id) => loadJson(`/static/i18n/pages/${id}.${l}.json`)),
    ]);
    const dict = {};
    for (const part of parts) Object.assign(dict, part);
    return Object.assign(dict, common); // a page file never overrides a common key
  };
  const [dict, fallback] = await Promise.all([load(lang), lang === "en" ? null : load("en")]);
  state.dict = dict;
  state.fallback = fallback || dict;
}

export function t(key, vars) {
  let s = state.dict[key] ?? state.fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return s;
}

function applyShellStrings() {
  document.documentElement.lang = state.lang;
  document.title = `${t("app.name")} · ${state.current ? t(state.current.page.title_key) : ""}`;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  $("#lang").value = state.lang;
}

// ---------------------------------------------------------------------------------------- time
const fmtCache = new Map();
function formatter(style) {
  const key = `${state.lang}|${state.tz}|${style}`;
  if (!fmtCache.has(key)) {
    const opts = { timeZone: state.tz, hourCycle: "h23" };
    if (style === "time") Object.assign(opts, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    else if (style === "date") Object.assign(opts, { year: "numeric", month: "2-digit", day: "2-digit" });
    else
      Object.assign(opts, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
    fmtCache.set(key, new Intl.DateTimeFormat(state.lang, opts));
  }
  return fmtCache.get(key);
}

export function fmtTime(iso, style = "datetime") {
  if (!iso) return "—";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (style === "relative") {
    const s = Math.round((d.getTime() - Date.now()) / 1000);
    const rtf = new Intl.RelativeTimeFormat(state.lang, { numeric: "auto" });
    const a = Math.abs(s);
    if (a < 60) return rtf.format(s, "second");
    if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
    if (a < 86400) return rtf.format(Math.round(s / 3600), "hour");
    return rtf.format(Math.round(s / 86400), "day");
  }
  return formatter(style).format(d);
}

/** YYYY-MM-DD of a date in the site's time zone. */
export function siteDay(d = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: state.tz, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(d);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

// ---------------------------------------------------------------------------------------- live
function emit(topic, data, item) {
  for (const fn of state.listeners.get(topic) || []) {
    try {
      fn(data, item);
    } catch (err) {
      console.error("update listener failed", topic, err);
    }
  }
}

function onUpdate(topic, fn) {
  if (!state.listeners.has(topic)) state.listeners.set(topic, new Set());
  state.listeners.get(topic).add(fn);
  return () => state.listeners.get(topic)?.delete(fn);
}

function setLive(s) {
  const el = $("#live");
  el.dataset.state = s;
  el.querySelector(".txt").textContent = t(`live.${s}`);
}

class Stream {
  constructor() {
    this.ctrl = null;
    this.stopped = false;
    this.backoff = 1000;
    this.connected = false;
  }

  start() {
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    this.ctrl?.abort();
    setLive("closed");
  }

  async loop() {
    let first = true;
    while (!this.stopped) {
      setLive("connecting");
      try {
        await this.once(!first);
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError && err.status === 401) return expired();
      }
      first = false;
      if (this.stopped) return;
      setLive("connecting");
      await new Promise((r) => setTimeout(r, this.backoff));
      this.backoff = Math.min(this.backoff * 2, 10000);
    }
  }

  async once(reconnected) {
    this.ctrl = new AbortController();
    const r = await rawFetch("/api/v1/stream", {
      headers: { Accept: "text/event-stream" },
      signal: this.ctrl.signal,
    });
    if (!r.ok) throw new ApiError(r.status, r.statusText);
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    let idle = null;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => this.ctrl.abort(), STREAM_IDLE_MS);
    };
    arm();
    setLive("open");
    this.backoff = 1000;
    if (reconnected) emit("resync", { reason: "reconnected" }, null);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        buf += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          this.dispatch(block);
        }
      }
    } finally {
      clearTimeout(idle);
    }
  }

  dispatch(block) {
    let topic = "message";
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") topic = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = Number(value);
    }
    if (!data.length) return;
    let parsed;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    emit(topic, parsed, { seq: id, topic, data: parsed });
  }
}

// ---------------------------------------------------------------------------------------- auth
async function fetchMe() {
  const r = await rawFetch("/api/v1/me");
  return r.ok ? r.json() : null;
}

function expired() {
  if (!state.user) return;
  state.user = null;
  state.stream?.stop();
  state.alarm?.stop();
  unmountCurrent();
  toast(t("login.expired"), "error");
  showLogin();
}

function showLogin(message) {
  $("#top").hidden = true;
  const view = $("#view");
  const err = h("p", { class: "error", "data-testid": "login-error", role: "alert" }, message || "");
  const user = h("input", { name: "username", autocomplete: "username", required: true, "data-testid": "login-user" });
  const pass = h("input", {
    name: "password", type: "password", autocomplete: "current-password", required: true, "data-testid": "login-pass",
  });
  const tok = h("input", {
    name: "token", autocomplete: "off", spellcheck: "false", "data-testid": "login-token",
    onkeydown: (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        tokenLogin();
      }
    },
  });
  const form = h(
    "form",
    { class: "card login", "data-testid": "login-form" },
    h("h1", {}, t("app.name")),
    h("label", {}, t("login.username"), user),
    h("label", {}, t("login.password"), pass),
    h("button", { class: "btn primary big", type: "submit", "data-testid": "login-submit" }, t("login.submit")),
    err,
    h(
      "details",
      { class: "token-login" },
      h("summary", {}, t("login.use_token")),
      h("label", {}, t("login.token"), tok),
      h("button", { class: "btn", type: "button", "data-testid": "login-token-submit", onclick: () => tokenLogin() }, t("login.submit")),
    ),
    langPicker(),
  );
  async function tokenLogin() {
    const value = tok.value.trim();
    if (!value) return;
    state.token = value;
    state.csrf = null;
    const me = await fetchMe().catch(() => null);
    if (!me) {
      state.token = null;
      err.textContent = t("login.bad_token");
      return;
    }
    localStorage.setItem("sk_token", value);
    await enter(me);
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    let r;
    try {
      r = await fetch("/auth/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: user.value.trim(), password: pass.value }),
      });
    } catch {
      err.textContent = t("login.unreachable");
      return;
    }
    if (r.status === 401) err.textContent = t("login.bad_credentials");
    else if (r.status === 429) err.textContent = t("login.locked");
    else if (r.status === 404 || r.status === 405) err.textContent = t("login.no_password_login");
    else if (!r.ok) err.textContent = `${t("common.error")}: ${r.status}`;
    else {
      const body = await r.json();
      state.token = null;
      localStorage.removeItem("sk_token");
      state.csrf = body.csrf_token || null;
      const me = (await fetchMe().catch(() => null)) || { ...body, kind: "session" };
      await enter(me);
    }
  });
  view.replaceChildren(form);
  document.documentElement.lang = state.lang;
  user.focus();
}

function langPicker() {
  const sel = h(
    "select",
    { class: "lang-inline", "aria-label": "language", "data-testid": "login-lang", onchange: (e) => setLang(e.target.value) },
    LANGS.map((l) => h("option", { value: l, selected: l === state.lang }, l === "en" ? "English" : "中文")),
  );
  return sel;
}

async function logout() {
  state.stream?.stop();
  state.alarm?.stop();
  unmountCurrent();
  if (!state.token) {
    try {
      await rawFetch("/auth/logout", { method: "POST" });
    } catch {
      /* offline: the cookie expires on its own */
    }
  }
  state.token = null;
  state.csrf = null;
  state.user = null;
  localStorage.removeItem("sk_token");
  history.replaceState(null, "", "#/");
  showLogin();
}

// ---------------------------------------------------------------------------------------- pages
const modules = new Map();
async function loadModules() {
  await Promise.all(
    PAGE_IDS.map(async (id) => {
      try {
        const mod = await import(`./pages/${id}.js`);
        if (mod.default?.id) modules.set(id, mod.default);
      } catch (err) {
        console.warn(`page ${id} not loaded`, err);
      }
    }),
  );
}

function may(page) {
  const role = state.user?.role;
  return role === "admin" || (page.roles || []).includes(role);
}

function can(...roles) {
  const role = state.user?.role;
  return role === "admin" || roles.includes(role);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts.shift() || "", parts, query: new URLSearchParams(qs) };
}

// The bar holds the navigation while it fits (and the screen is wider than a phone); otherwise
// the navigation goes behind the ☰ menu, so no page is ever out of sight.
function fitNav() {
  const top = $("#top");
  const nav = $("#nav");
  top.classList.remove("compact");
  const compact = window.innerWidth <= 760 || nav.scrollWidth > nav.clientWidth + 1;
  top.classList.toggle("compact", compact);
  if (!compact) top.classList.remove("menu-open");
}
window.addEventListener("resize", () => { if (state.user) fitNav(); });

function renderNav() {
  const nav = $("#nav");
  nav.replaceChildren(
    ...state.pages.map((p) =>
      h("a", {
        href: `#/${p.id}`, "data-page": p.id, "data-testid": `nav-${p.id}`,
        class: state.current?.page === p ? "active" : "", "aria-current": state.current?.page === p ? "page" : null,
      }, t(p.title_key)),
    ),
  );
  $("#who").replaceChildren(
    h("span", { class: "name" }, state.user.name),
    h("span", { class: "pill" }, t(`role.${state.user.role}`)),
  );
  fitNav();
}

function unmountCurrent() {
  const cur = state.current;
  if (!cur) return;
  state.current = null;
  cur.abort.abort();
  for (const off of cur.cleanups) off();
  try {
    cur.page.unmount?.();
  } catch (err) {
    console.error("unmount failed", err);
  }
}

function makeCtx(page, route, abort, cleanups) {
  return {
    api: (path, opts = {}) => api(path, { signal: abort.signal, ...opts }),
    fetch: (path, init = {}) => rawFetch(path, { signal: abort.signal, ...init }),
    download,
    t,
    fmtTime,
    siteDay,
    tz: state.tz,
    lang: state.lang,
    onUpdate: (topic, fn) => {
      const off = onUpdate(topic, fn);
      cleanups.push(off);
      return off;
    },
    user: { ...state.user },
    can,
    navigate: (hash) => {
      location.hash = hash;
    },
    route,
    h,
    toast,
    signal: abort.signal,
  };
}

async function route(force = false) {
  if (!state.user) return;
  const r = parseHash();
  let page = state.pages.find((p) => p.id === r.page);
  if (!page) {
    if (r.page && modules.has(r.page)) toast(t("shell.forbidden"), "error");
    page = state.pages[0];
    if (!page) {
      $("#view").replaceChildren(h("p", { class: "empty" }, t("shell.no_pages")));
      return;
    }
    history.replaceState(null, "", `#/${page.id}`);
    r.page = page.id;
    r.parts = [];
  }
  const cur = state.current;
  if (!force && cur && cur.page === page) {
    cur.ctx.route = r;
    if (page.route) {
      await page.route(cur.ctx);
      return;
    }
  }
  unmountCurrent();
  const abort = new AbortController();
  const cleanups = [];
  const ctx = makeCtx(page, r, abort, cleanups);
  const el = h("section", { class: `page page-${page.id}`, "data-page": page.id });
  $("#view").replaceChildren(el);
  state.current = { page, ctx, el, abort, cleanups };
  renderNav();
  applyShellStrings();
  try {
    await page.mount(el, ctx);
    if (state.current?.el === el) el.dataset.ready = "1";
  } catch (err) {
    if (abort.signal.aborted) return;
    console.error(err);
    el.append(h("p", { class: "error", role: "alert" }, `${t("common.error")}: ${err.message || err}`));
    el.dataset.ready = "1";
  }
}

async function setLang(lang) {
  if (!LANGS.includes(lang)) lang = "zh-CN";
  state.lang = lang;
  localStorage.setItem("sk_lang", lang);
  fmtCache.clear();
  await loadStrings(lang, state.user ? state.pages : []);
  applyShellStrings();
  if (!state.user) state.langPicked = true;
  else if (state.user.kind === "session") saveLang(lang);
  if (state.user) {
    renderNav();
    state.alarm?.render();
    setLive($("#live").dataset.state);
    await route(true);
  } else showLogin();
}

function saveLang(lang) {
  api("/api/v1/me", { method: "PATCH", body: { lang } }).catch((err) => console.warn("language not saved", err));
}

async function enter(me) {
  state.user = { name: me.name, role: me.role, kind: me.kind || (state.token ? "token" : "session"), sites: me.sites || [] };
  if (me.csrf_token) state.csrf = me.csrf_token;
  // A dashboard user's language is kept on the server (PATCH /api/v1/me); a choice made on the
  // login screen wins and is saved, otherwise the saved one applies. Token users: this browser.
  if (state.user.kind === "session" && LANGS.includes(me.lang)) {
    if (state.langPicked && me.lang !== state.lang) saveLang(state.lang);
    else if (me.lang !== state.lang) {
      state.lang = me.lang;
      localStorage.setItem("sk_lang", me.lang);
    }
  }
  state.langPicked = false;
  state.pages = PAGE_IDS.map((id) => modules.get(id)).filter((p) => p && may(p));
  await loadStrings(state.lang, state.pages);
  $("#top").hidden = false;
  applyShellStrings();
  renderNav();
  state.stream?.stop();
  state.stream = new Stream();
  state.stream.start();
  // the alarm follows the user on every page (alarm.js): open critical alerts and incidents
  state.alarm?.stop();
  document.getElementById("alarm")?.remove();
  state.alarm = createAlarm({ api, onUpdate, t, h, can, fit: fitNav });
  $("#live").before(state.alarm.el);
  state.alarm.start();
  await route(true);
}

async function boot() {
  const saved = localStorage.getItem("sk_lang");
  state.lang = LANGS.includes(saved) ? saved : "zh-CN";
  const frag = new URLSearchParams(location.hash.slice(1));
  if (frag.get("token")) {
    localStorage.setItem("sk_token", frag.get("token"));
    history.replaceState(null, "", "#/");
  }
  state.token = localStorage.getItem("sk_token");
  $("#lang").addEventListener("change", (e) => setLang(e.target.value));
  $("#logout").addEventListener("click", logout);
  // narrow screens (phones): the navigation is a menu behind the ☰ button (style.css)
  const menu = $("#menu");
  const closeMenu = () => { $("#top").classList.remove("menu-open"); menu.setAttribute("aria-expanded", "false"); };
  menu.addEventListener("click", (e) => {
    e.stopPropagation();
    const open = $("#top").classList.toggle("menu-open");
    menu.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) $("#nav a")?.focus();
  });
  $("#nav").addEventListener("click", (e) => { if (e.target.closest("a")) closeMenu(); });
  document.addEventListener("click", (e) => { if (!e.target.closest("#nav, #menu")) closeMenu(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && $("#top").classList.contains("menu-open")) { closeMenu(); menu.focus(); } });
  window.addEventListener("hashchange", () => route());
  await loadModules();
  await loadStrings(state.lang, []);
  let me = null;
  try {
    me = await fetchMe();
  } catch {
    me = null;
  }
  if (!me && state.token) {
    state.token = null;
    localStorage.removeItem("sk_token");
    return showLogin(t("login.bad_token"));
  }
  if (!me) return showLogin();
  await enter(me);
}

boot();
