"""A calendar server on loopback for tests of calendar feeds.

A real HTTP server (threading http.server on 127.0.0.1, a free port) that can be
told what to answer:

    server.serve(ics_bytes, etag='"v1"')   # 200, or 304 when If-None-Match matches
    server.fail(500)                       # an error status
    server.hold()                          # answer nothing until released (timeouts)
    server.serve(b"<html>...", content_type="text/html")
    server.serve(big, send_length=False)   # a body with no Content-Length

`server.requests` records each request's path and headers.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        fake = self.server.fake
        with fake.lock:
            fake.requests.append({"path": self.path, "headers": dict(self.headers)})
            mode = dict(fake.mode)
        if mode.get("hold"):
            fake.released.wait(timeout=30)
            return
        status = mode.get("status", 200)
        etag = mode.get("etag")
        if status == 200 and etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        body = mode.get("body", b"")
        self.send_response(status)
        self.send_header("Content-Type", mode.get("content_type", "text/calendar; charset=utf-8"))
        if etag:
            self.send_header("ETag", etag)
        if mode.get("send_length", True):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (a body over its size limit)

    def log_message(self, format, *args):
        pass


class ICSServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.released = threading.Event()
        self.mode = {"status": 404, "body": b"no calendar here"}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, path="/calendar.ics"):
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, body, *, content_type="text/calendar; charset=utf-8", etag=None, send_length=True):
        if isinstance(body, str):
            body = body.encode()
        self._set(status=200, body=body, content_type=content_type, etag=etag, send_length=send_length)

    def fail(self, status=500, body=b"Internal Server Error"):
        self._set(status=status, body=body, content_type="text/plain")

    def hold(self):
        """Accept requests and answer nothing until release() or stop()."""
        self.released.clear()
        self._set(hold=True)

    def release(self):
        self.released.set()

    def _set(self, **mode):
        with self.lock:
            self.mode = mode

    def stop(self):
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
