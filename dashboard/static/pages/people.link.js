// The desk's "open file / link to file" bar for a finished check (used by pages/desk.js).
// One bar element per check is kept across the desk's re-renders, so a half-typed name or an
// open search survives the 5-second refresh of the card.

import { pageCss } from "./css.js";

const bars = new Map();
const CAME_BY = ["self", "police", "outreach", "hospital", "transfer"];

/** Is a bar open (form or search showing) for this check? The desk keeps the check on screen. */
export function barOpen(checkId) {
  return bars.get(checkId)?.mode === "open" || bars.get(checkId)?.mode === "link";
}

export function forgetBars() {
  bars.clear();
}

const loadCss = () => pageCss("people");

/** The bar for `check`; `onDone()` is called when a file has been opened or linked. */
export function fileBar(ctx, check, onDone = null) {
  loadCss();
  let bar = bars.get(check.check_id);
  if (!bar) {
    bar = { onDone, mode: check.person_id ? "done" : "idle", personId: check.person_id || null, status: null, el: ctx.h("div", { class: "file-bar", "data-testid": "file-bar", "data-check": check.check_id }) };
    bars.set(check.check_id, bar);
    render(ctx, check, bar);
  } else if (check.person_id && bar.mode !== "done") {
    Object.assign(bar, { mode: "done", personId: check.person_id });
    render(ctx, check, bar);
  }
  return bar.el;
}

function render(ctx, check, bar) {
  const { h, t } = ctx;
  const el = bar.el;
  el.dataset.mode = bar.mode;
  if (bar.mode === "done" && bar.onDone && !bar.told) {
    bar.told = true;
    bar.onDone();
  }
  if (bar.mode === "done") {
    el.replaceChildren(
      h("span", { class: "badge ok", "data-testid": "file-opened", "data-person-id": bar.personId, "data-status": bar.status || "" },
        bar.status ? `${t("people.on_file")} · ${t(`people.status.${bar.status}`)}` : t("people.on_file")),
      h("a", { class: "btn small", href: `#/people/${encodeURIComponent(bar.personId)}`, "data-testid": "file-goto", onclick: (e) => e.stopPropagation() }, t("people.open_the_file")),
    );
    return;
  }
  if (!ctx.can("desk", "supervisor")) {
    el.replaceChildren(h("span", { class: "muted" }, t("people.not_on_file")));
    return;
  }
  const stop = (e) => e.stopPropagation(); // the bar sits inside clickable rows
  el.onclick = stop;
  const open = h("button", { class: "btn primary", "data-testid": "file-open", onclick: () => { bar.mode = bar.mode === "open" ? "idle" : "open"; render(ctx, check, bar); } }, t("people.new_file"));
  const link = h("button", { class: "btn", "data-testid": "file-link", onclick: () => { bar.mode = bar.mode === "link" ? "idle" : "link"; render(ctx, check, bar); } }, `${t("people.link_file")}…`);
  const parts = [h("div", { class: "row" }, h("span", { class: "muted" }, t("people.not_on_file")), open, link)];
  if (bar.mode === "open") {
    const names = h("input", { class: "grow", placeholder: t("people.names_ph"), "aria-label": t("people.names_ph"), "data-testid": "file-names", maxlength: 120 });
    const cameBy = h("select", { "data-testid": "file-came-by" }, CAME_BY.map((c) => h("option", { value: c }, t(`people.came.${c}`))));
    const submit = h("button", {
      class: "btn ok", "data-testid": "file-open-submit",
      onclick: async () => {
        submit.disabled = true;
        const given = names.value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
        try {
          const p = await ctx.api("/api/v1/people", { method: "POST", body: { site: check.site, check_id: check.check_id, names: given, came_by: cameBy.value } });
          Object.assign(bar, { mode: "done", personId: p.id, status: p.status });
          ctx.toast(t("people.opened", { status: t(`people.status.${p.status}`), n: p.items_held }));
        } catch (err) {
          ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
          submit.disabled = false;
          return;
        }
        render(ctx, check, bar);
      },
    }, t("people.open_submit"));
    parts.push(h("div", { class: "row" }, names, cameBy, submit));
  } else if (bar.mode === "link") {
    const q = h("input", { class: "grow", type: "search", placeholder: t("people.search_ph"), "aria-label": t("people.search_ph"), "data-testid": "file-link-q" });
    const hits = h("div", { class: "file-hits", "data-testid": "file-link-hits" });
    let timer = null;
    q.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        let page;
        try {
          page = await ctx.api("/api/v1/people", { query: { q: q.value.trim(), site: check.site, limit: 8 } });
        } catch (err) {
          hits.replaceChildren(h("span", { class: "error" }, err.message));
          return;
        }
        hits.replaceChildren(...page.items.map((p) => h("button", {
          class: "btn small", "data-testid": "file-link-pick", "data-person": p.id,
          onclick: async () => {
            try {
              const got = await ctx.api(`/api/v1/people/${encodeURIComponent(p.id)}/checks`, { method: "POST", body: { check_id: check.check_id } });
              Object.assign(bar, { mode: "done", personId: got.id, status: got.status });
              ctx.toast(t("people.linked"));
              render(ctx, check, bar);
            } catch (err) {
              ctx.toast(`${t("people.failed")}: ${err.message}`, "error");
            }
          },
        }, `${p.names.length ? p.names.join(" / ") : t("people.unknown_name")} · ${t(`people.status.${p.status}`)} · ${ctx.fmtTime(p.came_at, "date")}`)));
        if (!page.items.length) hits.append(h("span", { class: "muted" }, t("people.none")));
      }, 250);
    });
    parts.push(h("div", { class: "row" }, q), hits);
  }
  el.replaceChildren(...parts);
}
