// Face search for family search (supervisors; docs/faces.md). Families' reports with their
// dated photos; a search (a report against the person files, a file's portrait against the
// reports, or an uploaded photo) lists candidates side by side with the query photo; each
// candidate is rejected, sent back for more information or marked probable; a probable match
// is confirmed only by a second reviewer with evidence other than the face. Every photo shown
// is fetched with the search's reason, so each view is audited.

import { page } from "./page.js";
import { countdownText } from "../time.js";

import { photoB64 } from "./photos.js";

const enc = encodeURIComponent;

export default page({
  id: "faces",
  roles: ["supervisor", "admin"],

  tick() {
    const now = Date.now();
    for (const el of this.queue?.querySelectorAll(".fs-due") || []) {
      const left = Date.parse(el.dataset.due) - now;
      el.classList.toggle("overdue", left < 0);
      el.querySelector(".fs-clock").textContent = countdownText(this.ctx.t, "faces", left, true);
    }
  },

  unmount() {
    clearInterval(this.timer);
  },

  async mount(el, ctx) {
    const { h, t } = ctx;
    this.reports = h("div", { dataset: { testid: "face-reports" } });
    this.queue = h("div", { dataset: { testid: "face-pending" } });
    this.result = h("div", { dataset: { testid: "face-result" } });
    el.append(
      h("p", { class: "muted small fs-rule" }, t("faces.rule")),
      h("section", { class: "card" }, h("h2", null, t("faces.pending")), this.queue),
      h("section", { class: "card" }, h("h2", null, t("faces.reports")), this.newReport(), this.reports),
      h("section", { class: "card" }, h("h2", null, t("faces.search")), this.searchForm(), this.result),
    );
    ctx.onUpdate("alert", (a) => { if (a.rule === "face_match_probable") this.loadQueue(); });
    this.timer = setInterval(() => this.tick(), 30_000);
    await Promise.all([this.loadReports(), this.loadQueue()]);
    await this.route(ctx);
  },

  async route(ctx) {
    const [kind, id] = ctx.route.parts;
    if (kind === "search" && id) await this.openSearch(id);
  },

  fail(e) {
    this.ctx.toast(`${this.ctx.t("faces.failed")}: ${e.detail?.message || e.detail || e.message}`, "error");
  },

  // families' reports ---------------------------------------------------------------------------
  newReport() {
    const { h, t } = this.ctx;
    const f = {};
    const field = (k, attrs = {}) => {
      f[k] = h("input", { type: "text", maxlength: "300", ...attrs, dataset: { testid: `rep-${k}` } });
      return h("label", null, t(`faces.f.${k}`), f[k]);
    };
    f.sex = h("select", { dataset: { testid: "rep-sex" } }, ...["unknown", "male", "female"].map((s) => h("option", { value: s }, t(`faces.sex.${s}`))));
    f.description = h("textarea", { rows: "2", maxlength: "4000", dataset: { testid: "rep-description" } });
    f.consent_photos = h("input", { type: "checkbox", dataset: { testid: "rep-consent-photos" } });
    f.consent_contact = h("input", { type: "checkbox", dataset: { testid: "rep-consent-contact" } });
    const save = h("button", { class: "btn primary", dataset: { testid: "rep-save" }, onclick: async () => {
      const names = f.names.value.split(/[,，、]/).map((x) => x.trim()).filter(Boolean);
      const need = ["site", "reporter_name", "reporter_relation", "reporter_contact", "id_checked_by"].find((k) => !f[k].value.trim());
      if (!names.length || need) { (need ? f[need] : f.names).focus(); return; }
      try {
        await this.ctx.api("/api/v1/faces/family-reports", { method: "POST", body: {
          site: f.site.value.trim(), names, sex: f.sex.value,
          reporter_name: f.reporter_name.value.trim(), reporter_relation: f.reporter_relation.value.trim(),
          reporter_contact: f.reporter_contact.value.trim(), id_checked_by: f.id_checked_by.value.trim(),
          last_seen_where: f.last_seen_where.value.trim() || null, description: f.description.value.trim() || null,
          consent_photos: f.consent_photos.checked, consent_contact: f.consent_contact.checked,
        } });
        box.open = false;
        this.ctx.toast(t("faces.saved"), "ok");
        await this.loadReports();
      } catch (e) { this.fail(e); }
    } }, t("faces.save"));
    const box = h("details", { class: "fs-new", ontoggle: () => {
      if (box.open && !f.site.value) f.site.value = this.ctx.user.sites?.[0] || this.site || "";
    } }, h("summary", { dataset: { testid: "rep-new" } }, t("faces.new_report")),
      h("div", { class: "fs-form" }, field("site"), field("names"), h("label", null, t("faces.f.sex"), f.sex), field("last_seen_where"),
        field("reporter_name"), field("reporter_relation"), field("reporter_contact"), field("id_checked_by"),
        h("label", { class: "wide" }, t("faces.f.description"), f.description),
        h("label", { class: "wide" }, f.consent_photos, t("faces.f.consent_photos")),
        h("label", { class: "wide" }, f.consent_contact, t("faces.f.consent_contact")), save));
    return box;
  },

  async loadReports() {
    const { h, t, fmtTime } = this.ctx;
    try {
      const { items } = await this.ctx.api("/api/v1/faces/family-reports");
      this.site = items[0]?.site;
      const open = items.filter((r) => r.status === "open");
      this.reports.replaceChildren(open.length
        ? h("table", { class: "grid" }, h("tr", null, ...["names", "reporter", "last_seen", "photos", "actions"].map((k) => h("th", null, t(`faces.col.${k}`)))),
          ...open.map((r) => h("tr", { dataset: { testid: "face-report", id: r.id } },
            h("td", null, r.names.join(" / ")), h("td", null, `${r.reporter_name} (${r.reporter_relation})`),
            h("td", null, [r.last_seen_where, r.last_seen_at && fmtTime(r.last_seen_at)].filter(Boolean).join(" · ")),
            h("td", { dataset: { testid: "photos" } }, String(r.photos)),
            h("td", null, this.reportActions(r)))))
        : h("div", { class: "empty" }, t("faces.no_reports")));
    } catch (e) {
      this.reports.textContent = `${t("faces.failed")}: ${e.detail || e.message}`;
    }
  },

  reportActions(r) {
    const { h, t } = this.ctx;
    const file = h("input", { type: "file", accept: "image/jpeg,image/png", dataset: { testid: "photo-file" } });
    const year = h("input", { type: "number", min: "1900", max: String(new Date().getFullYear()), value: String(new Date().getFullYear()), class: "fs-year", "aria-label": t("faces.year"), dataset: { testid: "photo-year" } });
    const add = h("button", { class: "btn small", dataset: { testid: "photo-add" }, onclick: async () => {
      if (!file.files[0]) { file.click(); return; }
      try {
        const out = await this.ctx.api(`/api/v1/faces/family-reports/${enc(r.id)}/photos`, { method: "POST", body: { image_b64: await photoB64(file.files[0]), year_taken: Number(year.value) } });
        this.ctx.toast(`${t("faces.photo_added")}. ${t("faces.compared", { n: out.compared.candidates })}`, "ok");
        await Promise.all([this.loadReports(), this.loadQueue()]);
      } catch (e) { this.fail(e); }
    } }, t("faces.add_photo"));
    const search = h("button", { class: "btn small primary", disabled: !r.photos, dataset: { testid: "report-search" },
      onclick: () => this.run({ report_id: r.id }, `${t("faces.family_report")} ${r.names.join(" / ")}`) }, t("faces.search_files"));
    return h("div", { class: "toolbar" }, file, year, add, search);
  },

  // search ---------------------------------------------------------------------------------------
  searchForm() {
    const { h, t } = this.ctx;
    this.reason = h("input", { type: "text", maxlength: "200", placeholder: t("faces.reason_ph"), "aria-label": t("faces.reason"), dataset: { testid: "search-reason" } });
    const person = h("input", { type: "text", maxlength: "40", placeholder: t("faces.person_ph"), "aria-label": t("faces.person_ph"), dataset: { testid: "search-person" } });
    const file = h("input", { type: "file", accept: "image/jpeg,image/png", "aria-label": t("faces.upload"), dataset: { testid: "search-file" } });
    const go = h("button", { class: "btn primary", dataset: { testid: "search-run" }, onclick: async () => {
      if (person.value.trim()) return this.run({ person_id: person.value.trim() }, person.value.trim());
      if (file.files[0]) return this.run({ image_b64: await photoB64(file.files[0]) }, file.files[0].name);
      person.focus();
    } }, t("faces.run"));
    return h("div", { class: "toolbar" }, h("label", null, t("faces.reason"), this.reason), person, file, go);
  },

  async run(query, label) {
    const reason = this.reason.value.trim();
    if (reason.length < 2) { this.reason.focus(); this.ctx.toast(this.ctx.t("faces.reason_needed"), "error"); return; }
    try {
      const res = await this.ctx.api("/api/v1/faces/search", { method: "POST", body: { ...query, reason } });
      this.lastReason = reason;
      this.ctx.navigate(`#/faces/search/${enc(res.search_id)}`); // route() opens it
    } catch (e) { this.fail(e); }
  },

  async openSearch(id) {
    try {
      this.current = await this.ctx.api(`/api/v1/faces/searches/${enc(id)}`);
      this.renderSearch();
    } catch (e) { this.fail(e); }
  },

  reasonFor(s) { return this.lastReason || s.reason; },

  photo(kind, id, reason, onPerson = null) {
    const { h, t } = this.ctx;
    const img = h("img", { class: "fs-photo", alt: t("faces.photo_of", { id }), dataset: { testid: "face-photo", kind } });
    const url = kind === "report"
      ? `/api/v1/faces/family-reports/${enc(id)}/photo?reason=${enc(reason)}`
      : null;
    const load = async () => {
      let path = url;
      if (kind === "person") {
        const p = await this.ctx.api(`/api/v1/people/${enc(id)}`, { query: { reason } });
        onPerson?.(p);
        if (!p.portrait_id) return;
        path = `/api/v1/people/${enc(id)}/images/${enc(p.portrait_id)}?reason=${enc(reason)}`;
      }
      const r = await this.ctx.fetch(path);
      if (r.ok) { img.src = URL.createObjectURL(await r.blob()); img.dataset.loaded = "1"; }
    };
    load().catch(() => img.classList.add("broken"));
    return img;
  },

  renderSearch() {
    const { h, t, fmtTime } = this.ctx;
    const s = this.current;
    const reason = this.reasonFor(s);
    const q = s.query;
    const query = h("div", { class: "fs-query", dataset: { testid: "face-query" } },
      q.kind === "upload" ? h("div", { class: "fs-photo empty" }, t("faces.uploaded")) : this.photo(q.kind, q.id, reason),
      h("div", { class: "small" }, t(`faces.kind.${q.kind}`), " ", q.id || "", h("br"), `${s.actor} · ${fmtTime(s.at)}`, h("br"), s.reason));
    const cards = s.candidates.map((c) => this.candidate(s, c, reason));
    this.result.replaceChildren(
      h("p", { class: "fs-note", dataset: { testid: "face-note" } }, t("faces.never_identification")),
      h("div", { class: "fs-compare" }, query,
        cards.length ? h("div", { class: "fs-candidates" }, ...cards) : h("div", { class: "empty", dataset: { testid: "no-candidates" } }, t("faces.no_candidates"))));
  },

  candidate(s, c, reason) {
    const { h, t, fmtTime } = this.ctx;
    const key = `${c.kind}:${c.id}`;
    const mine = s.reviews.filter((r) => r.candidate === key);
    const last = mine[mine.length - 1];
    const state = last ? last.decision : "open";
    const note = h("input", { type: "text", maxlength: "2000", placeholder: t("faces.note"), "aria-label": t("faces.note"), dataset: { testid: "review-note" } });
    const decide = (decision) => h("button", { class: `btn small ${decision === "probable" ? "warn" : ""}`, dataset: { testid: `review-${decision}` }, onclick: async () => {
      try {
        await this.ctx.api(`/api/v1/faces/searches/${enc(s.search_id)}/reviews`, { method: "POST", body: { candidate: key, decision, note: note.value.trim() || null } });
        await this.openSearch(s.search_id);
        await this.loadQueue();
      } catch (e) { this.fail(e); }
    } }, t(`faces.decision.${decision}`));
    const evidence = h("select", { "aria-label": t("faces.evidence"), dataset: { testid: "confirm-evidence" } },
      ...["police_id_check", "family_recognition", "dna"].map((k) => h("option", { value: k }, t(`faces.evidence.${k}`))));
    const confirm = h("button", { class: "btn small primary", dataset: { testid: "confirm" }, onclick: async () => {
      try {
        await this.ctx.api(`/api/v1/faces/searches/${enc(s.search_id)}/confirm`, { method: "POST", body: { candidate: key, evidence: evidence.value, note: note.value.trim() || null } });
        this.ctx.toast(t("faces.confirmed"), "ok");
        await this.openSearch(s.search_id);
        await this.loadQueue();
      } catch (e) { this.fail(e); }
    } }, t("faces.confirm"));
    const link = c.kind === "person" ? h("a", { href: `#/people/${enc(c.id)}` }, c.id) : h("span", null, c.id);
    const names = h("strong", { dataset: { testid: "candidate-names" } });
    const showNames = (p) => { names.textContent = ` ${(p.names || []).join(" / ")}`; };
    return h("div", { class: `fs-cand st-${state}`, dataset: { testid: "candidate", kind: c.kind, id: c.id, state } },
      this.photo(c.kind, c.id, reason, showNames),
      h("div", null,
        h("div", null, h("strong", null, `#${c.rank} `), t(`faces.kind.${c.kind}`), " ", link, names),
        h("div", { class: "small", dataset: { testid: "distance" } }, t("faces.distance", { d: c.distance.toFixed(3) }),
          c.age_gap_years != null ? ` · ${t("faces.age_gap", { n: c.age_gap_years })}` : ""),
        h("ol", { class: "small fs-reviews" }, ...mine.map((r) => h("li", { dataset: { testid: "review", decision: r.decision } },
          `${fmtTime(r.at)} ${t(`faces.decision.${r.decision}`)}${r.evidence ? ` (${t(`faces.evidence.${r.evidence}`)})` : ""} · ${r.by}${r.note ? ` · ${r.note}` : ""}`))),
        state === "confirmed" ? null : h("div", { class: "toolbar" }, note,
          ...(state === "probable" ? [evidence, confirm] : []),
          decide("rejected"), decide("needs_info"), state === "probable" ? null : decide("probable"))));
  },

  // the queue of probable matches -----------------------------------------------------------
  async loadQueue() {
    const { h, t, fmtTime } = this.ctx;
    try {
      const [{ items, to_review: open }, cases] = await Promise.all([
        this.ctx.api("/api/v1/faces/pending"), this.ctx.api("/api/v1/family-search").catch(() => [])]);
      // the family-search deadline of the person concerned, counting down (docs/people.md)
      const due = new Map();
      for (const c of cases) {
        const next = c.steps.filter((x) => !x.done_at).sort((a, b) => Date.parse(a.due) - Date.parse(b.due))[0];
        if (next) due.set(c.person_id, next);
      }
      const deadline = (query, candidates) => {
        const ids = [query.kind === "person" ? query.id : null, ...candidates.filter((c) => c.startsWith("person:")).map((c) => c.slice(7))];
        const step = ids.map((id) => due.get(id)).filter(Boolean).sort((a, b) => Date.parse(a.due) - Date.parse(b.due))[0];
        return step ? h("span", { class: "fs-due", dataset: { testid: "queue-due", due: step.due, step: step.name } }, " · ", t("faces.case_due", { step: t(`faces.step.${step.name.split("-")[0]}`) }), " ", h("span", { class: "fs-clock" })) : null;
      };
      const what = (q, cands) => `${t(`faces.kind.${q.kind}`)} ${q.id || ""} ↔ ${cands.join(", ")}`;
      this.queue.replaceChildren(
        items.length
          ? h("ul", null, ...items.map((p) => h("li", { dataset: { testid: "pending", search: p.search_id, candidate: p.candidate } },
            h("a", { href: `#/faces/search/${enc(p.search_id)}` }, what(p.query, [p.candidate])),
            ` · ${t("faces.marked_by", { who: p.marked_by, at: fmtTime(p.marked_at) })}`,
            p.marked_by === this.ctx.user.name ? h("span", { class: "badge muted" }, t("faces.needs_other")) : null,
            deadline(p.query, [p.candidate]))))
          : h("div", { class: "empty" }, t("faces.no_pending")),
        h("h3", null, t("faces.to_review")),
        open.length
          ? h("ul", null, ...open.map((s) => h("li", { dataset: { testid: "to-review", search: s.search_id } },
            h("a", { href: `#/faces/search/${enc(s.search_id)}` }, what(s.query, s.unreviewed)),
            ` · ${s.actor === "auto" ? t("faces.auto") : s.actor} · ${fmtTime(s.at)}`,
            deadline(s.query, s.unreviewed))))
          : h("div", { class: "empty" }, t("faces.none_to_review")));
      this.tick();
    } catch (e) {
      this.queue.textContent = `${t("faces.failed")}: ${e.detail || e.message}`;
    }
  },
});
