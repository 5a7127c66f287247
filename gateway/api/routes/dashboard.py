"""GET /static/{path}: the dashboard's files (ES modules, CSS, i18n JSON), no login needed —
they hold no data; every data request goes through the authenticated API."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from dashboard import page

router = APIRouter(include_in_schema=False)


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    found = page.static_file(path)
    if found is None:
        raise HTTPException(404, "no such file")
    file, kind = found
    # no-cache: the browser revalidates (ETag), so a gateway upgrade is seen at the next load
    return FileResponse(file, media_type=kind, headers={"Cache-Control": "no-cache"})
