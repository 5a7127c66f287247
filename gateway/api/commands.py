"""POST /api/v1/nodes/{site}/{node}/commands: send a command (e.g. the desk page's wand result)
to a node; GET …/commands/{id} shows whether the node acknowledged it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import Command
from gateway.answer import Answer
from gateway.api.context import Broker
from gateway.api.deps import Db, require, require_command
from gateway.auth.tokens import Principal
from gateway.store.times import iso

router = APIRouter(prefix="/api/v1", tags=["commands"])

MAX_ARGS_BYTES = 16 * 1024
"""Largest command arguments as JSON: commands are small (a wand result, an outcome)."""
MAX_ARGS_DEPTH = 8
"""Deepest nesting of command arguments (900 levels once failed after the row was stored)."""


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, counted iteratively and only up to `limit` + 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


Operator = Annotated[Principal, require_command("desk", "supervisor")]


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(pattern=r"^[a-z_]{1,32}$", description="e.g. wand_result, outcome, ping")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description=f"action arguments (JSON of at most {MAX_ARGS_BYTES} bytes, "
        f"{MAX_ARGS_DEPTH} levels deep)",
    )

    @field_validator("args")
    @classmethod
    def _small(cls, args: dict[str, Any]) -> dict[str, Any]:
        if _depth(args, MAX_ARGS_DEPTH) > MAX_ARGS_DEPTH:
            raise ValueError(f"args nested deeper than {MAX_ARGS_DEPTH} levels")
        size = len(json.dumps(args, ensure_ascii=False).encode())
        if size > MAX_ARGS_BYTES:
            raise ValueError(f"args of {size} bytes; at most {MAX_ARGS_BYTES}")
        return args


class CommandRow(Answer):
    """A command sent to a node, and the node's acknowledgement once it came."""

    id: str = Field(description="command id (the node acknowledges by it)")
    site: str = Field(description="site slug")
    node: str = Field(description="node slug")
    action: str = Field(description="e.g. wand_result, outcome, ping")
    args: dict[str, Any] = Field(description="action arguments as sent")
    sent_at: str = Field(description="when it was sent, UTC ISO")
    sent_by: str = Field(description="user or token that sent it")
    acked_at: str | None = Field(description="when the node acknowledged it; null: not yet")
    ok: bool | None = Field(description="the node carried it out; null: no acknowledgement yet")
    error: str | None = Field(description="why the node refused it, if it did")


class CommandSent(Answer):
    id: str = Field(description="command id: GET …/commands/{id} shows its acknowledgement")


@router.post("/nodes/{site}/{node}/commands", status_code=202)
def send_command(
    site: str,
    node: str,
    body: CommandRequest,
    db: Db,
    who: Operator,
    publish: Broker,  # after the caller: a stranger gets 401, not "no broker"
) -> CommandSent:
    try:
        topic = topics.cmd(site, node)
    except ContractError as exc:
        raise HTTPException(422, str(exc)) from None
    cmd = Command(id=codec.new_id(), action=body.action, args=body.args, ts=datetime.now(UTC))
    try:  # encoded before the row is stored: a command is never shown as sent but unsendable
        payload = codec.encode(cmd)
    except (ContractError, ValueError, RecursionError) as exc:
        raise HTTPException(422, f"command cannot be encoded: {exc}") from None
    with db.atomic():
        db.execute(
            "INSERT INTO commands (id, site, node, action, args, sent_at, sent_by) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                cmd.id,
                site,
                node,
                cmd.action,
                json.dumps(cmd.args, ensure_ascii=False),
                iso(cmd.ts),
                who.name,
            ),
        )
    publish(topic, payload)
    return CommandSent(id=cmd.id)


@router.get(
    "/nodes/{site}/{node}/commands/{command_id}",
    response_model=CommandRow,
    dependencies=[require("desk", "supervisor")],
)
def get_command(site: str, node: str, command_id: str, db: Db) -> dict[str, Any]:
    """One command and whether the node acknowledged it (`ok`, `acked_at`, `error`)."""
    cur = db.execute(
        "SELECT * FROM commands WHERE id=? AND site=? AND node=?", (command_id, site, node)
    )
    row = cur.fetchone()
    if row is None:
        raise HTTPException(404, f"no command {command_id}")
    names = [d[0] for d in cur.description]
    result = dict(zip(names, row, strict=True))
    result["args"] = json.loads(result["args"] or "{}")
    result["ok"] = None if result["ok"] is None else bool(result["ok"])
    return result
