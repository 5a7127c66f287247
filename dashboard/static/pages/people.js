// People (受助人员档案): search the files, open one (fields, portrait, status with history,
// belongings ledger, placement, timeline), the checks on no file yet, foster-home rosters and
// items still held for people who have left. Every read of a file sends the reader's reason
// (audited). Routes: #/people, #/people/<id>, #/people?view=unlinked|rosters|held.

import { ALL_ROLES, page } from "./page.js";

import { fileBar } from "./people.link.js";
import { photoB64, shrinkPhoto } from "./photos.js";

const STATUSES = ["in_station", "isolation", "foster_home", "hospital", "returned_home", "transferred", "left", "deceased"];
const STATUS_CLASS = { in_station: "ok", isolation: "bad", foster_home: "ok", hospital: "warn", returned_home: "muted", transferred: "muted", left: "muted", deceased: "muted" };
const REASONS = ["care", "intake", "family_search", "review", "report"];
const SEXES = ["unknown", "male", "female"];
const CAME_BY = ["self", "police", "outreach", "hospital", "transfer"];
const BASES = ["", "statutory_duty", "guardian_consent", "subject_consent", "vital_interest"];
const TEXT_FIELDS = [
  ["accent", 120], ["build", 60], ["hair", 120], ["clothing", 500], ["found_place", 200],
  ["cond_physical", 1000], ["cond_mental", 1000], ["cond_intellectual", 1000], ["cond_communication", 1000],
  ["medication", 1000], ["clues", 4000],
];

const reason = () => sessionStorage.getItem("sk_people_reason") || "care";
const nameOf = (t, p) => (p.names?.length ? p.names.join(" / ") : t("people.unknown_name"));

export default page({
  id: "people",
  roles: ALL_ROLES,

  async mount(el, ctx) {
    this.el = el;
    await this.route(ctx);
  },

  async route(ctx) {
    this.ctx = ctx;
    this.portraitUrl && URL.revokeObjectURL(this.portraitUrl);
    const id = ctx.route?.parts?.[0];
    if (id) return this.file(id);
    const view = ctx.route?.query?.get("view") || "list";
    return this.lists(view);
  },

  // ---------------------------------------------------------------------------- lists
  async lists(view) {
    const { h, t } = this.ctx;
    const tabs = ["list", ...(this.ctx.can("desk", "supervisor") ? ["unlinked"] : []), "rosters", "held"];
    const body = h("div", { class: "card ppl-body" });
    this.el.replaceChildren(
      h("div", { class: "toolbar seg" }, tabs.map((v) => h("a", { class: `btn small ${v === view ? "selected" : ""}`, href: v === "list" ? "#/people" : `#/people?view=${v}`, "data-testid": `tab-${v}` }, t(`people.tab.${v}`)))),
      body,
    );
    if (view === "unlinked") return this.unlinked(body);
    if (view === "rosters") return this.rosters(body);
    if (view === "held") return this.held(body);
    return this.search(body);
  },

  async search(body) {
    const { h, t } = this.ctx;
    const q = h("input", { type: "search", class: "grow", placeholder: t("people.search_ph"), "aria-label": t("people.search_ph"), "data-testid": "people-q" });
    const status = h("select", { "data-testid": "people-status", "aria-label": t("people.any_status") }, h("option", { value: "" }, t("people.any_status")), STATUSES.map((s) => h("option", { value: s }, t(`people.status.${s}`))));
    const from = h("input", { type: "date", "data-testid": "people-from", title: t("people.came_from") });
    const to = h("input", { type: "date", "data-testid": "people-to", title: t("people.came_to") });
    const rows = h("tbody", { "data-testid": "people-rows" });
    const more = h("button", { class: "btn", hidden: true, "data-testid": "people-more", onclick: () => load(true) }, t("people.more"));
    let next = null;
    const load = async (append = false) => {
      let page;
      try {
        page = await this.ctx.api("/api/v1/people", { query: { q: q.value.trim(), status: status.value, came_from: from.value, came_to: to.value, after: append ? next : undefined, limit: 50 } });
      } catch (err) {
        rows.replaceChildren(h("tr", null, h("td", { colspan: 6, class: "error" }, err.message)));
        return;
      }
      if (!append) rows.replaceChildren();
      for (const p of page.items) {
        rows.append(h("tr", { "data-testid": "person-row", "data-person": p.id, class: "click", onclick: () => this.ctx.navigate(`#/people/${p.id}`) },
          h("td", null, nameOf(t, p)),
          h("td", null, t(`people.sex.${p.sex}`)),
          h("td", null, p.age_min != null || p.age_max != null ? `${p.age_min ?? "?"}–${p.age_max ?? "?"}` : "—"),
          h("td", null, h("span", { class: `badge ${STATUS_CLASS[p.status]}` }, t(`people.status.${p.status}`))),
          h("td", { class: "nowrap" }, this.ctx.fmtTime(p.came_at, "date")),
          h("td", null, p.site)));
      }
      if (!rows.children.length) rows.append(h("tr", null, h("td", { colspan: 6, class: "empty" }, t("people.none"))));
      next = page.next;
      more.hidden = !next;
    };
    let timer = null;
    q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(), 250); });
    for (const el of [status, from, to]) el.addEventListener("change", () => load());
    body.replaceChildren(
      h("div", { class: "toolbar" }, q, status, h("label", { class: "muted" }, t("people.came_between"), " ", from, " – ", to)),
      h("table", { class: "grid compact" }, h("thead", null, h("tr", null, ...["name", "sex", "age", "status", "came", "site"].map((c) => h("th", null, t(`people.col.${c}`))))), rows),
      more,
    );
    await load();
  },

  async unlinked(body) {
    const { h, t } = this.ctx;
    const got = await this.ctx.api("/api/v1/people/unlinked-checks", { query: { days: 30 } });
    body.replaceChildren(
      h("p", { class: "muted", "data-testid": "unlinked-total" }, t("people.unlinked_total", { n: got.total })),
      h("table", { class: "grid compact" },
        h("tbody", null, got.items.map((c) => h("tr", { "data-testid": "unlinked-row", "data-check": c.check_id },
          h("td", { class: "nowrap" }, this.ctx.fmtTime(c.started_at)),
          h("td", null, t(`outcome.${c.outcome}`)),
          h("td", null, c.celsius == null ? "—" : `${c.celsius.toFixed(1)} °C`),
          h("td", null, (c.items_held || []).join(", ")),
          h("td", null, c.site),
          h("td", null, fileBar(this.ctx, c)))))),
    );
  },

  async rosters(body) {
    const { h, t } = this.ctx;
    const got = await this.ctx.api("/api/v1/people/rosters");
    body.replaceChildren(
      h("p", { class: "muted" }, t("people.rosters_help")),
      h("table", { class: "grid compact" },
        h("thead", null, h("tr", null, ...["site", "placed", "configured", "in_force", "people"].map((c) => h("th", null, t(`people.roster.${c}`))))),
        h("tbody", null, got.map((r) => h("tr", { "data-testid": "roster-row", "data-site": r.site, "data-placed": r.placed, "data-in-force": r.in_force ?? "" },
          h("td", null, r.site),
          h("td", { class: "num" }, r.placed),
          h("td", { class: "num" }, r.configured ?? "—"),
          h("td", { class: "num", title: t(`people.roster.source.${r.source}`) }, r.in_force ?? "—"),
          h("td", null, r.people.map((p) => h("a", { href: `#/people/${p.id}`, class: "ppl-chip" }, nameOf(t, p)))))))),
    );
  },

  async held(body) {
    const { h, t } = this.ctx;
    const got = await this.ctx.api("/api/v1/people/held-belongings");
    body.replaceChildren(
      h("p", { class: "muted" }, t("people.held_help")),
      got.length
        ? h("table", { class: "grid compact" }, h("tbody", null, got.map((b) => h("tr", { "data-testid": "held-row" },
            h("td", null, h("a", { href: `#/people/${b.person_id}` }, nameOf(t, b))),
            h("td", null, t(`people.status.${b.status}`)),
            h("td", null, `${b.item} ×${b.quantity}`),
            h("td", null, b.storage_place || "—"),
            h("td", { class: "nowrap" }, this.ctx.fmtTime(b.status_since, "date"))))))
        : h("p", { class: "empty" }, t("people.none")),
    );
  },

  // ---------------------------------------------------------------------------- one file
  async file(id) {
    const { h, t } = this.ctx;
    const ctx = this.ctx;
    const path = `/api/v1/people/${encodeURIComponent(id)}`;
    const why = h("select", { "data-testid": "view-reason", onchange: (e) => { sessionStorage.setItem("sk_people_reason", e.target.value); this.file(id); } },
      REASONS.map((r) => h("option", { value: r, selected: r === reason() }, t(`people.reason.${r}`))));
    let p;
    let tl;
    let items;
    let places;
    try {
      [p, tl, items, places] = await Promise.all([
        ctx.api(path, { query: { reason: reason() } }),
        ctx.api(`${path}/timeline`, { query: { reason: reason() } }),
        ctx.api(`${path}/belongings`, { query: { reason: reason() } }),
        ctx.api(`${path}/placements`, { query: { reason: reason() } }),
      ]);
    } catch (err) {
      this.el.replaceChildren(h("p", { class: "error", role: "alert" }, err.message), h("a", { href: "#/people" }, t("people.back")));
      return;
    }
    const writer = ctx.can("desk", "supervisor");
    const head = h("div", { class: "toolbar" },
      h("a", { class: "btn small", href: "#/people" }, `← ${t("people.back")}`),
      h("h2", { class: "grow", "data-testid": "person-name" }, nameOf(t, p)),
      h("span", { class: `badge big ${STATUS_CLASS[p.status]}`, "data-testid": "person-status", "data-status": p.status }, t(`people.status.${p.status}`)),
      p.foster_home ? h("span", { class: "pill", "data-testid": "person-home" }, `${t("people.placed_at")} ${p.foster_home}`) : null,
      h("label", { class: "muted" }, t("people.reason_label"), " ", why));
    this.el.replaceChildren(head, h("div", { class: "ppl-grid" },
      h("div", { class: "card" }, this.portrait(p, writer), this.fields(p, writer)),
      h("div", { class: "ppl-side" },
        h("div", { class: "card" }, this.statusBox(p, writer)),
        h("div", { class: "card" }, this.ledger(p, items, writer)),
        h("div", { class: "card" }, this.placement(p, places)),
        h("div", { class: "card" }, h("h3", null, t("people.timeline")),
          h("ol", { class: "ppl-timeline", "data-testid": "timeline" }, tl.entries.map((e) => h("li", { "data-testid": "timeline-entry", "data-kind": e.kind },
            h("span", { class: "nowrap muted" }, ctx.fmtTime(e.at)), " ", h("strong", null, t(`people.tl.${e.kind}`) === `people.tl.${e.kind}` ? e.kind : t(`people.tl.${e.kind}`)), " ", this.entryText(e)))))),
    ));
  },

  // The entry in the reader's language where the page knows the kind; else the server's text
  // (kinds that other modules add to the timeline).
  entryText(e) {
    const { t } = this.ctx;
    const d = e.data || {};
    if (e.kind === "status") {
      const to = t(`people.status.${d.status}`);
      return `${d.previous ? `${t(`people.status.${d.previous}`)} → ` : ""}${to}${d.reason ? ` (${d.reason})` : ""} · ${d.by}`;
    }
    if (e.kind === "check") {
      const temp = d.celsius == null ? "" : ` ${Number(d.celsius).toFixed(1)} °C`;
      return `${t(`outcome.${d.outcome}`)}${temp}${d.items_held?.length ? ` · ${d.items_held.join(", ")}` : ""} · ${d.node}`;
    }
    return e.summary;
  },

  portrait(p, writer) {
    const { h, t } = this.ctx;
    const box = h("div", { class: "ppl-portrait", "data-testid": "portrait" });
    if (p.portrait_id) {
      this.ctx.fetch(`/api/v1/people/${p.id}/images/${p.portrait_id}?reason=${encodeURIComponent(reason())}`).then(async (r) => {
        if (!r.ok) return;
        this.portraitUrl = URL.createObjectURL(await r.blob());
        box.prepend(h("img", { src: this.portraitUrl, alt: t("people.portrait") }));
      });
    } else box.append(h("div", { class: "muted" }, t("people.no_portrait")));
    if (writer) {
      const file = h("input", { type: "file", accept: "image/jpeg,image/png", "data-testid": "portrait-file", hidden: true });
      // With face search installed the portrait passes its quality gate and becomes the face
      // template (compared at once with families' reports); without it, it is only stored.
      const refused = h("div", { class: "ppl-refused", role: "alert", "data-testid": "portrait-refused", hidden: true });
      file.addEventListener("change", async () => {
        const f = file.files?.[0];
        if (!f) return;
        refused.hidden = true;
        try {
          const out = await this.ctx.api(`/api/v1/faces/portraits/${p.id}`, { method: "POST", body: { image_b64: await photoB64(f) } });
          if (out.compared.candidates) this.ctx.toast(t("people.face_candidates", { n: out.compared.candidates }), "ok");
          this.file(p.id);
          return;
        } catch (e) {
          if (e.status === 422 && e.detail?.message) {
            refused.textContent = `${t("people.portrait_refused")}: ${e.detail.message[this.ctx.lang] || e.detail.message.en}`;
            refused.dataset.code = e.detail.code;
            refused.hidden = false;
            file.value = "";
            return;
          }
          if (e.status !== 503) {
            this.ctx.toast(`${t("people.failed")}: ${e.detail?.message || e.detail || e.message}`, "error");
            return;
          }
        }
        const r = await this.ctx.fetch(`/api/v1/people/${p.id}/images?purpose=portrait`, { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: await shrinkPhoto(f) });
        if (!r.ok) {
          this.ctx.toast(`${t("people.failed")}: ${(await r.json().catch(() => ({}))).detail || r.status}`, "error");
          return;
        }
        this.file(p.id);
      });
      box.append(refused);
      box.append(file, h("button", { class: "btn small", disabled: !p.legal_basis, title: p.legal_basis ? "" : t("people.basis_first"), onclick: () => file.click() }, p.portrait_id ? t("people.portrait_replace") : t("people.portrait_add")));
    }
    return box;
  },

  fields(p, writer) {
    const { h, t } = this.ctx;
    const inputs = {};
    const row = (key, control) => h("label", { class: "ppl-field" }, h("span", null, t(`people.f.${key}`)), control);
    inputs.names = h("input", { value: p.names.join("，"), "data-testid": "f-names", maxlength: 400 });
    inputs.came_by = h("select", { "data-testid": "f-came_by" }, CAME_BY.map((c) => h("option", { value: c, selected: c === p.came_by }, t(`people.came.${c}`))));
    const marks = [...p.marks];
    const markList = h("span", { "data-testid": "f-marks" });
    const showMarks = () => markList.replaceChildren(marks.map((m) => `${m.kind} (${m.location})${m.description ? `: ${m.description}` : ""}`).join("; ") || "—");
    showMarks();
    const markKind = h("input", { placeholder: t("people.mark_kind_ph"), "aria-label": t("people.mark_kind_ph"), maxlength: 60, class: "short", "data-testid": "mark-kind" });
    const markWhere = h("input", { placeholder: t("people.mark_where_ph"), "aria-label": t("people.mark_where_ph"), maxlength: 120, class: "short", "data-testid": "mark-where" });
    const markWhat = h("input", { placeholder: t("people.mark_what_ph"), "aria-label": t("people.mark_what_ph"), maxlength: 500, "data-testid": "mark-what" });
    const markAdd = h("button", {
      class: "btn small", type: "button", "data-testid": "mark-add",
      onclick: () => {
        if (!markKind.value.trim() || !markWhere.value.trim()) return;
        marks.push({ kind: markKind.value.trim(), location: markWhere.value.trim(), description: markWhat.value.trim() || null, image_id: null });
        markKind.value = markWhere.value = markWhat.value = "";
        showMarks();
      },
    }, t("people.add"));
    inputs.sex = h("select", { "data-testid": "f-sex" }, SEXES.map((s) => h("option", { value: s, selected: s === p.sex }, t(`people.sex.${s}`))));
    inputs.age_min = h("input", { type: "number", min: 0, max: 130, value: p.age_min ?? "", class: "short" });
    inputs.age_max = h("input", { type: "number", min: 0, max: 130, value: p.age_max ?? "", class: "short" });
    inputs.height_cm = h("input", { type: "number", min: 30, max: 250, value: p.height_cm ?? "", class: "short" });
    for (const [key, max] of TEXT_FIELDS) {
      inputs[key] = max > 200 ? h("textarea", { rows: 2, maxlength: max, "data-testid": `f-${key}` }, p[key] || "") : h("input", { value: p[key] || "", maxlength: max, "data-testid": `f-${key}` });
    }
    inputs.legal_basis = h("select", { "data-testid": "f-legal_basis" }, BASES.map((b) => h("option", { value: b, selected: b === (p.legal_basis || "") }, b ? t(`people.basis.${b}`) : "—")));
    inputs.legal_basis_by = h("input", { value: p.legal_basis_by || "", maxlength: 120 });
    const save = h("button", {
      class: "btn primary", "data-testid": "f-save", hidden: !writer,
      onclick: async () => {
        const num = (el) => (el.value === "" ? null : Number(el.value));
        const body = {
          names: inputs.names.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean),
          came_by: inputs.came_by.value, marks,
          sex: inputs.sex.value, age_min: num(inputs.age_min), age_max: num(inputs.age_max), height_cm: num(inputs.height_cm),
          legal_basis: inputs.legal_basis.value || null, legal_basis_by: inputs.legal_basis_by.value.trim() || null,
        };
        for (const [key] of TEXT_FIELDS) body[key] = inputs[key].value.trim() || null;
        try {
          await this.ctx.api(`/api/v1/people/${p.id}`, { method: "PATCH", body });
          this.ctx.toast(this.ctx.t("people.saved"));
          this.file(p.id);
        } catch (err) {
          this.ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
        }
      },
    }, t("people.save"));
    if (!writer) for (const el of [...Object.values(inputs), markKind, markWhere, markWhat, markAdd]) el.disabled = true;
    return h("div", { class: "ppl-fields", "data-testid": "fields" },
      h("div", { class: "muted" }, `${t(`people.came.${p.came_by}`)} · ${this.ctx.fmtTime(p.came_at)} · ${p.site}`),
      row("came_by", inputs.came_by), row("names", inputs.names), row("sex", inputs.sex),
      row("age", h("span", null, inputs.age_min, " – ", inputs.age_max)), row("height_cm", inputs.height_cm),
      ...TEXT_FIELDS.map(([key]) => row(key, inputs[key])),
      row("marks", h("span", null, markList, h("div", { class: "row" }, markKind, markWhere, markWhat, markAdd))),
      row("legal_basis", inputs.legal_basis), row("legal_basis_by", inputs.legal_basis_by),
      save);
  },

  statusBox(p, writer) {
    const { h, t } = this.ctx;
    const box = h("div", { "data-testid": "status-box" }, h("h3", null, t("people.status_title")));
    if (!writer) return box;
    const select = h("select", { "data-testid": "status-select" }, STATUSES.filter((s) => s !== p.status).map((s) => h("option", { value: s }, t(`people.status.${s}`))));
    const why = h("input", { placeholder: t("people.status_reason"), "aria-label": t("people.status_reason"), maxlength: 500, "data-testid": "status-reason", class: "grow" });
    const error = h("div", { class: "error", "data-testid": "status-error", role: "alert" });
    const override = h("input", { placeholder: t("people.override_ph"), "aria-label": t("people.override_ph"), maxlength: 500, "data-testid": "status-override", hidden: true, class: "grow" });
    const submit = h("button", {
      class: "btn primary", "data-testid": "status-submit",
      onclick: async () => {
        error.textContent = "";
        try {
          await this.ctx.api(`/api/v1/people/${p.id}/status`, { method: "POST", body: { status: select.value, reason: why.value.trim() || null, override: override.value.trim() || null } });
          this.ctx.toast(t("people.status_changed"));
          this.file(p.id);
        } catch (err) {
          if (err.status === 409 && err.detail?.code === "items_held") {
            error.textContent = t("people.items_held_refusal", { n: p.items_held });
            error.dataset.code = "items_held";
            override.hidden = false;
          } else error.textContent = err.message;
        }
      },
    }, t("people.change_status"));
    box.append(h("div", { class: "row" }, select, why, submit), override, error);
    return box;
  },

  ledger(p, items, writer) {
    const { h, t } = this.ctx;
    const rows = items.map((b) => {
      const released = Boolean(b.released_at);
      const cell = released
        ? h("td", { class: "muted" }, `${t("people.released_to")} ${b.released_to} · ${this.ctx.fmtTime(b.released_at)} · ${b.released_by}`)
        : h("td", null, writer ? this.releaseButton(p, b) : t("people.held"));
      return h("tr", { "data-testid": "belonging-row", "data-released": released ? "1" : "0", "data-item": b.item },
        h("td", null, `${b.item} ×${b.quantity}`), h("td", null, b.storage_place || "—"), h("td", { class: "muted" }, b.received_by), cell);
    });
    const box = h("div", { "data-testid": "ledger" }, h("h3", null, t("people.belongings"), " ", h("span", { class: `badge ${p.items_held ? "warn" : "ok"}`, "data-testid": "items-held" }, t("people.n_held", { n: p.items_held }))),
      rows.length ? h("table", { class: "grid compact" }, h("tbody", null, rows)) : h("p", { class: "muted" }, t("people.none")));
    if (writer) {
      const item = h("input", { placeholder: t("people.item_ph"), "aria-label": t("people.item_ph"), maxlength: 120, "data-testid": "belonging-item", class: "grow" });
      const place = h("input", { placeholder: t("people.storage_ph"), "aria-label": t("people.storage_ph"), maxlength: 120, "data-testid": "belonging-place" });
      box.append(h("div", { class: "row" }, item, place, h("button", {
        class: "btn", "data-testid": "belonging-add",
        onclick: async () => {
          if (!item.value.trim()) return;
          try {
            await this.ctx.api(`/api/v1/people/${p.id}/belongings`, { method: "POST", body: { item: item.value.trim(), storage_place: place.value.trim() || null } });
            this.file(p.id);
          } catch (err) {
            this.ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
          }
        },
      }, t("people.add"))));
    }
    return box;
  },

  releaseButton(p, b) {
    const { h, t } = this.ctx;
    const wrap = h("span", null);
    const open = h("button", {
      class: "btn small", "data-testid": "belonging-release",
      onclick: () => {
        const to = h("input", { placeholder: t("people.release_to_ph"), "aria-label": t("people.release_to_ph"), value: t("people.release_self"), "data-testid": "release-to", maxlength: 120 });
        wrap.replaceChildren(to, h("button", {
          class: "btn small ok", "data-testid": "release-confirm",
          onclick: async () => {
            try {
              await this.ctx.api(`/api/v1/people/${p.id}/belongings/${b.id}/release`, { method: "POST", body: { released_to: to.value.trim() || t("people.release_self") } });
              this.file(p.id);
            } catch (err) {
              this.ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
            }
          },
        }, t("people.release_confirm")));
      },
    }, t("people.release"));
    wrap.append(open);
    return wrap;
  },

  placement(p, places) {
    const { h, t } = this.ctx;
    const current = places.find((x) => !x.until_date);
    const box = h("div", { "data-testid": "placement" }, h("h3", null, t("people.placement")),
      current ? h("p", { "data-testid": "placement-current", "data-site": current.site }, `${current.site} · ${t("people.from")} ${current.from_date}`) : h("p", { class: "muted" }, t("people.not_placed")));
    if (this.ctx.can("supervisor") && !["returned_home", "transferred", "left", "deceased"].includes(p.status)) {
      const site = h("input", { placeholder: t("people.home_ph"), "aria-label": t("people.home_ph"), maxlength: 32, "data-testid": "place-site" });
      const from = h("input", { type: "date", value: this.ctx.siteDay(), "data-testid": "place-date" });
      box.append(h("div", { class: "row" }, site, from, h("button", {
        class: "btn", "data-testid": "place-submit",
        onclick: async () => {
          try {
            await this.ctx.api(`/api/v1/people/${p.id}/placements`, { method: "POST", body: { site: site.value.trim(), from_date: from.value } });
            this.file(p.id);
          } catch (err) {
            this.ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
          }
        },
      }, t("people.place"))));
    }
    return box;
  },

  unmount() {
    if (this.portraitUrl) URL.revokeObjectURL(this.portraitUrl);
  },
});
