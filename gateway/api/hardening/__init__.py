"""HTTP hardening of the gateway's API server, below and around the FastAPI app.

- `settings.HttpLimits`: the numbers (`[http_limits]` in gateway.toml).
- `protocol.guarded_protocol`: uvicorn's h11 protocol with a request-receipt deadline and a cap
  on open connections that evicts idle ones first (slowloris, fd exhaustion).
- `middleware`: request body limits (413 before the body is read) and security headers.
"""

from gateway.api.hardening.middleware import BodyLimit, SecurityHeaders
from gateway.api.hardening.protocol import guarded_protocol
from gateway.api.hardening.settings import HttpLimits

__all__ = ["BodyLimit", "HttpLimits", "SecurityHeaders", "guarded_protocol"]
