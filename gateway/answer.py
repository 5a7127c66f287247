"""`Answer`: the base of every answer model the gateway's API declares (`response_model`).

A key a route sends that its model lacks fails validation (and so the tests) instead of being
dropped from the answer: the described answers in /openapi.json stay true to what is sent
(`tests/support/openapi.py` checks that every route declares one)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
