// The bureau's dashboard: incidents of every station in scope with live deadline countdowns,
// alerts, sites, monthly statistics returns, one station's drill-down. No build step.
// The strings of each language, as translators edit them: i18n/<lang>.json beside this file.
const T = Object.fromEntries(await Promise.all(["zh-CN", "en"].map(async (l) =>
  [l, await (await fetch(`/hub/static/i18n/${l}.json`)).json()])));
let lang = localStorage.getItem("hub.lang") || "zh-CN";
let me = null;
let sort = "deadline";
const t = (k) => (T[lang] && T[lang][k]) || T.en[k] || k;
const $ = (s, el = document) => el.querySelector(s);
const view = $("#view");

function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (v !== null && v !== undefined) el.setAttribute(k, v);
  }
  for (const kid of kids.flat()) el.append(kid instanceof Node ? kid : String(kid ?? ""));
  return el;
}

async function api(path, opts = {}) {
  const headers = { "Content-Type": "application/json" };
  if (me) headers["X-CSRF-Token"] = me.csrf;
  const r = await fetch(path, { credentials: "same-origin", ...opts, headers });
  if (r.status === 401) { me = null; showLogin(); throw new Error("login"); }
  if (!r.ok) throw new Error(`${r.status}`);
  return r.json();
}

const fmt = (iso) => iso ? new Date(iso).toLocaleString(lang, { hour12: false }) : "—";

function countdown(dueIso, reportedIso) {
  if (reportedIso) return h("span", { class: "done" }, `${t("done")} ${fmt(reportedIso)}`);
  return h("span", { class: "countdown", "data-due": dueIso });
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll(".countdown[data-due]")) {
    const left = Math.round((Date.parse(el.dataset.due) - now) / 1000);
    const a = Math.abs(left);
    const mmss = `${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
    el.textContent = left >= 0 ? `${mmss}` : `${t("overdue")} +${mmss}`;
    el.classList.toggle("overdue", left < 0);
    el.closest("tr")?.classList.toggle("overdue", !!el.closest("tr").querySelector(".countdown.overdue"));
  }
}
setInterval(tick, 1000);

async function incidents(station) {
  const q = new URLSearchParams({ sort });
  if (station) q.set("station", station);
  const { items } = await api(`/api/hub/incidents?${q}`);
  const sortBtn = (key, label) => h("button", {
    "data-testid": `sort-${key}`, "aria-pressed": String(sort === key),
    on: { click: () => { sort = key; route(); } } }, t(label));
  const table = h("table", { "data-testid": "incidents" },
    h("tr", {}, h("th", {}, t("station")), h("th", {}, t("category")),
      h("th", {}, t("opened")), h("th", {}, t("phone")), h("th", {}, t("written")),
      h("th", {}, t("state")), h("th", {})),
    items.map((i) => h("tr", { "data-id": i.id, "data-station": i.station },
      h("td", {}, h("a", { href: `#/station/${i.station}` }, i.station)),
      h("td", {}, h("a", { href: `#/incident/${i.station}/${i.id}`, "data-testid": "incident-link" },
        t(i.category), i.people ? ` (${i.people})` : "")), h("td", {}, fmt(i.opened_at)),
      h("td", {}, countdown(i.phone_due, i.phone_reported_at)),
      h("td", {}, countdown(i.written_due, i.written_reported_at)),
      h("td", { "data-testid": "alert-state" }, i.alert_state || "—"),
      h("td", {}, i.alert_state === "active" ? h("button", { "data-testid": "ack",
        on: { click: async (e) => {
          await api(`/api/hub/alerts/${i.station}/${i.alert_id}/ack`, { method: "POST" });
          e.target.replaceWith(h("span", { class: "muted" }, t("sent")));
        } } }, t("ack")) : ""))));
  view.replaceChildren(h("p", {}, sortBtn("deadline", "sortDeadline"), " · ",
    sortBtn("opened", "sortOpened")), items.length ? table : h("p", { class: "muted" }, t("none")));
  tick();
}

async function alerts(station) {
  const { items } = await api(`/api/hub/alerts${station ? `?station=${station}` : ""}`);
  return h("table", { "data-testid": "alerts" },
    h("tr", {}, ["station", "rule", "severity", "subject", "state", "opened"].map((k) => h("th", {}, t(k)))),
    items.map((a) => h("tr", {}, h("td", {}, a.station), h("td", {}, a.rule),
      h("td", {}, a.severity), h("td", {}, a.subject || ""), h("td", {}, a.state),
      h("td", {}, fmt(a.first_at)))));
}

async function sites() {
  const { items } = await api("/api/hub/sites");
  view.replaceChildren(h("table", { "data-testid": "sites" },
    h("tr", {}, ["station", "nodes", "cameras", "lastData", "openInc"].map((k) => h("th", {}, t(k)))),
    items.map((s) => h("tr", {},
      h("td", {}, h("a", { href: `#/station/${s.station}` }, s.name || s.station),
        h("span", { class: "muted" }, ` · ${t(s.kind)}`)),
      h("td", {}, `${s.nodes_online ?? "—"}/${s.nodes_total ?? "—"}`),
      h("td", {}, `${s.cameras_ok ?? "—"}/${s.cameras_total ?? "—"}`),
      h("td", {}, fmt(s.last_data_at)), h("td", {}, s.open_incidents)))));
}

async function returns() {
  const month = new Date().toISOString().slice(0, 7);
  const input = h("input", { type: "month", value: month, "data-testid": "month" });
  const box = h("div");
  const load = async () => {
    const { items } = await api(`/api/hub/returns?month=${input.value}`);
    box.replaceChildren(
      h("p", {}, h("a", { href: `/api/hub/returns.csv?month=${input.value}` }, "CSV"), " · ",
        h("a", { href: `/api/hub/returns.xlsx?month=${input.value}` }, "XLSX")),
      h("table", { "data-testid": "returns" },
        h("tr", {}, ["station", "days", "checks", "alerts", "incidents", "late"].map((k) => h("th", {}, t(k)))),
        items.map((r) => h("tr", {}, h("td", {}, r.station), h("td", {}, r.days), h("td", {}, r.checks),
          h("td", {}, r.alerts), h("td", {}, r.incidents), h("td", {}, r.incidents_overdue)))));
  };
  input.addEventListener("change", load);
  view.replaceChildren(h("label", {}, t("month"), " ", input), box);
  await load();
}

async function station(id) {
  await incidents(id);
  const d = await api(`/api/hub/stations/${id}`);
  view.prepend(h("h2", {}, d.site.name || d.site.station,
    h("span", { class: "muted" }, ` · ${t("nodes")} ${d.site.nodes_online ?? "—"}/${d.site.nodes_total ?? "—"}`)));
  view.append(h("h3", {}, t("alerts")), await alerts(id));
}

async function incident(stationId, id) {
  const d = await api(`/api/hub/incidents/${stationId}/${id}`);
  const i = d.incident;
  const field = (k, v) => (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length))
    ? null : h("tr", {}, h("th", {}, t(k)), h("td", { "data-field": k }, Array.isArray(v) ? v.join("、") : v));
  const person = (p) => h("section", { class: "person", "data-testid": "missing-person", "data-person": p.person_id },
    p.portrait
      ? h("img", { class: "portrait", "data-testid": "portrait", alt: p.names.join(" / ") || p.person_id,
        src: `/api/hub/incidents/${stationId}/${id}/people/${encodeURIComponent(p.person_id)}/portrait` })
      : h("p", { class: "muted" }, t("noPortrait"), p.portrait_omitted ? ` (${p.portrait_omitted})` : ""),
    h("table", {}, [
      field("names", p.names), field("sex", p.sex && t(p.sex)), field("age", p.age), field("height", p.height_cm),
      field("build", p.build), field("hair", p.hair), field("accent", p.accent),
      field("clothing", p.clothing), field("marks", p.marks), field("conditions", p.conditions),
      field("flags", p.flags), field("lastSeen", p.last_seen_at && fmt(p.last_seen_at)),
      field("where", p.last_seen_where)].filter(Boolean)));
  view.replaceChildren(
    h("h2", { "data-testid": "incident-title" }, `${t(i.category)} · ${i.station}`),
    h("table", {},
      h("tr", {}, h("th", {}, t("opened")), h("td", {}, fmt(i.opened_at))),
      h("tr", {}, h("th", {}, t("phone")), h("td", {}, countdown(i.phone_due, i.phone_reported_at))),
      h("tr", {}, h("th", {}, t("written")), h("td", {}, countdown(i.written_due, i.written_reported_at))),
      d.summary ? h("tr", {}, h("th", {}, t("summary")), h("td", {}, d.summary)) : ""),
    d.people.length ? h("h3", {}, t("who")) : "",
    d.people.length ? h("p", { class: "muted", "data-testid": "privacy-note" }, t("privacyNote")) : "",
    ...d.people.map(person));
  tick();
}

async function route() {
  if (!me) return showLogin();
  const [, page, arg] = (location.hash || "#/incidents").split("/");
  if (page === "alerts") view.replaceChildren(await alerts());
  else if (page === "sites") await sites();
  else if (page === "returns") await returns();
  else if (page === "station" && arg) await station(arg);
  else if (page === "incident" && arg) await incident(arg, (location.hash.split("/")[3] || ""));
  else await incidents();
}

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("#lang").value = lang;
}

function showLogin() {
  $("#top").hidden = true;
  const err = h("p", { class: "err", "data-testid": "login-error" });
  const form = h("form", { class: "login", "data-testid": "login" },
    h("h1", {}, t("app")), h("input", { name: "username", placeholder: t("user"), autocomplete: "username" }),
    h("input", { name: "password", type: "password", placeholder: t("password"), autocomplete: "current-password" }),
    h("button", { type: "submit" }, t("login")), err);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/api/hub/login", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value }) });
    if (!r.ok) { err.textContent = t("badlogin"); return; }
    me = await r.json();
    start();
  });
  view.replaceChildren(form);
}

function start() {
  $("#top").hidden = false;
  $("#who").textContent = me.username;
  if (!localStorage.getItem("hub.lang")) lang = me.lang;
  translate();
  route();
}

$("#lang").addEventListener("change", (e) => {
  lang = e.target.value; localStorage.setItem("hub.lang", lang); translate(); route();
});
window.addEventListener("hashchange", route);
setInterval(() => { if (me && (location.hash || "#/incidents").startsWith("#/incidents")) route(); }, 15000);
translate();
fetch("/api/hub/me", { credentials: "same-origin" }).then(async (r) => {
  if (r.ok) { me = await r.json(); start(); } else showLogin();
});
