// Alerts and incidents: the inbox of open alerts by severity (ack / resolve / comment / assign for
// desk, supervisor and admin; read-only for the bureau), live through the "alert" SSE topic; and
// the incidents with their bureau deadlines (phone report within 30 min, written within 60 min)
// counting down every second, red when overdue, with report recording and report downloads.

import { ALL_ROLES, keepingFocus, page } from "./page.js";
import { countdownText, isoToWall, wallToIso } from "../time.js";
import { incidentPeople } from "./family.js";

const SEVERITIES = ["critical", "major", "minor", "warning", "info"];
const SEV_RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]));
const OPEN = new Set(["active", "acknowledged"]);

export default page({
  id: "alerts",
  roles: ALL_ROLES,

  async mount(el, ctx) {
    const { h, t } = ctx;
    this.alerts = new Map();
    this.incidents = new Map();
    this.open = null; // alert id whose detail is shown
    this.drafts = {}; // alert id → {comment, assignee} being typed (the detail redraws on updates)
    this.canAct = ctx.can("desk", "supervisor");
    this.canIncidents = ctx.can("supervisor", "bureau");
    this.canReport = ctx.can("supervisor");
    this.canFile = ctx.can("desk", "supervisor"); // staff reports: missing person, injury, …
    this.el = el;
    this.stateSel = h("select", { dataset: { testid: "state-filter" }, "aria-label": t("alerts.filter_state"), onchange: () => this.loadAlerts() },
      ...["open", "active", "acknowledged", "closed", "all"].map((s) => h("option", { value: s }, t(`alerts.filter.${s}`))));
    this.sevSel = h("select", { dataset: { testid: "severity-filter" }, "aria-label": t("alerts.filter_severity"), onchange: () => this.loadAlerts() },
      h("option", { value: "" }, t("alerts.all_severities")),
      ...SEVERITIES.map((s) => h("option", { value: s }, t(`alerts.sev.${s}`))));
    this.siteIn = h("input", { type: "text", placeholder: t("alerts.site"), "aria-label": t("alerts.site"), size: "10", onchange: () => this.reloadAll() });
    this.counts = h("div", { class: "al-counts", dataset: { testid: "severity-counts" } });
    this.list = h("div", { class: "al-list", dataset: { testid: "alert-list" } });
    this.incList = h("div", { class: "inc-list", dataset: { testid: "incident-list" } });
    el.append(
      h("div", { class: "toolbar" },
        this.stateSel, this.sevSel, this.siteIn,
        h("button", { class: "btn", onclick: () => this.reloadAll() }, t("common.refresh")),
        this.canFile
          ? h("button", { class: "btn danger", dataset: { testid: "report-open" }, onclick: () => this.openReport() }, t("alerts.report.open"))
          : null,
        this.counts),
      h("div", { class: this.canIncidents ? "grid2 al-grid" : "" },
        h("section", { class: "card" }, h("h2", null, t("alerts.alerts")), this.list),
        this.canIncidents
          ? h("section", { class: "card" },
            h("h2", null, t("alerts.incidents")),
            h("p", { class: "muted small" }, t("alerts.deadline_note")),
            this.incList)
          : null),
    );
    ctx.onUpdate("alert", (a) => this.upsertAlert(a));
    ctx.onUpdate("incident", (i) => this.upsertIncident(i));
    ctx.onUpdate("resync", () => this.reloadAll());
    // tick just after each whole second, so the displayed seconds never skip or stall
    const loop = () => {
      this.tick();
      this.timer = setTimeout(loop, 1020 - (Date.now() % 1000));
    };
    this.timer = setTimeout(loop, 1020 - (Date.now() % 1000));
    await this.reloadAll();
    if (ctx.route?.parts?.[0]) this.toggle(ctx.route.parts[0], true);
  },

  unmount() {
    clearTimeout(this.timer);
  },

  route(ctx) {
    if (ctx.route?.parts?.[0]) this.toggle(ctx.route.parts[0], true);
  },

  async reloadAll() {
    await Promise.all([this.loadAlerts(), this.canIncidents ? this.loadIncidents() : null]);
  },

  async loadAlerts() {
    try {
      const page = await this.ctx.api("/api/v1/alerts", {
        query: { state: this.stateSel.value, severity: this.sevSel.value, site: this.siteIn.value.trim(), limit: 500 },
      });
      this.alerts = new Map(page.items.map((a) => [a.id, a]));
    } catch (e) {
      this.list.replaceChildren(this.ctx.h("div", { class: "empty" }, e.message || String(e)));
      return;
    }
    this.renderAlerts();
  },

  async loadIncidents() {
    try {
      const [open, closed] = await Promise.all([
        this.ctx.api("/api/v1/incidents", { query: { open: "true", site: this.siteIn.value.trim() } }),
        this.ctx.api("/api/v1/incidents", { query: { open: "false", site: this.siteIn.value.trim() } }),
      ]);
      this.incidents = new Map([...open.items, ...closed.items.slice(0, 20)].map((i) => [i.id, i]));
    } catch (e) {
      this.incList.replaceChildren(this.ctx.h("div", { class: "empty" }, e.message || String(e)));
      return;
    }
    this.renderIncidents();
  },

  matches(a) {
    const st = this.stateSel.value;
    if (st === "open" && !OPEN.has(a.state)) return false;
    if (st === "closed" && OPEN.has(a.state)) return false;
    if ((st === "active" || st === "acknowledged") && a.state !== st) return false;
    if (this.sevSel.value && a.severity !== this.sevSel.value) return false;
    const site = this.siteIn.value.trim();
    return !site || a.site === site;
  },

  upsertAlert(a) {
    if (this.matches(a)) this.alerts.set(a.id, a);
    else this.alerts.delete(a.id);
    this.renderAlerts();
    if (this.open === a.id) this.loadDetail(a.id);
  },

  upsertIncident(i) {
    if (!this.canIncidents) return;
    const site = this.siteIn.value.trim();
    if (site && i.site !== site) return;
    this.incidents.set(i.id, i);
    this.renderIncidents();
  },

  renderAlerts() {
    keepingFocus(this.detailEl, () => this.drawAlerts());
  },

  drawAlerts() {
    const { h, t, fmtTime } = this.ctx;
    const items = [...this.alerts.values()].sort(
      (x, y) => (SEV_RANK[x.severity] ?? 9) - (SEV_RANK[y.severity] ?? 9) || (y.last_at || "").localeCompare(x.last_at || ""));
    const counts = {};
    for (const a of items) counts[a.severity] = (counts[a.severity] || 0) + 1;
    this.counts.replaceChildren(...SEVERITIES.filter((s) => counts[s]).map((s) =>
      h("span", { class: `pill sev-${s}`, dataset: { severity: s } }, `${t(`alerts.sev.${s}`)} ${counts[s]}`)));
    const keepDetail = this.open && this.detailEl;
    this.list.replaceChildren();
    if (!items.length) {
      this.list.append(h("div", { class: "empty", dataset: { testid: "no-alerts" } }, t("alerts.none")));
      return;
    }
    for (const a of items) {
      // the bureau acknowledges incident alerts (they reach it with their deadlines)
      const canAck = this.canAct || (this.ctx.can("bureau") && Boolean(a.incident_id));
      const actions = (this.canAct || canAck) && OPEN.has(a.state)
        ? h("div", { class: "al-actions" },
          a.state === "active" && canAck ? h("button", { class: "btn primary", dataset: { testid: "ack" }, onclick: (e) => { e.stopPropagation(); this.act(a, "ack"); } }, t("alerts.ack")) : null,
          this.canAct ? h("button", { class: "btn ok", dataset: { testid: "resolve" }, onclick: (e) => { e.stopPropagation(); this.act(a, "resolve"); } }, t("alerts.resolve")) : null)
        : null;
      const row = h("div", {
        class: `al-row sev-${a.severity} st-${a.state}${this.open === a.id ? " open" : ""}`,
        dataset: { testid: "alert", id: a.id, state: a.state, severity: a.severity, ...(a.incident_id ? { incident: a.incident_id } : {}) },
      },
      h("div", { class: "al-main", onclick: () => this.toggle(a.id) },
        h("span", { class: `badge sev sev-${a.severity}` }, t(`alerts.sev.${a.severity}`)),
        h("div", { class: "al-text" },
          h("div", { class: "al-subject" }, this.ruleLabel(a.rule), a.subject ? ` · ${a.subject}` : ""),
          this.reportText(a.report),
          h("div", { class: "muted small" },
            `${a.site}${a.node ? ` / ${a.node}` : ""}${a.device ? ` / ${a.device}` : ""} · ${fmtTime(a.first_at)}`,
            a.count > 1 ? ` · ×${a.count}` : "",
            a.assignee ? ` · ${t("alerts.assignee")}: ${a.assignee}` : "",
            a.incident_id ? ` · ${t("alerts.has_incident")}` : "")),
        h("span", { class: "badge st", dataset: { testid: "alert-state" } }, t(`alerts.state.${a.state}`)),
        actions));
      this.list.append(row);
      if (keepDetail && this.open === a.id) row.append(this.detailEl);
    }
  },

  // What the staff member typed: the description, where, who it concerns, when it happened.
  reportText(r) {
    if (!r) return null;
    const { h, t, fmtTime } = this.ctx;
    const facts = [
      r.location ? `${t("alerts.report.where")}: ${r.location}` : null,
      r.person ? `${t("alerts.report.who")}: ${r.person}` : null,
      r.happened_at ? `${t("alerts.report.when")}: ${fmtTime(r.happened_at)}` : null,
      r.reporter ? `${t("alerts.report.by")}: ${r.reporter}` : null,
    ].filter(Boolean);
    return h("div", { class: "al-report", dataset: { testid: "staff-report" } },
      h("div", { class: "al-report-text" }, r.description || ""),
      facts.length ? h("div", { class: "muted small" }, facts.join(" · ")) : null);
  },

  ruleLabel(rule) {
    const label = this.ctx.t(`alerts.rule.${rule}`);
    return label === `alerts.rule.${rule}` ? rule : label;
  },

  async toggle(id, force) {
    if (this.open === id && !force) {
      this.open = null;
      this.detailEl = null;
      this.renderAlerts();
      return;
    }
    this.open = id;
    this.detailEl = this.ctx.h("div", { class: "al-detail", dataset: { testid: "alert-detail" } }, this.ctx.t("common.loading"));
    this.renderAlerts();
    await this.loadDetail(id);
  },

  async loadDetail(id) {
    const { h, t, fmtTime } = this.ctx;
    let a;
    try {
      a = await this.ctx.api(`/api/v1/alerts/${encodeURIComponent(id)}`);
    } catch (e) {
      if (this.detailEl) this.detailEl.textContent = e.message || String(e);
      return;
    }
    if (this.open !== id || !this.detailEl) return;
    const hist = h("ol", { class: "al-history", dataset: { testid: "history" } },
      ...(a.history || []).map((x) => h("li", null,
        h("span", { class: "muted" }, fmtTime(x.at)), " ", h("strong", null, x.actor), " ",
        t(`alerts.action.${x.action}`) === `alerts.action.${x.action}` ? x.action : t(`alerts.action.${x.action}`),
        x.detail ? `: ${x.detail}` : "")));
    const parts = [h("h4", null, t("alerts.history")), hist];
    if (this.canAct && OPEN.has(a.state)) {
      const draft = (this.drafts[id] ||= {});
      const comment = h("input", { type: "text", maxlength: "500", placeholder: t("alerts.comment_ph"), "aria-label": t("alerts.comment_ph"), value: draft.comment || "", dataset: { testid: "comment-text" } });
      const assignee = h("input", { type: "text", maxlength: "100", placeholder: t("alerts.assignee_ph"), "aria-label": t("alerts.assignee_ph"), value: draft.assignee ?? (a.assignee || ""), dataset: { testid: "assignee" } });
      comment.addEventListener("input", () => { draft.comment = comment.value; });
      assignee.addEventListener("input", () => { draft.assignee = assignee.value; });
      parts.push(
        h("div", { class: "toolbar" }, comment,
          h("button", { class: "btn", dataset: { testid: "comment" }, onclick: () => comment.value.trim() && this.act(a, "comment", { text: comment.value.trim() }) }, t("alerts.comment"))),
        h("div", { class: "toolbar" }, assignee,
          h("button", { class: "btn", dataset: { testid: "assign" }, onclick: () => assignee.value.trim() && this.act(a, "assign", { assignee: assignee.value.trim() }) }, t("alerts.assign"))));
    }
    if (this.ctx.can("supervisor", "bureau")) {
      const deliveries = h("div", { class: "al-deliveries" });
      parts.push(h("h4", null, t("alerts.deliveries")), deliveries);
      this.ctx.api(`/api/v1/alerts/${encodeURIComponent(id)}/deliveries`).then((d) => {
        deliveries.replaceChildren(d.items.length
          ? h("table", { class: "grid" }, h("tr", null, ...["channel", "target", "event", "attempt", "at", "ok"].map((k) => h("th", null, t(`alerts.dl.${k}`)))),
            ...d.items.map((x) => h("tr", null, h("td", null, x.channel), h("td", null, x.target), h("td", null, x.event), h("td", null, String(x.attempt)),
              h("td", null, fmtTime(x.at)), h("td", null, x.ok ? "✓" : `✗ ${x.error || ""}`))))
          : h("span", { class: "muted" }, t("alerts.no_deliveries")));
      }).catch((e) => deliveries.replaceChildren(h("span", { class: "muted" }, `${t("alerts.deliveries_unavailable")} (${e.status || e.message})`)));
    }
    // an update of this alert keeps what the user is typing (drafts) and the focus
    keepingFocus(this.detailEl, () => this.detailEl.replaceChildren(...parts));
  },

  async act(a, action, body) {
    try {
      const updated = await this.ctx.api(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`, { method: "POST", body: body || {} });
      this.ctx.toast(this.ctx.t(`alerts.done.${action}`), "ok");
      if (action === "comment") delete this.drafts[a.id]?.comment;
      if (action === "assign") delete this.drafts[a.id]?.assignee;
      if (updated && updated.id) this.upsertAlert(updated);
      if (this.open === a.id) this.loadDetail(a.id);
    } catch (e) {
      this.ctx.toast(`${this.ctx.t("alerts.failed")}: ${e.detail || e.message}`, "error");
    }
  },

  // -- staff reports --------------------------------------------------------------------------
  async openReport() {
    const { h, t } = this.ctx;
    if (this.reportEl) return;
    let sites = this.ctx.user?.sites || [];
    if (!sites.length) {
      try {
        const nodes = await this.ctx.api("/api/v1/nodes");
        sites = [...new Set(nodes.items.map((n) => n.site))].sort();
      } catch {
        sites = [];
      }
    }
    const site = sites.length
      ? h("select", { dataset: { testid: "report-site" } }, ...sites.map((s) => h("option", { value: s }, s)))
      : h("input", { type: "text", required: true, placeholder: t("alerts.site"), "aria-label": t("alerts.site"), dataset: { testid: "report-site" } });
    const category = h("select", { dataset: { testid: "report-category" } },
      ...["missing_person", "injury", "death", "disaster", "violence", "other"].map((c) =>
        h("option", { value: c }, t(`alerts.report.cat.${c}`))));
    const person = h("input", { type: "text", maxlength: "200", placeholder: t("alerts.report.person"), "aria-label": t("alerts.report.person"), dataset: { testid: "report-person" } });
    const location = h("input", { type: "text", maxlength: "200", placeholder: t("alerts.report.location"), "aria-label": t("alerts.report.location"), dataset: { testid: "report-location" } });
    const description = h("textarea", { rows: "3", maxlength: "4000", required: true, placeholder: t("alerts.report.description"), "aria-label": t("alerts.report.description"), dataset: { testid: "report-description" } });
    // deadlines count from when it happened (or when the person was last seen), not from filing
    const nowWall = isoToWall(new Date(), this.ctx.tz);
    const happened = h("input", { type: "datetime-local", required: true, value: nowWall, max: nowWall, dataset: { testid: "report-happened" } });
    const close = () => {
      this.reportEl?.remove();
      this.reportEl = null;
    };
    const submit = async (e) => {
      e.preventDefault();
      if (!description.value.trim()) return;
      const at = wallToIso(happened.value, this.ctx.tz);
      if (!at || Date.parse(at) > Date.now() + 60_000) {
        happened.focus();
        this.ctx.toast(t("alerts.report.when_future"), "error");
        return;
      }
      try {
        const r = await this.ctx.api("/api/v1/manual-reports", {
          method: "POST",
          body: {
            site: site.value.trim(),
            category: category.value,
            description: description.value.trim(),
            person: person.value.trim() || null,
            location: location.value.trim() || null,
            happened_at: at,
          },
        });
        this.ctx.toast(t(r.incident ? "alerts.report.filed_incident" : "alerts.report.filed"), "ok");
        close();
        await this.reloadAll();
      } catch (err) {
        this.ctx.toast(`${t("alerts.failed")}: ${err.detail || err.message}`, "error");
      }
    };
    this.reportEl = h("form", { class: "card report-form", dataset: { testid: "report-form" }, onsubmit: submit },
      h("h2", null, t("alerts.report.title")),
      h("p", { class: "muted small" }, t("alerts.report.note")),
      h("div", { class: "toolbar" }, site, category, person, location),
      h("label", { class: "report-when" }, `${t("alerts.report.when_label")} (${this.ctx.tz}) `, happened),
      description,
      h("div", { class: "toolbar" },
        h("button", { class: "btn danger big", type: "submit", dataset: { testid: "report-submit" } }, t("alerts.report.submit")),
        h("button", { class: "btn", type: "button", onclick: close }, t("alerts.report.cancel"))));
    this.el.querySelector(".toolbar").after(this.reportEl);
    description.focus();
  },

  // -- incidents ------------------------------------------------------------------------------
  renderIncidents() {
    const { h, t, fmtTime } = this.ctx;
    // open incidents by their nearest report deadline (the overdue ones first), then the closed
    const group = (i) => (i.closed_at ? 2 : i.next_due ? 0 : 1);
    const items = [...this.incidents.values()].sort((x, y) => group(x) - group(y)
      || (group(x) === 0 ? (x.next_due || "").localeCompare(y.next_due || "") : (y.opened_at || "").localeCompare(x.opened_at || "")));
    this.incList.replaceChildren();
    if (!items.length) {
      this.incList.append(h("div", { class: "empty" }, t("alerts.no_incidents")));
      return;
    }
    for (const i of items) {
      const deadline = (kind) => {
        const done = i[`${kind}_reported_at`];
        const el = h("div", { class: "inc-deadline", dataset: { testid: `${kind}-countdown`, kind, due: i[`${kind}_due`], done: done ? "1" : "" } },
          h("span", { class: "inc-label" }, t(`alerts.${kind}_report`)), " ",
          h("span", { class: "inc-clock" }), " ",
          done ? h("span", { class: "muted small" }, t("alerts.reported_by", { at: fmtTime(done), by: i[`${kind}_reported_by`] || "", to: i[`${kind}_reported_to`] || "" })) : null);
        if (this.canReport && !done && !i.closed_at) el.append(this.reportForm(i, kind));
        return el;
      };
      const downloads = h("div", { class: "inc-downloads" }, h("span", { class: "muted small" }, t("alerts.report_download")), " ",
        ...["zh", "en"].flatMap((lang) => ["pdf", "html"].map((fmt) => h("button", {
          class: "btn small", dataset: { testid: `report-${fmt}-${lang}` },
          onclick: () => this.ctx.download(`/api/v1/incidents/${encodeURIComponent(i.id)}/report?lang=${lang}&format=${fmt}`, `incident-${i.id}-${lang}.${fmt}`)
            .catch((e) => this.ctx.toast(`${t("alerts.failed")}: ${e.message}`, "error")),
        }, `${fmt.toUpperCase()} ${lang === "zh" ? "中文" : "EN"}`))));
      this.incList.append(h("div", { class: `inc-row${i.closed_at ? " closed" : ""}`, dataset: { testid: "incident", id: i.id } },
        h("div", { class: "inc-head" },
          h("strong", null, t(`alerts.cat.${i.category}`)), " ",
          h("span", { class: "muted" }, `${i.site}${i.node ? ` / ${i.node}` : ""} · ${t("alerts.opened")} ${fmtTime(i.opened_at)}`),
          i.closed_at ? h("span", { class: "badge muted" }, t("alerts.closed")) : null),
        i.summary ? h("div", { class: "small" }, i.summary) : null,
        this.reportText(i.report),
        incidentPeople(this.ctx, i),
        deadline("phone"), deadline("written"), downloads));
    }
    this.tick();
  },

  reportForm(i, kind) {
    const { h, t } = this.ctx;
    const to = h("input", { type: "text", maxlength: "200", placeholder: t("alerts.reported_to_ph"), "aria-label": t("alerts.reported_to_ph"), dataset: { testid: `${kind}-to` } });
    const note = h("input", { type: "text", maxlength: "1000", placeholder: t("alerts.note_ph"), "aria-label": t("alerts.note_ph"), dataset: { testid: `${kind}-note` } });
    const btn = h("button", { class: "btn warn", dataset: { testid: `record-${kind}` }, onclick: async () => {
      if (!to.value.trim()) { to.focus(); this.ctx.toast(t("alerts.reported_to_needed"), "error"); return; }
      btn.disabled = true;
      try {
        const updated = await this.ctx.api(`/api/v1/incidents/${encodeURIComponent(i.id)}/${kind}-report`, { method: "POST", body: { reported_to: to.value.trim(), note: note.value.trim() } });
        this.ctx.toast(t("alerts.recorded"), "ok");
        if (updated && updated.id) this.upsertIncident(updated); else this.loadIncidents();
      } catch (e) {
        btn.disabled = false;
        this.ctx.toast(`${t("alerts.failed")}: ${e.detail || e.message}`, "error");
      }
    } }, t(`alerts.record_${kind}`));
    return h("div", { class: "inc-form" }, to, note, btn);
  },

  tick() {
    if (!this.incList) return;
    const now = Date.now();
    for (const el of this.incList.querySelectorAll(".inc-deadline")) {
      const clockEl = el.querySelector(".inc-clock");
      const due = Date.parse(el.dataset.due);
      if (el.dataset.done) {
        clockEl.textContent = "✓";
        el.classList.remove("overdue", "soon");
        el.dataset.overdue = "";
        continue;
      }
      const left = due - now;
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 5 * 60 * 1000);
      el.dataset.overdue = left < 0 ? "1" : "";
      clockEl.textContent = countdownText(this.ctx.t, "alerts", left);
    }
  },
});
