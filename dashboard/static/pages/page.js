// The parts every page module shares (docs/dashboard.md, "Page-module interface"): `page()`
// returns the default export with the nav title "nav.<id>" and the page's own i18n file; before
// the page's `mount` runs, its stylesheet (pages/<css>.css: the id unless given, none for
// `css: null`) is added and the context is kept as `this.ctx` for the page's other methods.

import { pageCss } from "./css.js";

export const ALL_ROLES = ["desk", "supervisor", "bureau", "admin"];

export function page({ id, roles, css = id, mount, ...methods }) {
  return {
    id,
    roles,
    title_key: `nav.${id}`,
    i18n: true,
    ...methods,
    async mount(el, ctx) {
      if (css) pageCss(css);
      this.ctx = ctx;
      return mount.call(this, el, ctx);
    },
  };
}

// Live updates redraw parts of a page while someone may be typing in them: `redraw()` runs,
// then the field that had the focus inside `container` gets it back, with its caret. A field is
// found again by its data-testid, within the row (data-id or data-person) it sits in when there
// are several alike. What was typed is the page's to keep (a draft in its state): the element
// is usually new.
export function keepingFocus(container, redraw) {
  const active = document.activeElement;
  let selector = null;
  let caret = null;
  if (container && active && container.contains(active) && active.dataset.testid) {
    selector = `[data-testid="${active.dataset.testid}"]`;
    const row = active.parentElement?.closest("[data-id], [data-person]");
    if (row && container.contains(row)) {
      const attr = row.hasAttribute("data-id") ? "data-id" : "data-person";
      selector = `[${attr}="${CSS.escape(row.getAttribute(attr))}"] ${selector}`;
    }
    try { caret = [active.selectionStart, active.selectionEnd]; } catch { caret = null; }
  }
  redraw();
  const again = selector ? container.querySelector(selector) : null;
  if (!again) return;
  again.focus();
  if (caret && caret[0] !== null) {
    try { again.setSelectionRange(caret[0], caret[1]); } catch { /* not a text field */ }
  }
}
