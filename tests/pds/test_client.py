"""``pds.Client`` sends its token (or a data service's API key) to the server it logged in
to, and to no other: not to an address an answer names, nor along a redirect."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pds.client import Client


@pytest.fixture
def servers():
    """Two servers on 127.0.0.1 (two origins): each records the Authorization header it is
    sent; ``/away`` redirects to the other one, ``/here`` to its own ``/landed``, and
    ``/list`` answers a page whose next link is on the other one."""
    heard: dict[str, list] = {"home": [], "other": []}
    started = []

    def handler_for(name):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                heard[name].append((self.path, self.headers.get("Authorization")))
                own = self.server.server_address[1]
                other = started[1 - started.index(self.server)].server_address[1]
                if self.path.endswith("/away"):
                    self._redirect(f"http://127.0.0.1:{other}/api/v1/landed")
                elif self.path.endswith("/here"):
                    self._redirect(f"http://127.0.0.1:{own}/api/v1/landed")
                elif self.path.endswith("/list"):
                    page = {"results": [1], "next": f"http://127.0.0.1:{other}/api/v1/list2"}
                    self._json(page)
                else:
                    self._json({"results": [2], "next": None})

            def _redirect(self, where):
                self.send_response(302)
                self.send_header("Location", where)
                self.end_headers()

            def _json(self, value):
                body = json.dumps(value).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    for name in ("home", "other"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(name))
        started.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    home = f"http://127.0.0.1:{started[0].server_address[1]}"
    yield home, heard
    for server in started:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_another_origin_carries_no_token(servers):
    home, heard = servers
    client = Client(home, "secret-token")
    client.get("here")
    assert heard["home"][-1] == ("/api/v1/landed", "Token secret-token")
    client.get("away")
    assert heard["other"] == [("/api/v1/landed", None)]


def test_an_api_key_does_not_follow_a_redirect_to_another_origin(servers):
    home, heard = servers
    Client(home).request("GET", "away", api_key="sbx_abcdefgh_" + "k" * 40)
    assert heard["other"] == [("/api/v1/landed", None)]


def test_a_link_to_another_origin_is_followed_without_the_token(servers):
    home, heard = servers
    assert Client(home, "secret-token").listing("list") == [1, 2]
    assert heard["home"] == [("/api/v1/list", "Token secret-token")]
    assert heard["other"] == [("/api/v1/list2", None)]
