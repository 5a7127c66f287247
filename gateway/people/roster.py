"""Foster-home rosters from placements, for the alert engine and the dashboard.

The alert engine compares head counts with `[alerts.sites.<slug>]`: `roster_total` (the whole
site, summed over `total_cameras`) or a per-camera `roster`. When people are placed at a site,
the number placed and present (gateway/people/placements.py) replaces the hand-set figure:

- a site with `total_cameras` gets `roster_total` = the placed count;
- a site without them but with exactly one camera in `roster` (one room watched) gets that
  camera's figure replaced;
- otherwise the placed count is shown but cannot be compared (there is no camera total to
  compare it with) and the config stays as it is.

Sites with no current placement keep the config's roster (the fallback). `RosterProvider` is
what the AlertService asks each tick (`AlertService.rosters`); it keeps the last good answer
when the database is busy, so alerting never stalls on it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pydantic import BaseModel, Field

from gateway.alerts.config import AlertsConfig, SiteConfig
from gateway.people.placements import placed_counts
from gateway.store.db import connect

log = logging.getLogger(__name__)


class SiteRoster(BaseModel):
    """A site's expected head count and where it comes from."""

    site: str
    placed: int = Field(description="people placed there and present")
    configured: int | None = Field(None, description="the hand-set roster in gateway.toml")
    in_force: int | None = Field(None, description="what the alert engine compares with")
    source: str = Field(description="placements, config, or placements_not_comparable")


def apply_rosters(config: AlertsConfig, counts: dict[str, int]) -> AlertsConfig:
    """`config` with the placed counts in force (pure)."""
    if not counts:
        return config
    sites = dict(config.sites)
    for site, n in counts.items():
        cfg = sites.get(site, SiteConfig())
        if cfg.total_cameras:
            sites[site] = cfg.model_copy(update={"roster_total": n})
        elif len(cfg.roster) == 1:
            sites[site] = cfg.model_copy(update={"roster": {next(iter(cfg.roster)): n}})
    return config.model_copy(update={"sites": sites})


def site_rosters(config: AlertsConfig, counts: dict[str, int]) -> list[SiteRoster]:
    out = []
    for site in sorted(set(counts) | set(config.sites)):
        cfg = config.sites.get(site, SiteConfig())
        configured = cfg.roster_total
        if configured is None and len(cfg.roster) == 1:
            configured = next(iter(cfg.roster.values()))
        placed = counts.get(site, 0)
        comparable = bool(cfg.total_cameras) or len(cfg.roster) == 1
        if site in counts:
            source = "placements" if comparable else "placements_not_comparable"
            in_force = placed if comparable else None
        else:
            source, in_force = "config", configured
        if site in counts or configured is not None:
            out.append(
                SiteRoster(
                    site=site,
                    placed=placed,
                    configured=configured,
                    in_force=in_force,
                    source=source,
                )
            )
    return out


class RosterProvider:
    """Callable for `AlertService.rosters`: configured rosters → the ones in force."""

    def __init__(self, db_path: Path | str, *, every_s: float = 5.0) -> None:
        self.db_path = db_path
        self.every_s = every_s
        self._counts: dict[str, int] = {}
        self._at = float("-inf")

    def counts(self) -> dict[str, int]:
        if time.monotonic() - self._at >= self.every_s:
            try:
                db = connect(self.db_path, check_same_thread=False)
                try:
                    self._counts = placed_counts(db)
                finally:
                    db.conn.close()
                self._at = time.monotonic()
            except Exception:  # the last good counts stay in force; retried next tick
                log.exception("placement rosters not read; keeping the last ones")
        return self._counts

    def __call__(self, config: AlertsConfig) -> AlertsConfig:
        return apply_rosters(config, self.counts())
