"""POST /api/v1/nodes/{site}/{node}/commands: send a command (e.g. the desk page's wand result)
to a node; GET …/commands/{id} shows whether the node acknowledged it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from devices.contract import codec, topics
from devices.contract.errors import ContractError
from devices.contract.models import Command
from gateway.api.deps import Db, require, require_command
from gateway.auth.tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["commands"])
Operator = Annotated[Principal, require_command("desk", "supervisor")]


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(pattern=r"^[a-z_]{1,32}$", description="e.g. wand_result, outcome, ping")
    args: dict[str, Any] = Field(default_factory=dict, description="action arguments")


@router.post("/nodes/{site}/{node}/commands", status_code=202)
def send_command(
    site: str,
    node: str,
    body: CommandRequest,
    request: Request,
    db: Db,
    who: Operator,
) -> dict[str, str]:
    publish = getattr(request.app.state, "publish", None)
    if publish is None:
        raise HTTPException(503, "this gateway is not connected to a broker")
    try:
        topic = topics.cmd(site, node)
    except ContractError as exc:
        raise HTTPException(422, str(exc)) from None
    cmd = Command(id=codec.new_id(), action=body.action, args=body.args, ts=datetime.now(UTC))
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
                cmd.ts.isoformat(),
                who.name,
            ),
        )
    publish(topic, codec.encode(cmd))
    return {"id": cmd.id}


@router.get(
    "/nodes/{site}/{node}/commands/{command_id}", dependencies=[require("desk", "supervisor")]
)
def get_command(site: str, node: str, command_id: str, db: Db) -> dict[str, Any]:
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
