// The alarm that follows the user on every page: open critical alerts and open incidents
// (reports to the bureau still due) in a badge beside the navigation, with a list; the tab's
// title and icon change while any is open; a tone sounds when a new one arrives unless muted.
// Browsers only let a page make sound after the user has touched it, so the tone is armed by
// the first click or key press and the list says so until then. Everything comes from the
// same API and live stream the pages use, so each role and site sees exactly the alerts and
// incidents it may read.

const MUTE_KEY = "sk_alarm_muted";
const ICON_ALARM =
  "data:image/svg+xml," +
  encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#c62828"/><text x="8" y="12" font-size="11" text-anchor="middle" fill="#fff" font-family="sans-serif" font-weight="700">!</text></svg>');

export function createAlarm(shell) {
  const { api, onUpdate, t, h } = shell;
  const alerts = new Map(); // id -> open critical alert
  const incidents = new Map(); // id -> open incident
  const offs = [];
  let audio = null; // AudioContext, made on the first user gesture
  let open = false;
  let baseTitle = document.title;
  const icon = document.querySelector('link[rel="icon"]');
  const baseIcon = icon?.getAttribute("href") || "data:,";

  const badge = h("button", {
    class: "alarm-badge", type: "button", hidden: true, "data-testid": "alarm-badge",
    "aria-haspopup": "true", "aria-expanded": "false",
    onclick: (e) => { e.stopPropagation(); toggle(); },
  });
  const panel = h("div", { class: "alarm-panel", hidden: true, "data-testid": "alarm-panel", role: "dialog" });
  // until the page has been touched the browser keeps it silent: say so beside the badge
  const silent = h("span", { class: "alarm-silent", hidden: true, "data-testid": "alarm-sound-off" });
  const box = h("span", { class: "alarm", id: "alarm" }, badge, silent, panel);

  const isOpenAlert = (a) => a.severity === "critical" && (a.state === "active" || a.state === "acknowledged");
  const muted = () => localStorage.getItem(MUTE_KEY) === "1";

  function arm() {
    if (audio) return;
    try {
      audio = new AudioContext();
    } catch {
      audio = null;
    }
    render();
  }

  function tone() {
    if (muted() || !audio || audio.state !== "running") return;
    const now = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.3, now + i * 0.35 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.35 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.35);
      osc.stop(now + i * 0.35 + 0.3);
    }
  }

  function label(key, fallback) {
    const s = t(key);
    return s === key ? fallback : s;
  }

  function items() {
    const list = [];
    for (const inc of incidents.values()) {
      list.push({
        kind: "incident", id: inc.id, href: `#/alerts/${encodeURIComponent(inc.alert_id || inc.id)}`,
        text: label(`alerts.cat.${inc.category}`, inc.category), site: inc.site,
        overdue: (inc.overdue || []).length > 0, at: inc.opened_at,
      });
    }
    for (const a of alerts.values()) {
      if (a.incident_id && incidents.has(a.incident_id)) continue; // shown as its incident
      list.push({
        kind: "alert", id: a.id, href: `#/alerts/${encodeURIComponent(a.id)}`,
        text: label(`alerts.rule.${a.rule}`, a.rule), site: a.site, active: a.state === "active", at: a.first_at,
      });
    }
    return list.sort((x, y) => (y.overdue ? 1 : 0) - (x.overdue ? 1 : 0) || String(y.at).localeCompare(String(x.at)));
  }

  function render() {
    const list = items();
    const n = list.length;
    const shown = !badge.hidden;
    badge.hidden = n === 0;
    if (shown !== (n > 0)) shell.fit?.(); // the badge takes room from the navigation bar
    badge.dataset.count = String(n);
    badge.textContent = `⚠ ${n}`;
    badge.title = t("alarm.title");
    badge.setAttribute("aria-label", `${t("alarm.title")}: ${n}`);
    document.title = n ? `(${n}) ⚠ ${baseTitle}` : baseTitle;
    if (icon) icon.setAttribute("href", n ? ICON_ALARM : baseIcon);
    if (!n) { open = false; }
    panel.hidden = !open;
    badge.setAttribute("aria-expanded", open ? "true" : "false");
    silent.hidden = n === 0 || Boolean(audio);
    silent.textContent = t("alarm.sound_after_click");
    const sound = h("button", {
      class: "btn small", type: "button", "data-testid": "alarm-mute",
      onclick: (e) => { e.stopPropagation(); localStorage.setItem(MUTE_KEY, muted() ? "0" : "1"); render(); },
    }, muted() ? t("alarm.unmute") : t("alarm.mute"));
    const row = (it) => h("li", {
      class: `alarm-item ${it.overdue ? "overdue" : ""} ${it.active ? "active" : ""}`,
      "data-testid": "alarm-item", "data-kind": it.kind, "data-id": it.id,
    },
    h("a", { href: it.href, onclick: () => { open = false; render(); } },
      `${it.kind === "incident" ? t("alarm.incident") : t("alarm.alert")}: ${it.text}`),
    h("span", { class: "small" }, ` · ${it.site}${it.overdue ? ` · ${t("alarm.overdue")}` : ""}`));
    panel.replaceChildren(
      h("div", { class: "alarm-head" }, h("strong", null, t("alarm.title")), sound),
      h("ul", null, ...list.map(row)),
    );
  }

  function toggle() {
    open = !open;
    render();
  }

  function alertChanged(a) {
    const isNew = !alerts.has(a.id) && a.state === "active";
    if (isOpenAlert(a)) alerts.set(a.id, a);
    else alerts.delete(a.id);
    if (isNew && isOpenAlert(a)) tone();
    render();
  }

  function incidentChanged(inc) {
    const isNew = !incidents.has(inc.id) && !inc.closed_at;
    if (inc.closed_at) incidents.delete(inc.id);
    else incidents.set(inc.id, inc);
    if (isNew) tone();
    render();
  }

  async function load() {
    try {
      const got = await api("/api/v1/alerts", { query: { state: "open", severity: "critical", limit: 200 } });
      alerts.clear();
      for (const a of got.items) alerts.set(a.id, a);
    } catch {
      /* the pages say when the API is down */
    }
    if (shell.can("supervisor", "bureau")) {
      try {
        const got = await api("/api/v1/incidents", { query: { open: true } });
        incidents.clear();
        for (const inc of got.items) incidents.set(inc.id, inc);
      } catch {
        /* idem */
      }
    }
    render();
  }

  const gesture = () => arm();
  const outside = (e) => { if (open && !box.contains(e.target)) { open = false; render(); } };

  return {
    el: box,
    async start() {
      baseTitle = document.title.replace(/^\(\d+\) ⚠ /, "");
      offs.push(onUpdate("alert", alertChanged));
      offs.push(onUpdate("incident", (inc) => shell.can("supervisor", "bureau") && incidentChanged(inc)));
      offs.push(onUpdate("resync", load));
      document.addEventListener("pointerdown", gesture, { once: true, capture: true });
      document.addEventListener("keydown", gesture, { once: true, capture: true });
      document.addEventListener("click", outside);
      await load();
    },
    render,
    stop() {
      for (const off of offs.splice(0)) off();
      document.removeEventListener("click", outside);
      alerts.clear();
      incidents.clear();
      open = false;
      render();
      audio?.close?.();
      audio = null;
    },
  };
}
