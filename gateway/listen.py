"""`HOST:PORT` settings of the gateway's and the hub's HTTP servers, checked once."""

from __future__ import annotations

from pydantic import BaseModel, field_validator


class ListensOnHttp(BaseModel):
    """A settings model with an `http` field ("HOST:PORT"); the subclass gives its default."""

    http: str

    @field_validator("http")
    @classmethod
    def _host_port(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("must be HOST:PORT")
        return v

    @property
    def http_host(self) -> str:
        return self.http.rpartition(":")[0]

    @property
    def http_port(self) -> int:
        return int(self.http.rpartition(":")[2])
