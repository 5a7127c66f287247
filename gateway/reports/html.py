"""The printable HTML incident report (jinja2, autoescape on: summaries, names, comments and
device text are typed by people and must never become markup).

The template lives in this module rather than in a package-data file, so an installed wheel
cannot lose it.
"""

from __future__ import annotations

import base64
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from gateway.reports import i18n
from gateway.reports.incident import ReportData, plain
from gateway.reports.missing import MissingReport, person_rows
from gateway.reports.missing import label as missing_label
from gateway.reports.times import local, offset_label

PAGE = """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}">
<head>
<meta charset="utf-8">
{% block meta %}{% endblock %}
<title>{{ L('title') }} {{ inc.id }}</title>
<style>
{% block style %}{% endblock %}
</style>
</head>
<body>
<h1>{{ L('title') }}</h1>
<p class="note">{{ L('times_note', tz=tz_name, offset=offset) }}</p>
{% block body %}{% endblock %}
</body>
</html>
"""
"""The page both reports share: its head, the title and the note on the times shown."""

TEMPLATE = """{% extends "page.html" %}
{% block meta %}
<meta name="viewport" content="width=device-width, initial-scale=1">
{% endblock %}
{% block style %}
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", SimSun, "Songti SC", serif;
         font-size: 11pt; color: #000; max-width: 190mm; margin: 0 auto; line-height: 1.45; }
  h1 { text-align: center; font-size: 18pt; margin: 0 0 4mm; }
  h2 { font-size: 13pt; border-bottom: 1px solid #000; margin: 6mm 0 2mm; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #555; padding: 1.2mm 2mm; vertical-align: top; text-align: left;
           overflow-wrap: anywhere; }
  th { background: #eee; font-weight: bold; }
  table.kv th { width: 28%; }
  tr, .snap { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  .note { font-size: 9pt; color: #333; }
  .time { white-space: nowrap; font-variant-numeric: tabular-nums; }
  .met { color: #060; } .late, .missed { color: #a00; font-weight: bold; } .pending { color: #840; }
  .snaps { display: flex; flex-wrap: wrap; gap: 3mm; }
  .snap { width: 88mm; margin: 0; }
  .snap img { width: 100%; height: auto; border: 1px solid #555; }
  .snap figcaption { font-size: 8.5pt; }
  .summary { white-space: pre-wrap; border: 1px solid #555; padding: 2mm; }
  .signature { margin-top: 12mm; }
  @media screen { body { padding: 8mm; } }
  @media print { a { color: inherit; text-decoration: none; } }
{% endblock %}
{% block body %}

<table class="kv" id="header">
  <tr><th>{{ t('station') }}</th><td>{{ inc.site }}</td></tr>
  {% if inc.node %}<tr><th>{{ t('node') }}</th><td>{{ inc.node }}</td></tr>{% endif %}
  <tr><th>{{ t('category') }}</th><td>{{ term(inc.category) }}</td></tr>
  <tr><th>{{ t('incident_id') }}</th><td>{{ inc.id }}</td></tr>
  {% if inc.alert_id %}<tr><th>{{ t('alert_id') }}</th><td>{{ inc.alert_id }}</td></tr>{% endif %}
  <tr><th>{{ t('opened_at') }}</th><td class="time">{{ when(r.opened_at) }}</td></tr>
  {% if r.closed_at %}<tr><th>{{ t('closed_at') }}</th>
    <td class="time">{{ when(r.closed_at) }}</td></tr>{% endif %}
  <tr><th>{{ t('generated_at') }}</th><td class="time">{{ when(r.generated_at) }}</td></tr>
</table>

<h2>{{ t('deadlines') }}</h2>
<table id="deadlines">
  <thead><tr><th>{{ t('deadline') }}</th><th>{{ t('due') }}</th><th>{{ t('done_at') }}</th>
    <th>{{ t('by') }}</th><th>{{ t('to') }}</th><th>{{ t('status') }}</th></tr></thead>
  {% for d in r.deadlines %}
  <tr><td>{{ t(d.which) }}</td><td class="time">{{ when(d.due) }}</td>
    <td class="time">{{ when(d.done_at) }}</td><td>{{ d.by }}</td><td>{{ d.to }}</td>
    <td class="{{ d.status }}">{{ t(d.status) }}</td></tr>
  {% endfor %}
</table>

<h2>{{ t('summary') }}</h2>
<div class="summary" id="summary">{{ inc.summary or t('none') }}</div>

<h2>{{ t('people') }}</h2>
{% if r.people %}<ol id="people">{% for p in r.people %}<li>{{ p }}</li>{% endfor %}</ol>
{% else %}<p>{{ t('none') }}</p>{% endif %}

<h2>{{ t('timeline') }}</h2>
<p class="note">{{ t('window', before=r.window_before_min, after=r.window_after_min,
  site=inc.site, node=('/' ~ inc.node) if inc.node else '') }}
  {% if r.events_truncated %}{{ t('truncated', n=r.events_shown) }}{% endif %}</p>
<table id="timeline">
  <colgroup><col style="width:23%"><col style="width:8%"><col style="width:13%">
    <col style="width:13%"><col></colgroup>
  <thead><tr><th>{{ t('time') }}</th><th>{{ t('source') }}</th><th>{{ t('actor') }}</th>
    <th>{{ t('action') }}</th><th>{{ t('detail') }}</th></tr></thead>
  {% for e in r.timeline %}
  <tr class="entry src-{{ e.source }}"><td class="time">{{ when(e.at) }}</td>
    <td>{{ t('src_' ~ e.source) }}</td><td>{{ e.actor }}</td><td>{{ term(e.action) }}</td>
    <td>{{ e.detail }}</td></tr>
  {% endfor %}
</table>

<h2>{{ t('device_data') }}</h2>
{% if r.trigger %}
<table class="kv" id="trigger">
  <tr><th>{{ t('trigger') }}</th><td>{{ term(r.trigger.kind) }}</td></tr>
  <tr><th>{{ t('event_id') }}</th><td>{{ r.trigger.id }}</td></tr>
  <tr><th>{{ t('time') }}</th><td class="time">{{ when(r.trigger.at) }}</td></tr>
  <tr><th>{{ t('node') }}</th><td>{{ r.trigger.node }}</td></tr>
  {% if r.trigger.device %}<tr><th>{{ t('device') }}</th>
    <td>{{ r.trigger.device }}</td></tr>{% endif %}
  {% for k, v in r.trigger.data.items() %}
  <tr><th>{{ k }}</th><td>{{ plain(v) }}</td></tr>
  {% endfor %}
</table>
{% endif %}
{% if r.checks %}
<h3>{{ t('checks') }}</h3>
<table id="checks">
  <thead><tr><th>{{ t('time') }}</th><th>{{ t('node') }}</th><th>{{ t('outcome') }}</th>
    <th>{{ t('celsius') }}</th><th>{{ t('items') }}</th><th>{{ t('operator') }}</th></tr></thead>
  {% for c in r.checks %}
  <tr><td class="time">{{ when(c.started) }}</td><td>{{ c.node }}</td>
    <td>{{ term(c.outcome) }}</td><td>{{ c.celsius if c.celsius is not none else '' }}</td>
    <td>{{ c.items_text }}</td><td>{{ c.operator or '' }}</td></tr>
  {% endfor %}
</table>
{% endif %}
{% if not r.trigger and not r.checks %}<p>{{ t('none') }}</p>{% endif %}

<h2>{{ t('snapshots') }}</h2>
{% if r.snapshots %}
<div class="snaps" id="snapshots">
  {% for s in r.snapshots %}
  <figure class="snap"><img alt="{{ s.name }}" src="data:image/jpeg;base64,{{ b64(s.jpeg) }}">
    <figcaption>{{ when(s.at) }} · {{ s.name }}</figcaption></figure>
  {% endfor %}
</div>
{% else %}<p class="note">{{ t('no_snapshots') }}</p>{% endif %}
{% if r.clips %}<p class="note">{{ t('clips') }}: {{ r.clips|join(', ') }}</p>{% endif %}

<h2>{{ t('reports') }}</h2>
<table id="reports">
  <thead><tr><th>{{ t('report_kind') }}</th><th>{{ t('done_at') }}</th><th>{{ t('by') }}</th>
    <th>{{ t('to') }}</th><th>{{ t('detail') }}</th></tr></thead>
  {% for d in r.deadlines %}
  <tr><td>{{ t(d.which) }}</td><td class="time">{{ when(d.done_at) or t(d.status) }}</td>
    <td>{{ d.by }}</td><td>{{ d.to }}</td><td></td></tr>
  {% endfor %}
  {% for e in r.report_notes %}
  <tr><td>{{ term(e.action) }}</td><td class="time">{{ when(e.at) }}</td><td>{{ e.actor }}</td>
    <td></td><td>{{ e.detail }}</td></tr>
  {% endfor %}
</table>

<p class="signature">{{ t('signature') }}</p>
{% endblock %}
"""

MISSING_TEMPLATE = """{% extends "page.html" %}
{% block style %}
  @page { size: A4; margin: 14mm 14mm; }
  body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", SimSun, serif; font-size: 10.5pt;
         max-width: 190mm; margin: 0 auto; line-height: 1.4; }
  h1 { text-align: center; font-size: 17pt; margin: 0 0 3mm; }
  h2 { font-size: 12pt; border-bottom: 1px solid #000; margin: 4mm 0 1.5mm; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #555; padding: 1mm 2mm; vertical-align: top; text-align: left; }
  th { background: #eee; } table.kv th { width: 28%; }
  .person { display: flex; gap: 3mm; margin-bottom: 2mm; page-break-inside: avoid; }
  .person img { width: 48mm; height: auto; border: 1px solid #555; }
  .note { font-size: 9pt; color: #333; } .time { white-space: nowrap; }
  .narrative { white-space: pre-wrap; border: 1px solid #555; padding: 2mm; }
{% endblock %}
{% block body %}
<table class="kv" id="header">
  <tr><th>{{ L('station') }}</th><td>{{ inc.site }}</td></tr>
  <tr><th>{{ L('incident_id') }}</th><td>{{ inc.id }}</td></tr>
  <tr><th>{{ L('detected_by') }}</th><td>{{ L(m.detected_by) if m.detected_by else '' }}</td></tr>
  <tr><th>{{ L('last_seen_at') }}</th>
    <td class="time">{{ when(m.last_seen_at) }}</td></tr>
  <tr><th>{{ L('last_seen_where') }}</th>
    <td>{{ m.last_seen_where }}</td></tr>
  <tr><th>{{ L('generated_at') }}</th><td class="time">{{ when(r.generated_at) }}</td></tr>
</table>
<h2>{{ L('who') }}</h2>
{% if not m.people %}<p>{{ L('no_people') }}</p>{% endif %}
{% for p in m.people %}
<div class="person" data-person="{{ p.get('id', '') }}">
  {% if portraits.get(p.get('id')) %}<img alt="{{ L('names') }}" src="{{ portraits[p.get('id')] }}">
  {% else %}<p class="note">{{ L('no_portrait') }}</p>{% endif %}
  <div><p class="note">{{ L('role_named') if p.get('role') == 'named' else L('role_possible') }}</p>
  <table class="kv">{% for k, v in rows(p) %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
  </table></div>
</div>
{% endfor %}
<h2>{{ L('narrative') }}</h2>
<div class="narrative" id="narrative">{{ m.narrative or '—' }}</div>
<h2>{{ L('actions') }}</h2>
{% if m.actions %}<table id="actions"><tr><th>{{ L('time') }}</th><th>{{ L('action') }}</th>
  <th>{{ L('note') }}</th><th>{{ L('by') }}</th></tr>
{% for a in m.actions %}<tr><td class="time">{{ when(a.at) }}</td><td>{{ L(a.kind) }}</td>
  <td>{{ a.note }}</td><td>{{ a.by }}</td></tr>{% endfor %}</table>
{% else %}<p>{{ L('no_actions') }}</p>{% endif %}
<h2>{{ L('reports') }}</h2>
<table id="reports"><tr><th>{{ L('reports') }}</th><th>{{ L('due') }}</th>
  <th>{{ L('done_at') }}</th>
  <th>{{ L('by') }}</th><th>{{ L('to') }}</th><th>{{ L('status') }}</th></tr>
{% for d in r.deadlines %}<tr><td>{{ L(d.which) }}</td><td class="time">{{ when(d.due) }}</td>
  <td class="time">{{ when(d.done_at) }}</td><td>{{ d.by }}</td><td>{{ d.to }}</td>
  <td>{{ t(d.status) }}</td></tr>{% endfor %}
{% for e in r.report_notes %}<tr><td>{{ term(e.action) }}</td><td></td>
  <td class="time">{{ when(e.at) }}</td><td>{{ e.actor }}</td><td></td><td>{{ e.detail }}</td></tr>
{% endfor %}</table>
<h2>{{ L('related') }}</h2>
{% if m.related %}<table id="related"><tr><th>{{ L('time') }}</th><th>{{ L('kind') }}</th>
  <th>{{ L('where') }}</th><th>{{ L('detail') }}</th></tr>
{% for e in m.related %}<tr><td class="time">{{ when(e.at) }}</td>
  <td>{{ term(e.kind) }}{{ ' ★' if e.trigger else '' }}</td><td>{{ e.where }}</td>
  <td>{{ e.detail }}</td></tr>{% endfor %}</table>
{% else %}<p>{{ L('no_related') }}</p>{% endif %}
{% if m.snapshots %}<h2>{{ L('snapshots') }}</h2>
{% for sn in m.snapshots %}<figure class="snap"><img style="width:88mm" alt="{{ sn.name }}"
  src="data:image/jpeg;base64,{{ b64(sn.jpeg) }}"><figcaption>{{ when(sn.at) }} · {{ sn.name }}
  </figcaption></figure>{% endfor %}{% endif %}
<p class="signature">{{ L('signature') }}</p>
{% if m.appendix %}<h2>{{ L('appendix') }}</h2>
<table id="appendix">{% for e in r.timeline %}<tr><td class="time">{{ when(e.at) }}</td>
  <td>{{ term(e.action) }}</td><td>{{ e.actor }}</td><td>{{ e.detail }}</td></tr>{% endfor %}
</table>{% endif %}
{% endblock %}
"""

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader(
        {"page.html": PAGE, "incident.html": TEMPLATE, "missing.html": MISSING_TEMPLATE}
    ),
    autoescape=True,  # always on: this HTML is built from user input
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: ReportData, lang: str, tz: ZoneInfo) -> bytes:
    def t(key: str, **fmt: Any) -> str:
        return i18n.text(lang, key, **fmt)

    def term(word: str | None) -> str:
        return i18n.term(lang, word)

    page = _ENV.get_template("incident.html").render(
        lang=lang,
        r=report,
        inc=report.incident,
        t=t,
        L=t,
        term=term,
        when=lambda dt: local(dt, tz),
        plain=plain,
        b64=lambda data: base64.b64encode(data).decode("ascii"),
        tz_name=tz.key,
        offset=offset_label(tz, report.opened_at),
    )
    return page.encode("utf-8")


def render_missing_html(m: MissingReport, lang: str, tz: ZoneInfo) -> bytes:
    """The missing-person report (gateway/reports/missing.py) as printable HTML; portraits are
    embedded as data: URIs so the file stands alone."""

    def portrait_uri(data: bytes) -> str:
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    page = _ENV.get_template("missing.html").render(
        lang=lang,
        m=m,
        r=m.base,
        inc=m.base.incident,
        L=lambda key, **fmt: missing_label(lang, key, **fmt),
        t=lambda key, **fmt: i18n.text(lang, key, **fmt),
        term=lambda word: i18n.term(lang, word),
        rows=lambda p: person_rows(p, lang),
        portraits={k: portrait_uri(v) for k, v in m.portraits.items()},
        b64=lambda data: base64.b64encode(data).decode("ascii"),
        when=lambda dt: local(dt, tz),
        tz_name=tz.key,
        offset=offset_label(tz, m.base.opened_at),
    )
    return page.encode("utf-8")
