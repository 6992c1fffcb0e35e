"""The HTTP side of ``ankigen serve``: a server on 127.0.0.1 only, answering three things.

``/`` is the live preview page, ``/version`` its version (for the page's reload check), and
``/mathjax/…`` the files of a local MathJax copy given with ``--mathjax`` (a page served
over HTTP cannot load ``file://`` scripts). Nothing else is served: no other file, and no
path that leads out of the MathJax folder. Requests naming another host than this one (a
web page of elsewhere reaching in by DNS rebinding) are refused.
"""

from __future__ import annotations

import errno
import mimetypes
import socketserver
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ankigen.commands.preview import MATHJAX_CDN, is_url, local_mathjax
from ankigen.commands.serve import LivePreview
from ankigen.errors import AnkigenError, Problem, display_path

HOST = "127.0.0.1"
MATHJAX_PREFIX = "/mathjax/"
FILE_TYPES = {".js": "text/javascript", ".json": "application/json", ".woff": "font/woff"}


class PortProblem(Exception):
    """The port cannot be listened on; the message says why and what to do."""


def served_mathjax(mathjax: str | None) -> tuple[str, Path | None]:
    """The MathJax script's URL for the served page, and the folder served under
    ``/mathjax/`` when ``mathjax`` is a local copy (its folder, or the folder of the file
    given). Raises ``AnkigenError`` when a local copy is not there."""
    if not mathjax:
        return MATHJAX_CDN, None
    if is_url(mathjax):
        return mathjax, None
    script = local_mathjax(mathjax).resolve()
    if script.suffix != ".js":  # only a MathJax copy is served, never another folder
        raise AnkigenError(
            [
                Problem(
                    display_path(Path(mathjax)),
                    1,
                    "is no MathJax script or folder: give "
                    "the folder `npm install mathjax@3` made (node_modules/mathjax)",
                )
            ]
        )
    given = Path(mathjax).resolve()
    root = given if given.is_dir() else script.parent
    return MATHJAX_PREFIX + quote(script.relative_to(root).as_posix()), root


def mathjax_file(root: Path, url_path: str) -> Path | None:
    """The file of the MathJax folder ``root`` that ``url_path`` (below ``/mathjax/``) names,
    or ``None`` when it names none or leads out of the folder."""
    relative = unquote(url_path[len(MATHJAX_PREFIX) :])
    if "\x00" in relative or "\\" in relative or relative.startswith("/"):
        return None
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


class PreviewServer(ThreadingHTTPServer):
    """Serves one ``LivePreview`` (and its MathJax folder) on 127.0.0.1."""

    daemon_threads = True  # an open connection never keeps Ctrl-C waiting

    def __init__(self, port: int, live: LivePreview, mathjax_root: Path | None) -> None:
        self.live = live
        self.mathjax_root = mathjax_root
        super().__init__((HOST, port), PreviewHandler)

    def server_bind(self) -> None:
        # HTTPServer's would look up the host's name, which can wait on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}/"

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that goes away mid-answer (a reload) is no error; anything else is said
        in one line, and the server goes on."""
        problem = sys.exc_info()[1]
        if isinstance(problem, ConnectionError | TimeoutError):
            return
        print(f"ankigen serve: a request failed: {problem!r}", file=sys.stderr)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "ankigen-serve"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if not self._host_is_ours():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"not this server\n", "text/plain")
            return
        if path in ("/", "/index.html"):
            page, _ = self.server.live.current()
            self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/version":
            _, version = self.server.live.current()
            self._send(HTTPStatus.OK, version.encode("ascii"), "text/plain; charset=utf-8")
        elif path == "/favicon.ico":  # browsers ask; there is none
            self._send(HTTPStatus.NO_CONTENT, b"", "text/plain")
        elif path.startswith(MATHJAX_PREFIX) and self.server.mathjax_root is not None:
            found = mathjax_file(self.server.mathjax_root, path)
            if found is None:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            kind = FILE_TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0]
            self._send(HTTPStatus.OK, found.read_bytes(), kind or "application/octet-stream", 3600)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _host_is_ours(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        port = self.server.server_port
        return host in {f"{HOST}:{port}", f"localhost:{port}"} or (
            port == 80 and host in {HOST, "localhost"}
        )

    def _send(self, status: HTTPStatus, body: bytes, kind: str, max_age: int = 0) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        cache = f"max-age={max_age}" if max_age else "no-store"
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal shows what the cards need, not every request."""


def open_server(port: int, live: LivePreview, mathjax_root: Path | None) -> PreviewServer:
    """A server listening on 127.0.0.1:``port`` (0: any free port); ``PortProblem`` when the
    port cannot be had."""
    try:
        return PreviewServer(port, live, mathjax_root)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            other = port + 1 if port < 65535 else 8000
            raise PortProblem(
                f"ankigen: port {port} is in use (another server, or an earlier ankigen "
                f"serve?): stop it, or choose another port with --port, e.g. --port {other}"
            ) from None
        if exc.errno == errno.EACCES:
            raise PortProblem(
                f"ankigen: no permission to listen on port {port}: choose a port above 1023 "
                "with --port, e.g. --port 8000"
            ) from None
        raise PortProblem(
            f"ankigen: cannot listen on {HOST}:{port}: {exc.strerror or exc}; "
            "choose another port with --port"
        ) from None


__all__ = ["HOST", "PortProblem", "open_server", "served_mathjax"]
