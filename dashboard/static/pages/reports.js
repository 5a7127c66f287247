// Reports (supervisor, bureau, admin): the daily and monthly statistics of a site from
// /api/v1/reports/{daily,monthly}: headline numbers, simple SVG bar charts (no chart library),
// the per-rule and per-day tables, and CSV/XLSX downloads of the same figures.

import { page } from "./page.js";

const SVG = "http://www.w3.org/2000/svg";
const SEV_COLORS = { critical: "#b71c1c", major: "#e65100", minor: "#f9a825", warning: "#fbc02d", info: "#1e88e5" };
const OUTCOME_COLORS = {
  cleared: "#2e7d32", items_held: "#ef8f00", fever_referral: "#c62828", hypothermia_referral: "#1565c0",
  incomplete: "#757575", refused: "#455a64",
};

function s(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Horizontal bars: one row per [label, value, color]; values written at the bar's end.
function hbars(rows, testid) {
  const rowH = 22;
  const labelW = 150;
  const width = 460;
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const svg = s("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, class: "chart hbars", role: "img" });
  svg.dataset.testid = testid;
  rows.forEach(([label, value, color], i) => {
    const y = i * rowH + 2;
    const w = ((width - labelW - 50) * value) / max;
    svg.append(s("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", class: "lbl" }, label));
    const bar = s("rect", { x: labelW, y: y + 3, width: Math.max(value ? 2 : 0, w), height: rowH - 6, fill: color || "#1f4e79", rx: 2 });
    bar.dataset.value = String(value);
    bar.append(s("title", {}, `${label}: ${value}`));
    svg.append(bar);
    svg.append(s("text", { x: labelW + w + 4, y: y + 15, class: "val" }, String(value)));
  });
  return svg;
}

// Vertical bars per day of a month (one series); day numbers under every bar.
function vbars(days, key, color, testid) {
  const barW = 16;
  const gap = 4;
  const h = 120;
  const width = days.length * (barW + gap) + 30;
  const max = Math.max(1, ...days.map((d) => d[key] || 0));
  const svg = s("svg", { viewBox: `0 0 ${width} ${h + 30}`, class: "chart vbars", role: "img" });
  svg.dataset.testid = testid;
  svg.append(s("text", { x: 0, y: 10, class: "axis" }, String(max)));
  svg.append(s("line", { x1: 24, y1: h, x2: width, y2: h, class: "base" }));
  days.forEach((d, i) => {
    const v = d[key] || 0;
    const bh = (h - 14) * (v / max);
    const x = 28 + i * (barW + gap);
    const bar = s("rect", { x, y: h - bh, width: barW, height: bh, fill: color, rx: 2 });
    bar.dataset.value = String(v);
    bar.append(s("title", {}, `${d.date}: ${v}`));
    svg.append(bar);
    if (v) svg.append(s("text", { x: x + barW / 2, y: h - bh - 2, "text-anchor": "middle", class: "val small" }, String(v)));
    svg.append(s("text", { x: x + barW / 2, y: h + 14, "text-anchor": "middle", class: "axis" }, String(Number(d.date.slice(8)))));
  });
  return svg;
}

function fmtSeconds(v, t) {
  if (v == null) return "—";
  if (v < 120) return t("reports.sec", { n: Math.round(v) });
  return t("reports.min", { n: (v / 60).toFixed(1) });
}

export default page({
  id: "reports",
  roles: ["supervisor", "bureau", "admin"],

  async mount(el, ctx) {
    const { h, t } = ctx;
    const today = ctx.siteDay ? ctx.siteDay() : new Date().toISOString().slice(0, 10);
    const q = ctx.route?.query || new URLSearchParams();
    this.period = h("select", { dataset: { testid: "period" }, "aria-label": t("reports.period"), onchange: () => this.syncInputs() },
      h("option", { value: "daily" }, t("reports.daily")),
      h("option", { value: "monthly" }, t("reports.monthly")));
    this.period.value = q.get("period") === "monthly" ? "monthly" : "daily";
    this.day = h("input", { type: "date", value: q.get("date") || today, "aria-label": t("reports.day"), dataset: { testid: "date" } });
    this.month = h("input", { type: "month", value: q.get("month") || today.slice(0, 7), dataset: { testid: "month" } });
    this.site = h("select", { dataset: { testid: "site" } }, h("option", { value: "" }, t("reports.all_sites")));
    this.out = h("div", { class: "rep-out", dataset: { testid: "report" } });
    el.append(
      h("div", { class: "toolbar" },
        this.period, this.day, this.month,
        h("label", null, t("reports.site"), " ", this.site),
        h("button", { class: "btn primary", dataset: { testid: "show" }, onclick: () => this.load() }, t("reports.show")),
        h("span", { class: "rep-dl" },
          h("button", { class: "btn", dataset: { testid: "download-csv" }, onclick: () => this.download("csv") }, t("reports.csv")),
          h("button", { class: "btn", dataset: { testid: "download-xlsx" }, onclick: () => this.download("xlsx") }, t("reports.xlsx")))),
      this.out,
    );
    this.syncInputs(false);
    try {
      const nodes = await ctx.api("/api/v1/nodes");
      for (const site of [...new Set(nodes.items.map((n) => n.site))].sort()) this.site.append(h("option", { value: site }, site));
    } catch {
      /* the site list is a convenience; "all sites" still works */
    }
    if (q.get("site")) this.site.value = q.get("site");
    await this.load();
  },

  syncInputs(reload = true) {
    const monthly = this.period.value === "monthly";
    this.day.hidden = monthly;
    this.month.hidden = !monthly;
    if (reload) this.load();
  },

  params(format) {
    const monthly = this.period.value === "monthly";
    return {
      path: `/api/v1/reports/${monthly ? "monthly" : "daily"}`,
      query: { site: this.site.value, format, ...(monthly ? { month: this.month.value } : { date: this.day.value }) },
      name: `stats-${this.site.value || "all"}-${monthly ? this.month.value : this.day.value}.${format}`,
    };
  },

  async download(format) {
    const p = this.params(format);
    // for people: in the user's language, with the site's local times (the zone named)
    p.query.lang = this.ctx.lang === "en" ? "en" : "zh";
    const qs = new URLSearchParams(Object.entries(p.query).filter(([, v]) => v)).toString();
    try {
      await this.ctx.download(`${p.path}?${qs}`, p.name);
    } catch (e) {
      this.ctx.toast(`${this.ctx.t("reports.failed")}: ${e.message}`, "error");
    }
  },

  async load() {
    const { h, t } = this.ctx;
    const p = this.params("json");
    this.out.dataset.loading = "1";
    let st;
    try {
      st = await this.ctx.api(p.path, { query: p.query });
    } catch (e) {
      this.out.replaceChildren(h("div", { class: "empty error" }, `${t("reports.failed")}: ${e.message}`));
      delete this.out.dataset.loading;
      return;
    }
    this.render(st);
    delete this.out.dataset.loading;
  },

  render(st) {
    const { h, t, fmtTime } = this.ctx;
    const label = (prefix, key) => {
      const v = t(`${prefix}.${key}`);
      return v === `${prefix}.${key}` ? key : v;
    };
    const num = (key, value, extra, cls) => h("div", { class: `rep-num ${cls || ""}`, dataset: { testid: `num-${key}` } },
      h("div", { class: "v" }, value == null ? "—" : String(value)),
      h("div", { class: "k" }, t(`reports.n.${key}`)),
      extra ? h("div", { class: "muted small" }, extra) : null);
    const pct = (v) => (v == null ? "—" : `${v}%`);
    const inc = st.incidents;
    const late = (w) => (inc[w].late || 0) + (inc[w].missed || 0);
    const nums = h("div", { class: "rep-nums" },
      num("checks", st.checks.total),
      num("fevers", st.checks.fevers, null, st.checks.fevers ? "warn" : ""),
      num("items_held", st.checks.items_held),
      num("alerts", st.alerts.total, t("reports.acked", { n: st.alerts.acknowledged })),
      num("response", fmtSeconds(st.alerts.response_p50_s, t), t("reports.max", { v: fmtSeconds(st.alerts.response_max_s, t) })),
      num("incidents", inc.total, t("reports.still_open", { n: inc.open }), inc.total ? "bad" : ""),
      num("phone_on_time", pct(inc.phone.on_time_pct), t("reports.late", { n: late("phone") }), late("phone") ? "bad" : ""),
      num("written_on_time", pct(inc.written.on_time_pct), t("reports.late", { n: late("written") }), late("written") ? "bad" : ""));
    const outcomes = Object.entries(st.checks.outcomes).map(([k, v]) => [label("outcome", k), v, OUTCOME_COLORS[k]]);
    const sev = Object.entries(st.alerts.by_severity).map(([k, v]) => [label("reports.sev", k), v, SEV_COLORS[k]]);
    const cats = Object.entries(inc.by_category).map(([k, v]) => [label("reports.cat", k), v, "#6a1b9a"]);
    const compliance = ["met", "late", "missed", "pending"].map((k) => h("tr", null,
      h("th", null, t(`reports.dl.${k}`)), h("td", null, String(inc.phone[k] ?? 0)), h("td", null, String(inc.written[k] ?? 0))));
    const parts = [
      h("div", { class: "rep-head" },
        h("h2", null, `${st.site || t("reports.all_sites")} · ${st.label}`),
        h("span", { class: "muted small" }, t("reports.period_note", { tz: st.tz, start: fmtTime(st.start), end: fmtTime(st.end), at: fmtTime(st.generated_at) }))),
      nums,
      h("div", { class: "grid2" },
        h("div", { class: "card" }, h("h3", null, t("reports.outcomes")), hbars(outcomes, "chart-outcomes")),
        h("div", { class: "card" }, h("h3", null, t("reports.by_severity")), hbars(sev, "chart-severity"))),
      h("div", { class: "grid2" },
        h("div", { class: "card" }, h("h3", null, t("reports.by_category")), hbars(cats, "chart-categories")),
        h("div", { class: "card" }, h("h3", null, t("reports.deadlines")),
          h("table", { class: "grid", dataset: { testid: "compliance" } },
            h("tr", null, h("th"), h("th", null, t("reports.phone")), h("th", null, t("reports.written"))),
            ...compliance))),
    ];
    if (st.days && st.days.length) {
      parts.push(h("div", { class: "card" }, h("h3", null, t("reports.checks_per_day")), vbars(st.days, "checks", "#1f4e79", "chart-days")));
      parts.push(h("div", { class: "grid2" },
        h("div", { class: "card" }, h("h3", null, t("reports.alerts_per_day")), vbars(st.days, "alerts", "#e65100", "chart-days-alerts")),
        h("div", { class: "card" }, h("h3", null, t("reports.incidents_per_day")), vbars(st.days, "incidents", "#6a1b9a", "chart-days-incidents"))));
      const cols = Object.keys(st.days[0]);
      parts.push(h("div", { class: "card rep-scroll" }, h("h3", null, t("reports.per_day")),
        h("table", { class: "grid", dataset: { testid: "days-table" } },
          h("tr", null, ...cols.map((c) => h("th", null, t(`reports.col.${c}`) === `reports.col.${c}` ? label("outcome", c) : t(`reports.col.${c}`)))),
          ...st.days.map((d) => h("tr", { class: d.checks || d.alerts || d.incidents ? "" : "quiet" },
            ...cols.map((c) => h("td", { class: d[c] === 0 ? "zero" : "" }, String(d[c]))))))));
    }
    if (st.alerts.by_rule.length) {
      parts.push(h("div", { class: "card rep-scroll" }, h("h3", null, t("reports.by_rule")),
        h("table", { class: "grid", dataset: { testid: "rules-table" } },
          h("tr", null, ...["rule", "severity", "count", "acknowledged", "p50", "max"].map((c) => h("th", null, t(`reports.r.${c}`)))),
          ...st.alerts.by_rule.map((r) => h("tr", null,
            h("td", null, label("alerts.rule", r.rule)), h("td", null, label("reports.sev", r.severity)),
            h("td", null, String(r.count)), h("td", null, String(r.acknowledged)),
            h("td", null, fmtSeconds(r.response_p50_s, t)), h("td", null, fmtSeconds(r.response_max_s, t)))))));
    }
    this.out.replaceChildren(...parts);
  },
});
