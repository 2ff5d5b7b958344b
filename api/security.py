"""Security headers on every response, API and pages alike.

Pages load scripts and styles from /static only (data for charts travels in
`<script type="application/json">` blocks, which browsers never execute), so the policy is
'self' with no inline code. Swagger UI and ReDoc start themselves with an inline script, so
their two pages alone may run inline code.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = (
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
PAGE_POLICY = "; ".join((*_COMMON, "script-src 'self'", "style-src 'self'"))
DOCS_POLICY = "; ".join(
    (
        *_COMMON,
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # ReDoc searches in a worker it builds from a blob
    )
)
FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Add CSP, framing, sniffing and referrer headers to every HTTP response."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...] = ("/docs", "/redoc")) -> None:
        self.app = app
        self.docs_paths = docs_paths

    def policy_for(self, path: str) -> str:
        """The Content-Security-Policy for a request path."""
        docs = any(path == p or path.startswith(p + "/") for p in self.docs_paths)
        return DOCS_POLICY if docs else PAGE_POLICY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in FIXED_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
