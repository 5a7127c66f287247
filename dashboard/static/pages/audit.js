// Audit trail (admin): who logged in, read, watched or changed what, and when; filters by user,
// action, target text and time; CSV export of what the filters select (up to 10 000 rows).

import { page } from "./page.js";

import { wallToIso } from "../time.js";

const ACTIONS = [
  "login", "login_failed", "login_refused", "login_lockout", "logout", "export", "live_view_start", "live_view_end", "media_view", "GET", "POST", "PUT", "PATCH", "DELETE",
];
const EXPORT_MAX = 10000;

// The filters are the site's wall time (the times listed are shown in the site's zone too),
// not the browser's: an admin in another zone filtering "08:00" means 08:00 at the station.

export default page({
  id: "audit",
  roles: ["admin"],

  async mount(el, ctx) {
    const { h, t } = ctx;
    const q = ctx.route?.query || new URLSearchParams();
    this.actor = h("input", { type: "text", size: "12", placeholder: t("audit.actor"), "aria-label": t("audit.actor"), value: q.get("actor") || "", dataset: { testid: "f-actor" } });
    this.action = h("input", { type: "text", size: "14", list: "audit-actions", placeholder: t("audit.action"), "aria-label": t("audit.action"), value: q.get("action") || "", dataset: { testid: "f-action" } });
    this.target = h("input", { type: "text", size: "16", placeholder: t("audit.target"), "aria-label": t("audit.target"), value: q.get("q") || "", dataset: { testid: "f-target" } });
    this.since = h("input", { type: "datetime-local", dataset: { testid: "f-since" }, title: t("audit.since") });
    this.until = h("input", { type: "datetime-local", dataset: { testid: "f-until" }, title: t("audit.until") });
    this.body = h("tbody", { dataset: { testid: "audit-rows" } });
    this.more = h("button", { class: "btn", hidden: true, onclick: () => this.load(true) }, t("audit.more"));
    this.count = h("span", { class: "muted" });
    const submit = (e) => { e.preventDefault(); this.load(); };
    el.append(
      h("datalist", { id: "audit-actions" }, ...ACTIONS.map((a) => h("option", { value: a }))),
      h("form", { class: "toolbar", onsubmit: submit },
        this.actor, this.action, this.target,
        h("label", null, `${t("audit.since")} (${ctx.tz})`, " ", this.since),
        h("label", null, `${t("audit.until")} (${ctx.tz})`, " ", this.until),
        h("button", { class: "btn primary", type: "submit", dataset: { testid: "apply" } }, t("audit.apply")),
        h("button", { class: "btn", type: "button", dataset: { testid: "export-csv" }, onclick: () => this.export() }, t("audit.csv")),
        this.count),
      h("div", { class: "card aud-scroll" },
        h("table", { class: "grid aud-table" },
          h("thead", null, h("tr", null, ...["at", "actor", "action", "target", "detail"].map((c) => h("th", null, t(`audit.col.${c}`))))),
          this.body),
        this.more),
    );
    await this.load();
  },

  filters() {
    return {
      actor: this.actor.value.trim(),
      action: this.action.value.trim(),
      q: this.target.value.trim(),
      since: wallToIso(this.since.value, this.ctx.tz),
      until: wallToIso(this.until.value, this.ctx.tz),
    };
  },

  async load(append = false) {
    const { h, t, fmtTime } = this.ctx;
    let page;
    try {
      page = await this.ctx.api("/api/v1/audit", { query: { ...this.filters(), limit: 200, before: append ? this.next : undefined } });
    } catch (e) {
      this.body.replaceChildren(h("tr", null, h("td", { colspan: "5", class: "empty error" }, e.message)));
      return;
    }
    if (!append) this.body.replaceChildren();
    for (const r of page.items) {
      let detail = r.detail || "";
      try {
        const parsed = JSON.parse(detail);
        if (parsed && typeof parsed === "object") detail = Object.entries(parsed).filter(([, v]) => v !== null && v !== "").map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
      } catch {
        /* plain text */
      }
      const cls = /failed|refused|lockout|denied/.test(r.action) ? "bad"
        : r.action.startsWith("live_view") || r.action === "media_view" || r.action === "export" ? "warn" : "";
      this.body.append(h("tr", { dataset: { testid: "audit-row", action: r.action, actor: r.actor } },
        h("td", { class: "nowrap" }, fmtTime(r.at)),
        h("td", null, r.actor),
        h("td", null, h("span", { class: `badge ${cls}` }, r.action)),
        h("td", { class: "aud-target" }, r.target || ""),
        h("td", { class: "aud-detail", title: r.detail || "" }, detail)));
    }
    this.next = page.next;
    this.more.hidden = !page.next;
    const shown = this.body.querySelectorAll("tr[data-testid=audit-row]").length;
    this.count.textContent = t("audit.shown", { n: shown });
    if (!shown) this.body.append(h("tr", null, h("td", { colspan: "5", class: "empty" }, t("audit.none"))));
  },

  async export() {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...this.filters(), format: "csv", limit: EXPORT_MAX })) if (v) qs.append(k, String(v));
    try {
      await this.ctx.download(`/api/v1/audit?${qs}`, `audit-${new Date().toISOString().slice(0, 10)}.csv`);
    } catch (e) {
      this.ctx.toast(`${this.ctx.t("audit.failed")}: ${e.message}`, "error");
    }
  },
});
