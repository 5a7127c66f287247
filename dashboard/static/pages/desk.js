// Intake desk: the check in progress at each intake node step by step (gate, wand, temperature,
// outcome), live over SSE; big touch buttons that send the wand result, the outcome and a
// confirmed core temperature to the node (POST …/commands) and show the node's ack; the day's
// checks with a search. The node decides the check itself — the page only records the operator's
// inputs — so the desk keeps working when this page or the gateway is down.

import { keepingFocus, page } from "./page.js";
import { barOpen, fileBar, forgetBars } from "./people.link.js";

const STEP_KINDS = new Set(["gate", "metal", "temperature", "check"]);
const ACK_TIMEOUT_MS = 8000;
const RECENT_MS = 60000; // a finished check stays on the card this long
const DEFAULT_FEVER_C = 37.3; // until the node's first check says its own threshold
const ITEMS = ["knife", "scissors", "lighter", "blade", "tool", "medicine", "rope", "glass"];
const OUTCOME_CLASS = {
  cleared: "ok", items_held: "warn", fever_referral: "bad", hypothermia_referral: "bad", refused: "muted", incomplete: "muted",
};

let stop = () => {};

function debounce(fn, ms) {
  let timer = null;
  const d = () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
  d.cancel = () => clearTimeout(timer);
  return d;
}

const celsius = (c) => (c === null || c === undefined ? "—" : `${Number(c).toFixed(1)} °C`);

export default page({
  id: "desk",
  roles: ["desk", "admin"],

  async mount(el, ctx) {
    const { h, t } = ctx;
    const ui = {
      active: null, // last /desk/active answer
      nodeKey: localStorage.getItem("sk_desk_node") || null,
      picking: null, // {action, check} while choosing held items
      items: new Set(),
      other: "",
      core: "", // the core temperature being typed (the card re-renders on every live update)
      refuseNote: "", // the refusal's note being typed
      refusing: false,
      ack: null, // {state, text, check}: the node's answer about one check
      shown: null, // the check on the card (a new one clears the card)
      q: "",
      day: ctx.siteDay(),
      outcome: "",
      checks: null,
      openRow: null,
      busy: false, // a command is on its way
    };
    const left = h("div", { class: "card desk-current", "data-testid": "desk-current" });
    const right = h("div", { class: "card desk-today", "data-testid": "desk-today" });
    el.append(h("div", { class: "desk-grid" }, left, right));

    // ------------------------------------------------------------------ data
    async function loadActive() {
      try {
        ui.active = await ctx.api("/api/v1/desk/active");
      } catch (err) {
        if (ctx.signal.aborted) return;
        ui.active = { error: err.message, nodes: [] };
      }
      renderCurrent();
    }
    async function loadChecks() {
      try {
        ui.checks = await ctx.api("/api/v1/desk/checks", {
          query: { q: ui.q.trim(), day: ui.day, outcome: ui.outcome },
        });
      } catch (err) {
        if (ctx.signal.aborted) return;
        ui.checks = { error: err.message, items: [], counts: {}, total: 0 };
      }
      renderToday();
      loadUnlinked();
    }
    const refreshActive = debounce(loadActive, 120);
    const refreshChecks = debounce(loadChecks, 300);

    ctx.onUpdate("event", (ev) => {
      if (!STEP_KINDS.has(ev.kind)) return;
      refreshActive();
      if (ev.kind === "check") refreshChecks();
    });
    ctx.onUpdate("node", () => refreshActive());
    ctx.onUpdate("resync", () => {
      refreshActive();
      refreshChecks();
    });
    // node time-outs end checks without the operator; a slow poll keeps the card honest
    const poll = setInterval(() => refreshActive(), 5000);
    const tick = setInterval(() => renderClock(), 1000);
    stop = () => {
      clearInterval(poll);
      clearInterval(tick);
      refreshActive.cancel();
      refreshChecks.cancel();
    };

    // ------------------------------------------------------------------ commands
    // One command at a time: a double tap on the touchscreen must not record twice.
    async function send(node, action, args, label) {
      if (ui.busy) return;
      ui.busy = true;
      try {
        await sendOne(node, action, args, label);
      } finally {
        ui.busy = false;
        if (!ctx.signal.aborted) renderCurrent();
      }
    }

    async function sendOne(node, action, args, label) {
      const path = `/api/v1/nodes/${encodeURIComponent(node.site)}/${encodeURIComponent(node.node)}/commands`;
      const about = args.check_id || ui.shown;
      const ack = (state, text) => { ui.ack = { state, text, check: about }; };
      ack("pending", t("desk.ack.sending", { what: label }));
      renderCurrent();
      let id;
      try {
        ({ id } = await ctx.api(path, { method: "POST", body: { action, args } }));
      } catch (err) {
        ack("error", t("desk.ack.failed", { what: label, error: err.message }));
        renderCurrent();
        return;
      }
      ack("pending", t("desk.ack.waiting", { what: label }));
      renderCurrent();
      const deadline = Date.now() + ACK_TIMEOUT_MS;
      while (Date.now() < deadline && !ctx.signal.aborted) {
        await new Promise((r) => setTimeout(r, 250));
        let cmd;
        try {
          cmd = await ctx.api(`${path}/${encodeURIComponent(id)}`);
        } catch {
          continue;
        }
        if (cmd.ok === true) {
          ack("ok", t("desk.ack.ok", { what: label, time: ctx.fmtTime(cmd.acked_at, "time") }));
          renderCurrent();
          refreshActive();
          return;
        }
        if (cmd.ok === false) {
          ack("error", t("desk.ack.refused", { what: label, error: cmd.error || "" }));
          renderCurrent();
          return;
        }
      }
      if (ctx.signal.aborted) return;
      ack("timeout", t("desk.ack.timeout", { what: label }));
      renderCurrent();
    }

    // ------------------------------------------------------------------ rendering: current check
    function intakeNodes() {
      return ui.active?.nodes || [];
    }
    function selectedNode() {
      const nodes = intakeNodes();
      return nodes.find((n) => `${n.site}/${n.node}` === ui.nodeKey) || nodes[0] || null;
    }

    function stepBox(name, status, detail, testid) {
      return h(
        "div",
        { class: `step ${status}`, "data-step": name, "data-status": status, "data-testid": testid },
        h("div", { class: "step-name" }, t(`desk.step.${name}`)),
        h("div", { class: "step-detail" }, detail),
      );
    }

    function steps(check, finished) {
      const g = check ? (finished ? { alarm: finished.gate_alarm, passage_at: finished.started_at } : check.gate) : null;
      const gate = !g
        ? stepBox("gate", "pending", "—", "step-gate")
        : stepBox("gate", g.alarm ? "bad" : "done", [
            g.alarm ? t("desk.gate.alarm") : t("desk.gate.passed"),
            h("small", {}, ` ${ctx.fmtTime(g.passage_at || check?.started_at, "time")}`),
          ], "step-gate");
      let wand;
      const w = finished ? (finished.wand ? { result: finished.wand, items: finished.items_held } : null) : check?.wand;
      const needWand = check && !finished && check.waiting_for.includes("wand");
      if (w) {
        wand = stepBox("wand", w.result === "metal_found" ? "warn" : "done", [
          t(`wand.${w.result}`),
          w.items?.length ? h("small", {}, `: ${w.items.map(itemLabel).join(", ")}`) : null,
        ], "step-wand");
      } else if (needWand) wand = stepBox("wand", "active", t("desk.wand.needed"), "step-wand");
      else wand = stepBox("wand", check ? "skip" : "pending", check ? t("desk.wand.not_needed") : "—", "step-wand");
      let temp;
      if (finished) {
        temp = stepBox("temperature", finished.celsius == null ? "skip" : tempStatus(finished.celsius), celsius(finished.celsius), "step-temperature");
      } else if (!check) temp = stepBox("temperature", "pending", "—", "step-temperature");
      else if (check.core_needed) {
        temp = stepBox("temperature", "active", [t("desk.temp.core_needed"), h("small", {}, ` ${celsius(check.celsius)}`)], "step-temperature");
      } else if (check.celsius != null) temp = stepBox("temperature", tempStatus(check.celsius), celsius(check.celsius), "step-temperature");
      else if (check.remeasure) {
        const last = check.temperatures[check.temperatures.length - 1];
        temp = stepBox("temperature", "active", [t("desk.temp.remeasure"), h("small", {}, ` ${celsius(last?.celsius)}`)], "step-temperature");
      } else temp = stepBox("temperature", "active", t("desk.temp.waiting"), "step-temperature");
      const outcome = finished
        ? stepBox("outcome", OUTCOME_CLASS[finished.outcome] === "ok" ? "done" : OUTCOME_CLASS[finished.outcome] || "done", t(`outcome.${finished.outcome}`), "step-outcome")
        : stepBox("outcome", check ? (check.waiting_for.length ? "pending" : "active") : "pending",
            check ? t(check.waiting_for.length ? "desk.outcome.open" : "desk.outcome.deciding") : "—", "step-outcome");
      return h("div", { class: "steps", "data-testid": "steps" }, gate, wand, temp, outcome);
    }

    // the node's own thresholds, as its last check said them (the gateway does not configure them)
    function feverAt(node) {
      return node?.last?.data?.fever_threshold_celsius ?? DEFAULT_FEVER_C;
    }
    function tempStatus(c, node = selectedNode()) {
      if (c >= feverAt(node)) return "bad";
      if (c < 35.0) return "bad";
      return "done";
    }

    function itemLabel(item) {
      const key = `desk.item.${item}`;
      const s = t(key);
      return s === key ? item : s;
    }

    function ackLine() {
      if (!ui.ack) return h("div", { class: "ack", "data-testid": "ack", "data-ack": "none" });
      return h("div", { class: `ack ${ui.ack.state}`, "data-testid": "ack", "data-ack": ui.ack.state, role: "status" }, ui.ack.text);
    }

    function itemPicker(node, check) {
      const action = ui.picking.action;
      const chips = ITEMS.map((it) =>
        h("button", {
          type: "button",
          class: `btn chip ${ui.items.has(it) ? "selected" : ""}`,
          "data-item": it,
          "aria-pressed": ui.items.has(it) ? "true" : "false",
          onclick: () => {
            if (ui.items.has(it)) ui.items.delete(it);
            else ui.items.add(it);
            renderCurrent();
          },
        }, itemLabel(it)),
      );
      const other = h("input", {
        class: "other", placeholder: t("desk.items.other_ph"), "aria-label": t("desk.items.other_ph"), value: ui.other, "data-testid": "item-other", maxlength: 100,
        oninput: (e) => {
          ui.other = e.target.value;
        },
      });
      const confirm = h("button", {
        class: "btn warn big", "data-testid": "items-confirm",
        onclick: () => {
          const items = [...ui.items].map((i) => itemLabel(i));
          if (ui.other.trim()) items.push(ui.other.trim());
          const args = { result: "metal_found", items, operator: ctx.user.name, check_id: check.check_id };
          ui.picking = null;
          ui.items = new Set();
          ui.other = "";
          send(node, action, args, action === "wand_result" ? t("wand.metal_found") : t("outcome.items_held"));
        },
      }, t("desk.items.confirm"));
      return h("div", { class: "picker", "data-testid": "item-picker" },
        h("div", { class: "label" }, t("desk.items.title")),
        h("div", { class: "chips" }, chips),
        h("div", { class: "row" }, other, confirm,
          h("button", { class: "btn big", onclick: () => { ui.picking = null; renderCurrent(); } }, t("common.cancel"))),
      );
    }

    function coreEntry(node, check) {
      const input = h("input", {
        class: "core", type: "number", inputmode: "decimal", step: "0.1", min: "25", max: "45",
        placeholder: "°C", "data-testid": "core-input", "aria-label": t("desk.temp.core"),
        value: ui.core,
      });
      input.addEventListener("input", () => { ui.core = input.value; });
      const record = h("button", {
        class: "btn primary big", "data-testid": "core-submit",
        onclick: () => {
          const v = Number.parseFloat(String(input.value).replace(",", "."));
          if (!(v >= 25 && v <= 45)) {
            ctx.toast(t("desk.temp.range"), "error");
            return;
          }
          send(node, "core_temperature", { celsius: v, operator: ctx.user.name, check_id: check.check_id }, t("desk.temp.core"));
        },
      }, t("desk.temp.record"));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") record.click();
      });
      const prompt = check.core_needed ? "desk.temp.core_needed_prompt" : check.remeasure ? "desk.temp.remeasure_prompt" : "desk.temp.core";
      return h("div", { class: `core-entry ${check.remeasure || check.core_needed ? "prompt" : ""}`, "data-testid": "core-entry" },
        h("div", { class: "label" }, t(prompt)),
        h("div", { class: "row" }, input, record));
    }

    function actions(node, check) {
      if (!ctx.can("desk", "supervisor")) return h("p", { class: "muted" }, t("desk.read_only"));
      if (ui.picking) return itemPicker(node, check);
      const parts = [];
      if (check.waiting_for.includes("wand")) {
        parts.push(h("div", { class: "label" }, t("desk.wand.title")));
        parts.push(h("div", { class: "row" },
          h("button", {
            class: "btn ok big", "data-testid": "wand-clear",
            onclick: () => send(node, "wand_result", { result: "clear", operator: ctx.user.name, check_id: check.check_id }, t("wand.clear")),
          }, t("wand.clear")),
          h("button", {
            class: "btn warn big", "data-testid": "wand-metal",
            onclick: () => { ui.picking = { action: "wand_result" }; renderCurrent(); },
          }, `${t("wand.metal_found")}…`),
        ));
      }
      if (check.remeasure || check.core_needed || check.celsius == null) parts.push(coreEntry(node, check));
      if (node.open.length > 1 && check.waiting_for.includes("temperature")) {
        // the node gives a reading to the person who passed the gate last unless told otherwise
        parts.push(h("div", { class: "row" }, h("button", {
          class: "btn big", "data-testid": "select-check",
          onclick: () => send(node, "select_check", { check_id: check.check_id }, t("desk.temp.select")),
        }, t("desk.temp.select"))));
      }
      // "admit" and "items held" decide a check whose only missing step is the wand (the node
      // refuses them otherwise); a fever is the node's own referral, never an admission
      const wandOnly = check.waiting_for.length === 1 && check.waiting_for[0] === "wand";
      const fever = check.celsius != null && check.celsius >= feverAt(node);
      if (fever && !check.core_needed) parts.push(h("p", { class: "warn-line", "data-testid": "fever-note", role: "status" }, t("desk.outcome.fever_by_node", { c: celsius(check.celsius) })));
      parts.push(h("div", { class: "label" }, t("desk.outcome.title")));
      if (ui.refusing) {
        const note = h("input", { class: "note", placeholder: t("desk.refuse.note_ph"), "aria-label": t("desk.refuse.note_ph"), maxlength: 500, value: ui.refuseNote, "data-testid": "refuse-note" });
        note.addEventListener("input", () => { ui.refuseNote = note.value; });
        parts.push(h("div", { class: "row" }, note,
          h("button", {
            class: "btn danger big", "data-testid": "refuse-confirm",
            onclick: () => {
              ui.refusing = false;
              const args = { outcome: "refused", operator: ctx.user.name, check_id: check.check_id };
              if (note.value.trim()) args.note = note.value.trim();
              send(node, "outcome", args, t("outcome.refused"));
            },
          }, t("desk.refuse.confirm")),
          h("button", { class: "btn big", onclick: () => { ui.refusing = false; renderCurrent(); } }, t("common.cancel"))));
      } else {
        parts.push(h("div", { class: "row" },
          wandOnly && !fever ? h("button", {
            class: "btn ok big", "data-testid": "outcome-admit",
            onclick: () => send(node, "outcome", { result: "clear", operator: ctx.user.name, check_id: check.check_id }, t("desk.outcome.admit")),
          }, t("desk.outcome.admit")) : null,
          wandOnly ? h("button", {
            class: "btn warn big", "data-testid": "outcome-held",
            onclick: () => { ui.picking = { action: "outcome" }; renderCurrent(); },
          }, `${t("outcome.items_held")}…`) : null,
          h("button", {
            class: "btn danger big", "data-testid": "outcome-refuse",
            onclick: () => { ui.refusing = true; renderCurrent(); },
          }, t("desk.outcome.refuse")),
        ));
      }
      return h("div", { class: "actions", "data-testid": "actions" }, parts);
    }

    function renderClock() {
      const age = left.querySelector("[data-since]");
      if (age) age.textContent = ctx.fmtTime(age.dataset.since, "relative");
    }

    function renderCurrent() {
      if (!ui.active) {
        left.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
        return;
      }
      const nodes = intakeNodes();
      const node = selectedNode();
      const head = h("div", { class: "toolbar desk-head" }, h("h2", { class: "grow" }, t("desk.current")));
      if (nodes.length > 1) {
        head.append(h("div", { class: "seg", role: "tablist" }, nodes.map((n) => {
          const key = `${n.site}/${n.node}`;
          const waiting = n.open.length + (n.more_open || 0); // the node lists 20 at most
          const busy = waiting ? ` (${waiting})` : "";
          return h("button", {
            class: `btn small ${node && key === `${node.site}/${node.node}` ? "selected" : ""}`, role: "tab", "data-node": key,
            onclick: () => { ui.nodeKey = key; localStorage.setItem("sk_desk_node", key); ui.picking = null; ui.refusing = false; renderCurrent(); },
          }, `${n.node}${busy}`);
        })));
      }
      if (ui.active.error) {
        left.replaceChildren(head, h("p", { class: "error" }, ui.active.error));
        return;
      }
      if (!node) {
        left.replaceChildren(head, h("p", { class: "empty", "data-testid": "desk-empty" }, t("desk.no_nodes")));
        return;
      }
      const stateBadge = h("span", { class: `badge ${node.state === "online" ? "ok" : node.state === "offline" ? "bad" : "muted"}`, "data-testid": "desk-node-state" }, t(`state.${node.state || "unknown"}`));
      const check = node.open[0] || null;
      const shown = check?.check_id || node.last?.check_id || null;
      if (shown !== ui.shown) {
        // another person: nothing of the previous one stays on the card
        ui.shown = shown;
        // the ack goes when a new person's check is open, not when the card falls back to the
        // last result for a moment (the check just closed; its outcome may still be on its way)
        if (ui.ack && check && ui.ack.check !== check.check_id) ui.ack = null;
        ui.picking = null;
        ui.refusing = false;
        ui.items = new Set();
        ui.other = "";
        ui.core = "";
        ui.refuseNote = "";
      }
      const meta = h("div", { class: "toolbar meta" },
        h("strong", {}, `${node.site} / ${node.node}`), stateBadge,
        node.open.length > 1 ? h("span", { class: "pill", "data-testid": "queue" }, t("desk.queue", { n: node.open.length - 1 + (node.more_open || 0) })) : null,
        h("span", { class: "grow" }),
        ctx.can("desk", "supervisor")
          ? h("button", {
              class: "btn", "data-testid": "release-gate",
              onclick: () => send(node, "release_gate", {}, t("desk.release")),
            }, t("desk.release"))
          : null,
      );
      const body = [head, meta];
      if (node.state === "offline") body.push(h("p", { class: "warn-line", "data-testid": "desk-offline", role: "alert" }, t("desk.offline")));
      if (check) {
        body.push(h("div", { class: "check-head", "data-testid": "check", "data-check": check.check_id },
          h("span", {}, t("desk.arrived")), " ",
          h("strong", {}, ctx.fmtTime(check.started_at, "time")), " · ",
          h("span", { "data-since": check.started_at }, ctx.fmtTime(check.started_at, "relative"))));
        body.push(steps(check, null));
        body.push(actions(node, check));
      } else {
        const last = node.last;
        // a file being opened or linked keeps its check on the card past the minute
        const recent = last && (Date.now() - new Date(last.finished_at).getTime() < RECENT_MS || barOpen(last.check_id));
        if (recent) {
          body.push(h("div", { class: `result ${OUTCOME_CLASS[last.outcome] || ""}`, "data-testid": "last-result", "data-outcome": last.outcome },
            t(`outcome.${last.outcome}`),
            h("small", {}, ` · ${ctx.fmtTime(last.finished_at, "time")}`)));
          body.push(steps({ started_at: last.started_at }, last));
          if (last.outcome !== "refused") body.push(fileBar(ctx, last, () => loadUnlinked()));
        } else {
          body.push(h("p", { class: "idle", "data-testid": "desk-idle" }, t("desk.idle")));
          body.push(steps(null, null));
        }
      }
      body.push(ackLine());
      // a live update must not take the field the operator is typing in away from them
      keepingFocus(left, () => left.replaceChildren(...body));
      // the selected node's tab in sight within its strip (the strip scrolls with many nodes)
      const tab = left.querySelector(".desk-head .seg .selected");
      if (tab) tab.parentElement.scrollLeft = tab.offsetLeft - (tab.parentElement.clientWidth - tab.offsetWidth) / 2;
      if (ui.busy) for (const b of left.querySelectorAll(".actions button, .meta button")) b.disabled = true;
    }

    // ------------------------------------------------------------------ rendering: today
    const search = h("input", {
      type: "search", placeholder: t("desk.search_ph"), "aria-label": t("desk.search_ph"), value: ui.q, "data-testid": "desk-search", class: "grow",
      oninput: (e) => { ui.q = e.target.value; refreshChecks(); },
    });
    const dayInput = h("input", {
      type: "date", value: ui.day, "data-testid": "desk-day", max: ctx.siteDay(), "aria-label": t("desk.today"), title: t("desk.today"),
      onchange: (e) => { ui.day = e.target.value || ctx.siteDay(); loadChecks(); },
    });
    // checks of the last day on no person file: a reminder, so none is forgotten
    const unlinked = h("a", { class: "pill warn", href: "#/people?view=unlinked", hidden: true, "data-testid": "desk-unlinked" });
    const todayHead = h("div", { class: "toolbar" }, h("h2", { class: "grow" }, t("desk.today")), unlinked, dayInput);
    async function loadUnlinked() {
      try {
        const got = await ctx.api("/api/v1/people/unlinked-checks", { query: { days: 1, limit: 1 } });
        unlinked.hidden = !got.total;
        unlinked.textContent = t("desk.unlinked", { n: got.total });
      } catch {
        unlinked.hidden = true; // the desk works without it
      }
    }
    const filterBar = h("div", { class: "filters", "data-testid": "desk-filters" });
    const list = h("div", { class: "list" });
    right.append(todayHead, h("div", { class: "toolbar" }, search), filterBar, list);

    function renderToday() {
      const c = ui.checks;
      if (!c) {
        list.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
        return;
      }
      const outcomes = ["cleared", "items_held", "fever_referral", "hypothermia_referral", "refused", "incomplete"];
      filterBar.replaceChildren(
        h("button", { class: `btn small ${ui.outcome ? "" : "selected"}`, onclick: () => { ui.outcome = ""; loadChecks(); } },
          `${t("common.all")} ${c.total ?? 0}`),
        ...outcomes.filter((o) => c.counts?.[o]).map((o) =>
          h("button", {
            class: `btn small ${ui.outcome === o ? "selected" : ""}`, "data-outcome": o,
            onclick: () => { ui.outcome = ui.outcome === o ? "" : o; loadChecks(); },
          }, `${t(`outcome.${o}`)} ${c.counts[o]}`)),
      );
      if (c.error) {
        list.replaceChildren(h("p", { class: "error" }, c.error));
        return;
      }
      if (!c.items.length) {
        list.replaceChildren(h("p", { class: "empty", "data-testid": "today-empty" }, t("desk.no_checks")));
        return;
      }
      const rows = [];
      for (const it of c.items) {
        const open = ui.openRow === it.check_id;
        rows.push(h("tr", {
          "data-testid": "today-row", "data-check": it.check_id, "data-outcome": it.outcome, class: open ? "open" : "",
          onclick: () => { ui.openRow = open ? null : it.check_id; renderToday(); },
        },
          h("td", {}, ctx.fmtTime(it.started_at, "time")),
          h("td", {}, h("span", { class: `badge ${OUTCOME_CLASS[it.outcome] || ""}` }, t(`outcome.${it.outcome}`))),
          h("td", { class: "num" }, celsius(it.celsius)),
          h("td", {}, [it.gate_alarm ? "⚠ " : "", (it.items_held || []).join(", ")]),
          h("td", { "data-testid": "today-file", title: it.person_id ? t("desk.on_file") : t("desk.not_on_file") }, it.person_id ? "📁" : ""),
        ));
        if (open) rows.push(h("tr", { class: "detail" }, h("td", { colspan: 5 }, detail(it))));
      }
      list.replaceChildren(h("table", { class: "grid compact" },
        h("thead", {}, h("tr", {}, h("th", {}, t("common.time")), h("th", {}, t("desk.col.outcome")), h("th", { class: "num" }, "°C"), h("th", {}, t("desk.col.items")), h("th", {}, ""))),
        h("tbody", {}, rows)));
    }

    // The node writes its steps' details and reasons for machines ("in", "36.8 °C core",
    // "fever_referral"); the desk reads them in its own language. Unknown text is shown as is.
    function stepDetail(name, text) {
      if (!text) return "";
      const word = (group, key) => {
        const s = t(`${group}.${key}`);
        return s === `${group}.${key}` ? key : s;
      };
      let m;
      if (name === "passage") return word("desk.dir", text);
      if (name === "outcome") return word("outcome", text);
      if ((m = /^(metal_found|clear)(?::\s*(.*))?$/.exec(text))) return `${t(`wand.${m[1]}`)}${m[2] ? `: ${m[2]}` : ""}`;
      if ((m = /^(-?[\d.]+) °C(?: (body|surface|core))?$/.exec(text))) return `${m[1]} °C${m[2] ? ` ${word("desk.mode", m[2])}` : ""}`;
      if ((m = /^zones (\S+) level (\S+)$/.exec(text))) return t("desk.detail.zones", { mask: m[1], level: m[2] });
      return reasons(text);
    }
    function reasons(text) {
      const known = [
        [/^no temperature result within ([\d.]+) s \(walked past\?\)$/, (m) => t("desk.reason.walked_past", { s: m[1] })],
        [/^no temperature result within ([\d.]+) s \(only re-measure readings below ([\d.]+) °C\)$/, (m) => t("desk.reason.only_remeasure", { s: m[1], c: m[2] })],
        [/^screening ([\d.]+) °C below ([\d.]+) °C and no core temperature within ([\d.]+) s$/, (m) => t("desk.reason.no_core", { c: m[1], limit: m[2], s: m[3] })],
        [/^gate alarm without wand result within ([\d.]+) s$/, (m) => t("desk.reason.no_wand", { s: m[1] })],
        [/^([\d.]+) °C below ([\d.]+) °C: core temperature needed$/, (m) => t("desk.reason.core_needed", { c: m[1], limit: m[2] })],
        [/^node restarted while the check was open$/, () => t("desk.reason.restarted")],
        [/^node restarted$/, () => t("desk.reason.restarted")],
      ];
      return text.split("; ").map((part) => {
        for (const [re, fn] of known) {
          const m = re.exec(part);
          if (m) return fn(m);
        }
        return part;
      }).join("；");
    }

    function detail(it) {
      const steps = it.data?.steps || [];
      return h("div", { class: "check-detail" },
        h("div", {}, `${t("common.node")}: ${it.node} · ${t("desk.operator")}: ${it.operator || "—"} · ${t("desk.wand_col")}: ${it.wand ? t(`wand.${it.wand}`) : "—"}`),
        it.data?.incomplete_reason ? h("div", { class: "muted", "data-testid": "incomplete-reason" }, reasons(it.data.incomplete_reason)) : null,
        it.data?.note ? h("div", {}, `${t("desk.note")}: ${it.data.note}`) : null,
        h("ol", { class: "timeline", "data-testid": "check-timeline" }, steps.map((s) => h("li", {}, `${ctx.fmtTime(s.at, "time")} ${t(`desk.step.${s.name}`)}${s.detail ? ` — ${stepDetail(s.name, s.detail)}` : ""}`))),
        it.outcome !== "refused" ? fileBar(ctx, it, () => loadUnlinked()) : null,
        h("div", { class: "muted id" }, it.check_id));
    }

    renderCurrent();
    renderToday();
    await Promise.all([loadActive(), loadChecks()]);
  },

  unmount() {
    forgetBars();
    stop();
    stop = () => {};
  },
});
