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
// then the field (by its data-testid) that had the focus inside `container` gets it back. What
// was typed is the page's to keep (a draft in its state), as the element is usually new.
export function keepingFocus(container, redraw) {
  const active = document.activeElement;
  const typing = container && active && container.contains(active) ? active.dataset.testid : null;
  redraw();
  if (typing) container.querySelector(`[data-testid="${typing}"]`)?.focus();
}
