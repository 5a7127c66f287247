// Family search and follow-up (supervisors, desk; the bureau reads): family-search cases with
// their deadlines as live countdowns (24 h notice, 7 working days DNA request, monthly
// refresh), recording a step, follow-up visits due, and the wander-risk register.
// `incidentPeople(ctx, incident)` is also used by the alerts page: who a missing-person incident
// is about, with portrait, description, risk flags and the missing-person notice PDFs.

import { pageCss } from "./css.js";
import { ALL_ROLES, keepingFocus, page } from "./page.js";
import { countdownText } from "../time.js";

const FALLBACK = {
  "family.people": ["涉及人员", "People concerned"],
  "family.role.named": ["已确认", "named"],
  "family.role.possible": ["可能（易走失人员）", "possibly (wander-risk resident)"],
  "family.notice": ["寻人启事", "Missing-person notice"],
  "family.unknown": ["身份不明", "identity unknown"],
};

function tr(ctx, key, vars) {
  const s = ctx.t(key, vars);
  if (s !== key) return s;
  const f = FALLBACK[key];
  return f ? f[ctx.lang === "en" ? 1 : 0] : key;
}

const loadCss = () => pageCss("family");

const DESC = ["sex", "age", "height_cm", "build", "hair", "accent", "clothing", "marks"];

// The people of a missing-person incident, for the alerts page.
export function incidentPeople(ctx, inc) {
  loadCss();
  const { h } = ctx;
  const people = inc.people || [];
  const canName = ctx.can("desk", "supervisor") && !inc.closed_at;
  if (inc.category !== "missing_person" || (!people.length && !canName)) return null;
  const box = h("div", { class: "fam-people", dataset: { testid: "incident-people" } }, h("strong", null, tr(ctx, "family.people")));
  if (canName) box.append(nameForm(ctx, inc));
  if (ctx.can("desk", "supervisor")) box.append(missingRecord(ctx, inc));
  for (const p of people) {
    const img = h("img", { class: "fam-portrait", alt: "", dataset: { testid: "portrait" } });
    if (p.portrait_id) {
      ctx.fetch(`/api/v1/incidents/${encodeURIComponent(inc.id)}/people/${encodeURIComponent(p.id)}/portrait`)
        .then(async (r) => { if (r.ok) { img.src = URL.createObjectURL(await r.blob()); img.dataset.loaded = "1"; } })
        .catch(() => img.classList.add("broken"));
    } else img.classList.add("none");
    const names = (p.names || []).join(" / ") || tr(ctx, "family.unknown");
    const label = (k) => (ctx.t(`family.f.${k}`) === `family.f.${k}` ? k : ctx.t(`family.f.${k}`));
    const value = (k) => (k === "sex" && ctx.t(`family.sex.${p[k]}`) !== `family.sex.${p[k]}` ? ctx.t(`family.sex.${p[k]}`) : p[k]);
    const facts = DESC.filter((k) => p[k]).map((k) => h("span", { class: "fam-fact", dataset: { field: k } }, `${label(k)}: ${value(k)}`));
    const notice = ["zh", "en"].map((lang) => h("button", {
      class: "btn small", dataset: { testid: `notice-${lang}` },
      onclick: () => ctx.download(`/api/v1/incidents/${encodeURIComponent(inc.id)}/people/${encodeURIComponent(p.id)}/notice?lang=${lang}`, `notice-${p.id}-${lang}.pdf`)
        .catch((e) => ctx.toast(e.message, "error")),
    }, `${tr(ctx, "family.notice")} ${lang === "zh" ? "中文" : "EN"}`));
    box.append(h("div", { class: "fam-person", dataset: { testid: "incident-person", id: p.id, role: p.role } },
      img,
      h("div", null,
        h("div", null, h("strong", { dataset: { testid: "person-name" } }, names), " ",
          h("span", { class: `badge ${p.role === "named" ? "warn" : "muted"}` }, tr(ctx, `family.role.${p.role}`))),
        h("div", { class: "small" }, ...facts),
        (p.flags || []).length ? h("div", { class: "small fam-flags" }, (p.flags || []).map((f) => ctx.t(`family.reason.${f}`)).join(" · ")) : null,
        ctx.can("desk", "supervisor") ? h("div", { class: "toolbar" }, ...notice) : null)));
  }
  return box;
}

// The written report's inputs: the staff's narrative (until the written report is recorded) and
// the actions taken with their times.
// The alerts page re-renders an incident on every update: what is open and typed survives it.
const OPEN_RECORDS = new Set();
const DRAFTS = new Map(); // incident id -> {narrative, where, note}

function missingRecord(ctx, inc) {
  const { h, t } = ctx;
  const draft = DRAFTS.get(inc.id) || {};
  DRAFTS.set(inc.id, draft);
  const box = h("details", { class: "fam-record", open: OPEN_RECORDS.has(inc.id), dataset: { testid: "missing-record" } }, h("summary", null, t("family.record_title")));
  box.addEventListener("toggle", () => (box.open ? OPEN_RECORDS.add(inc.id) : OPEN_RECORDS.delete(inc.id)));
  const narrative = h("textarea", { rows: "3", maxlength: "8000", placeholder: t("family.narrative_ph"), "aria-label": t("family.narrative_ph"), dataset: { testid: "narrative" }, oninput: () => { draft.narrative = narrative.value; } });
  const where = h("input", { type: "text", maxlength: "300", placeholder: t("family.last_seen_where"), "aria-label": t("family.last_seen_where"), dataset: { testid: "last-seen-where" }, oninput: () => { draft.where = where.value; } });
  const list = h("ol", { class: "small", dataset: { testid: "actions" } });
  const kind = h("select", { dataset: { testid: "action-kind" } },
    ...["search", "police_called", "family_informed", "hospitals_checked", "found", "other"].map((k) => h("option", { value: k }, t(`family.action.${k}`))));
  if (draft.kind) kind.value = draft.kind;
  kind.addEventListener("change", () => { draft.kind = kind.value; });
  const note = h("input", { type: "text", maxlength: "2000", placeholder: t("family.action_note"), "aria-label": t("family.action_note"), dataset: { testid: "action-note" }, oninput: () => { draft.note = note.value; } });
  if (draft.note) note.value = draft.note;
  const url = `/api/v1/incidents/${encodeURIComponent(inc.id)}`;
  const show = (rec) => {
    if (document.activeElement !== narrative) narrative.value = draft.narrative ?? rec.narrative ?? "";
    if (document.activeElement !== where) where.value = draft.where ?? rec.last_seen_where ?? "";
    narrative.disabled = where.disabled = rec.written_reported;
    list.replaceChildren(...rec.actions.map((a) => h("li", { dataset: { kind: a.kind } }, `${ctx.fmtTime(a.at)} ${t(`family.action.${a.kind}`)} ${a.note || ""} (${a.by})`)));
  };
  const act = async (path, method, body) => {
    try {
      const rec = await ctx.api(`${url}/${path}`, { method, body });
      if (path === "missing") delete draft.narrative, delete draft.where;
      else delete draft.note, delete draft.kind;
      show(rec);
      ctx.toast(t("family.recorded"), "ok");
    } catch (e) {
      ctx.toast(`${t("family.failed")}: ${e.detail || e.message}`, "error");
    }
  };
  box.append(
    narrative, where,
    h("button", { class: "btn small", dataset: { testid: "narrative-save" }, onclick: () => narrative.value.trim() && act("missing", "PUT", { narrative: narrative.value.trim(), last_seen_where: where.value.trim() || null }) }, t("family.save")),
    list,
    h("div", { class: "toolbar" }, kind, note,
      h("button", { class: "btn small", dataset: { testid: "action-add" }, onclick: () => act("actions", "POST", { kind: kind.value, note: note.value.trim() || null }) }, t("family.add_action"))));
  ctx.api(`${url}/missing`).then(show).catch(() => {});
  return box;
}

// Staff name who is missing: a file id, or a name/alias searched among the files.
function nameForm(ctx, inc) {
  const { h } = ctx;
  const input = h("input", { type: "text", maxlength: "100", placeholder: ctx.t("family.name_ph"), dataset: { testid: "name-input" } });
  const btn = h("button", { class: "btn small", dataset: { testid: "name-people" }, onclick: async () => {
    const words = input.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
    if (!words.length) { input.focus(); return; }
    try {
      const ids = [];
      for (const w of words) {
        if (/^[0-9A-Z]{26}$/.test(w)) { ids.push(w); continue; }
        const found = await ctx.api("/api/v1/people", { query: { q: w, limit: 5 } });
        if (found.items.length !== 1) throw new Error(`${w}: ${found.items.length}`);
        ids.push(found.items[0].id);
      }
      await ctx.api(`/api/v1/incidents/${encodeURIComponent(inc.id)}/people`, { method: "PUT", body: { person_ids: ids } });
      ctx.toast(ctx.t("family.named"), "ok");
    } catch (e) {
      ctx.toast(`${ctx.t("family.failed")}: ${e.detail || e.message}`, "error");
    }
  } }, ctx.t("family.name_people"));
  return h("div", { class: "toolbar" }, input, btn);
}

export default page({
  id: "family",
  roles: ALL_ROLES,

  async mount(el, ctx) {
    const { h, t } = ctx;
    this.el = el;
    this.drafts = {}; // "case:<id>" / "visit:<person>" → what is being typed (cases redraw on updates)
    this.canWork = ctx.can("desk", "supervisor");
    this.cases = h("div", { class: "fam-cases", dataset: { testid: "cases" } });
    this.visits = h("div", { class: "fam-visits", dataset: { testid: "visits" } });
    this.register = h("div", { class: "fam-register", dataset: { testid: "register" } });
    el.append(
      h("section", { class: "card" }, h("h2", null, t("family.cases")), h("p", { class: "muted small" }, t("family.cases_note")), this.cases),
      h("section", { class: "card" }, h("h2", null, t("family.visits")), this.visits),
      h("section", { class: "card" }, h("h2", null, t("family.register")), this.register),
    );
    ctx.onUpdate("alert", (a) => { if (/^(family_search|visit)_/.test(a.rule || "")) this.load(); });
    this.timer = setInterval(() => this.tick(), 1000);
    await this.load();
  },

  unmount() {
    clearInterval(this.timer);
  },

  async load() {
    const { ctx } = this;
    try {
      const [cases, visits, reg] = await Promise.all([
        ctx.api("/api/v1/family-search"), ctx.api("/api/v1/visits"), ctx.api("/api/v1/wander-register")]);
      keepingFocus(this.el, () => {
        this.renderCases(cases);
        this.renderVisits(visits);
        this.renderRegister(reg);
      });
    } catch (e) {
      this.cases.textContent = `${ctx.t("family.failed")}: ${e.detail || e.message}`;
    }
    this.tick();
  },

  countdown(step) {
    const { h, t } = this.ctx;
    return h("span", {
      class: `fam-step st-${step.state}`,
      dataset: { testid: "step", step: step.name, state: step.state, due: step.due, done: step.done_at ? "1" : "" },
      title: step.exact ? "" : t("family.estimated"),
    }, h("span", null, t(`family.step.${step.name.split("-")[0]}`), step.name.includes("-") ? ` ${step.name.split("-")[1]}` : ""), " ",
    h("span", { class: "fam-clock" }), step.exact ? null : " *");
  },

  renderCases(cases) {
    const { h, t, fmtTime } = this.ctx;
    this.cases.replaceChildren();
    if (!cases.length) {
      this.cases.append(h("div", { class: "empty" }, t("family.no_cases")));
      return;
    }
    for (const c of cases) {
      const form = this.canWork ? this.stepForm(c) : null;
      this.cases.append(h("div", { class: "fam-case", dataset: { testid: "case", id: c.id, overdue: c.overdue.length ? "1" : "" } },
        h("div", null,
          h("strong", null, (c.person_names || []).join(" / ") || t("family.unknown")), " ",
          h("span", { class: "muted small" }, `${c.site} · ${t("family.entered")} ${fmtTime(c.entered_at)} · ${c.person_id}`)),
        h("div", { class: "fam-steps" }, ...c.steps.map((s) => this.countdown(s))),
        form));
    }
  },

  stepForm(c) {
    const { h, t } = this.ctx;
    const step = h("select", { dataset: { testid: "step-kind" } },
      ...["notice", "dna_request", "refresh"].map((s) => h("option", { value: s }, t(`family.step.${s}`))));
    const key = `case:${c.id}`;
    const d = (this.drafts[key] ||= {});
    if (d.step) step.value = d.step;
    const channel = h("input", { type: "text", maxlength: "120", placeholder: t("family.channel"), "aria-label": t("family.channel"), value: d.channel || "", dataset: { testid: "step-channel" } });
    const ref = h("input", { type: "text", maxlength: "300", placeholder: t("family.reference"), "aria-label": t("family.reference"), value: d.ref || "", dataset: { testid: "step-ref" } });
    step.addEventListener("change", () => { d.step = step.value; });
    channel.addEventListener("input", () => { d.channel = channel.value; });
    ref.addEventListener("input", () => { d.ref = ref.value; });
    const btn = h("button", { class: "btn primary small", dataset: { testid: "step-record" }, onclick: async () => {
      if (!channel.value.trim()) { channel.focus(); return; }
      await this.record(key, `/api/v1/family-search/${encodeURIComponent(c.id)}/steps`, { step: step.value, channel: channel.value.trim(), reference: ref.value.trim() || null });
    } }, t("family.record"));
    return h("div", { class: "toolbar" }, step, channel, ref, btn);
  },

  // POST a step or a visit; once recorded its draft goes and the page shows the new state
  async record(draftKey, path, body) {
    const { t } = this.ctx;
    try {
      await this.ctx.api(path, { method: "POST", body });
      delete this.drafts[draftKey];
      this.ctx.toast(t("family.recorded"), "ok");
      await this.load();
    } catch (e) {
      this.ctx.toast(`${t("family.failed")}: ${e.detail || e.message}`, "error");
    }
  },

  renderVisits(visits) {
    const { h, t, fmtTime } = this.ctx;
    // one row per person: the first open visit (the one a record meets)
    const byPerson = new Map();
    for (const v of visits) if (!byPerson.has(v.person_id)) byPerson.set(v.person_id, v);
    const first = [...byPerson.values()];
    this.visits.replaceChildren(first.length
      ? h("table", { class: "grid" }, h("tr", null, ...["person", "site", "returned", "visit", "record"].map((k) => h("th", null, t(`family.col.${k}`)))),
        ...first.map((v) => h("tr", { dataset: { testid: "visit", person: v.person_id, step: v.step } },
          h("td", null, (v.names || []).join(" / ") || v.person_id), h("td", null, v.site), h("td", null, fmtTime(v.returned_at)),
          h("td", null, this.countdown({ name: v.step, due: v.due, state: v.state, done_at: v.visit ? v.visit.recorded_at : null, exact: true })),
          h("td", null, this.canWork ? this.visitForm(v) : null))))
      : h("div", { class: "empty" }, t("family.no_visits")));
  },

  visitForm(v) {
    const { h, t } = this.ctx;
    const key = `visit:${v.person_id}`;
    const d = (this.drafts[key] ||= {});
    const day = h("input", { type: "date", value: d.day || (this.ctx.siteDay ? this.ctx.siteDay() : new Date().toISOString().slice(0, 10)), dataset: { testid: "visit-date" } });
    const method = h("select", { dataset: { testid: "visit-method" } },
      ...["home", "phone", "video", "community", "other"].map((m) => h("option", { value: m }, t(`family.method.${m}`))));
    const risk = h("select", { dataset: { testid: "visit-risk" } },
      ...["low", "medium", "high"].map((r) => h("option", { value: r }, t(`family.risk.${r}`))));
    const outcome = h("input", { type: "text", maxlength: "2000", placeholder: t("family.outcome"), "aria-label": t("family.outcome"), value: d.outcome || "", dataset: { testid: "visit-outcome" } });
    if (d.method) method.value = d.method;
    if (d.risk) risk.value = d.risk;
    day.addEventListener("input", () => { d.day = day.value; });
    method.addEventListener("change", () => { d.method = method.value; });
    risk.addEventListener("change", () => { d.risk = risk.value; });
    outcome.addEventListener("input", () => { d.outcome = outcome.value; });
    const btn = h("button", { class: "btn primary small", dataset: { testid: "visit-record" }, onclick: async () => {
      if (!outcome.value.trim()) { outcome.focus(); return; }
      await this.record(key, `/api/v1/people/${encodeURIComponent(v.person_id)}/visits`, { visited_on: day.value, method: method.value, outcome: outcome.value.trim(), risk: risk.value });
    } }, t("family.record"));
    return h("div", { class: "toolbar" }, day, method, risk, outcome, btn);
  },

  renderRegister(reg) {
    const { h, t, fmtTime } = this.ctx;
    this.register.replaceChildren(reg.length
      ? h("table", { class: "grid" }, h("tr", null, ...["person", "site", "status", "reasons", "why", "flagged"].map((k) => h("th", null, t(`family.col.${k}`)))),
        ...reg.map((r) => h("tr", { dataset: { testid: "flagged", person: r.person_id } },
          h("td", null, (r.names || []).join(" / ") || r.person_id), h("td", null, r.foster_home || r.site), h("td", { dataset: { status: r.status } }, t(`family.status.${r.status}`)),
          h("td", null, r.reasons.map((x) => t(`family.reason.${x}`)).join(" · ")), h("td", null, r.why),
          h("td", null, `${r.flagged_by} ${fmtTime(r.flagged_at)}`))))
      : h("div", { class: "empty" }, t("family.no_flags")));
  },

  tick() {
    const now = Date.now();
    for (const el of this.el?.querySelectorAll(".fam-step") || []) {
      const c = el.querySelector(".fam-clock");
      if (el.dataset.done) { c.textContent = "✓"; continue; }
      const left = Date.parse(el.dataset.due) - now;
      el.classList.toggle("overdue", left < 0);
      c.textContent = countdownText(this.ctx.t, "family", left, true);
    }
  },
});
