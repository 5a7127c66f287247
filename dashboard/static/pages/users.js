// Users and API tokens (admins): add a user with a role and the sites they may see, reset a
// password, change the sites, disable or enable; make an API token (shown once) or disable
// one. Every change is audited by the gateway (gateway/api/routes/users.py). Every field has
// a visible label.

import { page } from "./page.js";

const enc = encodeURIComponent;
const ROLES = ["desk", "supervisor", "bureau", "admin"];

const siteList = (text) => {
  const list = text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
  return list.length ? list : null; // none: every site
};

export default page({
  id: "users",
  roles: ["admin"],

  async mount(el, ctx) {
    const { h, t } = ctx;
    this.users = h("div", { dataset: { testid: "users" } });
    this.tokens = h("div", { dataset: { testid: "tokens" } });
    el.append(
      h("section", { class: "card" }, h("h2", null, t("users.title")), this.userForm(), this.users),
      h("section", { class: "card" }, h("h2", null, t("users.tokens")), h("p", { class: "muted small" }, t("users.tokens_note")), this.tokenForm(), this.tokens),
    );
    await Promise.all([this.loadUsers(), this.loadTokens()]);
  },

  fail(e) {
    this.ctx.toast(`${this.ctx.t("users.failed")}: ${e.detail || e.message}`, "error");
  },

  field(label, input) {
    return this.ctx.h("label", { class: "us-field" }, h2span(this.ctx, label), input);
  },

  roleSelect(testid) {
    const { h, t } = this.ctx;
    return h("select", { dataset: { testid } }, ...ROLES.map((r) => h("option", { value: r }, t(`role.${r}`))));
  },

  userForm() {
    const { h, t } = this.ctx;
    const name = h("input", { type: "text", maxlength: "64", required: true, autocomplete: "off", dataset: { testid: "user-name" } });
    const role = this.roleSelect("user-role");
    const password = h("input", { type: "password", required: true, autocomplete: "new-password", dataset: { testid: "user-password" } });
    const sites = h("input", { type: "text", dataset: { testid: "user-sites" } });
    const lang = h("select", { dataset: { testid: "user-lang" } }, h("option", { value: "zh-CN" }, "中文"), h("option", { value: "en" }, "English"));
    const form = h("form", { class: "us-form", dataset: { testid: "user-form" }, onsubmit: async (e) => {
      e.preventDefault();
      try {
        await this.ctx.api("/api/v1/users", { method: "POST", body: { username: name.value.trim(), role: role.value, password: password.value, lang: lang.value, sites: siteList(sites.value) } });
        this.ctx.toast(t("users.added", { name: name.value.trim() }), "ok");
        form.reset();
        await this.loadUsers();
      } catch (err) { this.fail(err); }
    } },
    this.field(t("users.f.name"), name), this.field(t("users.f.role"), role), this.field(t("users.f.password"), password),
    this.field(t("users.f.sites"), sites), this.field(t("users.f.lang"), lang),
    h("button", { class: "btn primary", type: "submit", dataset: { testid: "user-add" } }, t("users.add")));
    return h("details", { class: "us-new" }, h("summary", { dataset: { testid: "user-new" } }, t("users.new")), form);
  },

  async loadUsers() {
    const { h, t, fmtTime } = this.ctx;
    try {
      const { items } = await this.ctx.api("/api/v1/users");
      this.users.replaceChildren(h("table", { class: "grid" },
        h("tr", null, ...["name", "role", "sites", "state", "last_login", "actions"].map((k) => h("th", null, t(`users.col.${k}`)))),
        ...items.map((u) => this.userRow(u))));
    } catch (e) {
      this.users.textContent = `${t("users.failed")}: ${e.detail || e.message}`;
    }
  },

  userRow(u) {
    const { h, t, fmtTime } = this.ctx;
    const act = async (path, method, body, done) => {
      try {
        await this.ctx.api(`/api/v1/users/${enc(u.username)}/${path}`, { method, body });
        this.ctx.toast(t(done, { name: u.username }), "ok");
        await this.loadUsers();
      } catch (e) { this.fail(e); }
    };
    const pw = h("input", { type: "password", autocomplete: "new-password", "aria-label": t("users.f.new_password"), placeholder: t("users.f.new_password"), dataset: { testid: "reset-password" } });
    const sites = h("input", { type: "text", value: (u.sites || []).join(", "), "aria-label": t("users.f.sites"), dataset: { testid: "edit-sites" } });
    const self = u.username === this.ctx.user.name;
    return h("tr", { dataset: { testid: "user", name: u.username, disabled: u.disabled ? "1" : "" } },
      h("td", null, u.username),
      h("td", null, t(`role.${u.role}`)),
      h("td", null, u.sites ? u.sites.join(", ") : h("span", { class: "muted" }, t("users.all_sites"))),
      h("td", { dataset: { testid: "user-state" } }, u.disabled ? h("span", { class: "badge bad" }, t("users.disabled"))
        : u.locked_until && Date.parse(u.locked_until) > Date.now() ? h("span", { class: "badge warn" }, t("users.locked")) : h("span", { class: "badge ok" }, t("users.active"))),
      h("td", null, u.last_login_at ? fmtTime(u.last_login_at) : "—"),
      h("td", { class: "us-actions" },
        h("div", { class: "toolbar" }, pw, h("button", { class: "btn small", dataset: { testid: "reset" }, onclick: () => pw.value && act("password", "POST", { password: pw.value }, "users.password_set") }, t("users.reset"))),
        h("div", { class: "toolbar" }, sites, h("button", { class: "btn small", dataset: { testid: "save-sites" }, onclick: () => act("sites", "PUT", { sites: siteList(sites.value) }, "users.sites_set") }, t("users.save_sites"))),
        self ? null : u.disabled
          ? h("button", { class: "btn small", dataset: { testid: "enable" }, onclick: () => act("enable", "POST", {}, "users.enabled") }, t("users.enable"))
          : h("button", { class: "btn small danger", dataset: { testid: "disable" }, onclick: () => act("disable", "POST", {}, "users.disabled_done") }, t("users.disable"))));
  },

  tokenForm() {
    const { h, t } = this.ctx;
    const name = h("input", { type: "text", maxlength: "64", required: true, dataset: { testid: "token-name" } });
    const role = this.roleSelect("token-role");
    const sites = h("input", { type: "text", dataset: { testid: "token-sites" } });
    const days = h("input", { type: "number", min: "1", max: "3650", value: "365", dataset: { testid: "token-days" } });
    const shown = h("div", { class: "us-token", hidden: true, dataset: { testid: "token-shown" } });
    const form = h("form", { class: "us-form", onsubmit: async (e) => {
      e.preventDefault();
      try {
        const got = await this.ctx.api("/api/v1/tokens", { method: "POST", body: { name: name.value.trim(), role: role.value, sites: siteList(sites.value), expires_days: days.value ? Number(days.value) : null } });
        shown.replaceChildren(h("strong", null, t("users.token_once")), h("code", { dataset: { testid: "token-value" } }, got.token));
        shown.hidden = false;
        form.reset();
        await this.loadTokens();
      } catch (err) { this.fail(err); }
    } },
    this.field(t("users.f.token_name"), name), this.field(t("users.f.role"), role), this.field(t("users.f.sites"), sites),
    this.field(t("users.f.days"), days), h("button", { class: "btn primary", type: "submit", dataset: { testid: "token-add" } }, t("users.make_token")));
    return h("div", null, h("details", { class: "us-new" }, h("summary", null, t("users.new_token")), form), shown);
  },

  async loadTokens() {
    const { h, t, fmtTime } = this.ctx;
    try {
      const { items } = await this.ctx.api("/api/v1/tokens");
      this.tokens.replaceChildren(items.length ? h("table", { class: "grid" },
        h("tr", null, ...["token", "role", "sites", "state", "expires", "last_used", "actions"].map((k) => h("th", null, t(`users.col.${k}`)))),
        ...items.map((k) => h("tr", { dataset: { testid: "token", name: k.name, state: k.state } },
          h("td", null, k.name), h("td", null, t(`role.${k.role}`)),
          h("td", null, k.sites ? k.sites.join(", ") : t("users.all_sites")),
          h("td", null, t(`users.token_state.${k.state}`)),
          h("td", null, k.expires_at ? fmtTime(k.expires_at) : t("users.never")),
          h("td", null, k.last_used_at ? fmtTime(k.last_used_at) : "—"),
          h("td", null, k.state === "disabled" ? null : h("button", { class: "btn small danger", dataset: { testid: "token-disable" }, onclick: async () => {
            try {
              await this.ctx.api(`/api/v1/tokens/${enc(k.name)}/disable`, { method: "POST", body: {} });
              await this.loadTokens();
            } catch (e) { this.fail(e); }
          } }, t("users.disable"))))))
        : h("div", { class: "empty" }, t("users.no_tokens")));
    } catch (e) {
      this.tokens.textContent = `${t("users.failed")}: ${e.detail || e.message}`;
    }
  },
});

function h2span(ctx, text) {
  return ctx.h("span", { class: "us-label" }, text);
}
