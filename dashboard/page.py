"""The dashboard: `index.html` (the shell) and its static files (ES modules, CSS, i18n).

No build step: the files in `static/` are served as they are. The site's time zone is put
into the page (`<html data-tz>`) so every page formats times the same way.
"""

from __future__ import annotations

import mimetypes
import os
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
DEFAULT_TZ = "Asia/Shanghai"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}


def site_tz() -> str:
    return os.environ.get("STATIONKIT_SITE_TZ", DEFAULT_TZ)


@cache
def index_html(tz: str | None = None) -> str:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return html.replace("__SITE_TZ__", tz or site_tz())


def static_file(path: str) -> tuple[Path, str] | None:
    """The file under `static/` for a URL path, with its content type; None if there is no
    such file or the path leaves the folder."""
    if not path or "\x00" in path:
        return None
    root = STATIC.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    kind = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
    return target, kind or "application/octet-stream"
