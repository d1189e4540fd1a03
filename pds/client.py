"""The platform's REST API from Python: a token, JSON in and out, the API's errors as
``PdsError`` with one line of text and the command line's exit code.

    from pds import Client
    client = Client.from_config()          # after `pds login`
    client.scenarios()
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

API = "/api/v1/"

# Exit codes of the command line, one per kind of failure.
EXIT_FAILED = 1  # the server refused, or the job failed
EXIT_USAGE = 2  # wrong usage (argparse exits with it too)
EXIT_LOGIN = 3  # not logged in, or the token expired
EXIT_NOT_FOUND = 4  # no such scenario, job or output (or another organization's)
EXIT_QUOTA = 5  # a quota or rate limit (429)
EXIT_UNREACHABLE = 6  # the server did not answer


class PdsError(Exception):
    """One line for the user, and the exit code of the command that met it."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


def config_path() -> Path:
    """The user's configuration: $XDG_CONFIG_HOME/pds/config.json (~/.config by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "pds" / "config.json"


def config_load() -> dict:
    path = config_path()
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PdsError(f"cannot read {path}: {exc}") from exc


def config_save(values: dict) -> Path:
    """Written readable by the user only (it holds a token)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(values, handle, indent=2)
    return path


def language() -> str:
    """The server's messages in the user's language: Chinese under a zh locale, else
    English (what pds itself says)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


def _message(status: int, body: bytes) -> str:
    """The API's error shape is {"code", "detail", "field"}; DRF's validation errors are
    {field: [messages]}."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status}"
    if isinstance(data, dict) and "detail" in data:
        field = data.get("field")
        return f"{field}: {data['detail']}" if field else str(data["detail"])
    if isinstance(data, dict):
        return "; ".join(
            f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in data.items()
        )
    return str(data)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects, with the credentials to the same origin only (urllib passes every
    header on, to any host and over plain http too)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


_opener = urllib.request.build_opener(_SameOriginRedirects)


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def filename(self) -> str | None:
        disposition = self.headers.get("Content-Disposition", "")
        for part in disposition.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "filename":
                return Path(value.strip('"')).name or None
        return None


class Client:
    """A session with one server, authenticated by a token (``Client.login`` gets one)."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 120):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_config(cls) -> "Client":
        values = config_load()
        if not values.get("url") or not values.get("token"):
            raise PdsError("not logged in: run `pds login --url URL --username U`", EXIT_LOGIN)
        return cls(values["url"], values["token"])

    @classmethod
    def login(cls, url: str, username: str, password: str) -> "Client":
        client = cls(url)
        answer = client.request(
            "POST", "auth/token/", body={"username": username, "password": password}
        )
        client.token = answer.json()["token"]
        return client

    def logout(self) -> None:
        """End this client's token on the server (it no longer authenticates anywhere)."""
        self.request("POST", "auth/token/revoke/")
        self.token = None

    # -- HTTP -----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, body=None, query=None, api_key: str | None = None
    ) -> Response:
        """``path`` under /api/v1/ (or an absolute URL the API gave), with the token, or
        with ``api_key`` (a data service's call), sent to this client's server only (not
        to another named by a link or a redirect); raises PdsError for anything but a 2xx
        answer."""
        url = path if "://" in path else f"{self.url}{API}{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json, */*", "Accept-Language": language()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if _origin(url) == _origin(self.url):  # never to another server
            if api_key:
                headers["Authorization"] = f"ApiKey {api_key}"
            elif self.token:
                headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (the user's server)
        try:
            with _opener.open(request, timeout=self.timeout) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as exc:
            raise self._error(exc.code, exc.headers, exc.read()) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PdsError(
                f"server unreachable at {self.url}: {reason}", EXIT_UNREACHABLE
            ) from None

    def _error(self, status: int, headers, body: bytes) -> PdsError:
        detail = _message(status, body)
        if status == 401:
            return PdsError(
                f"not logged in ({detail}): run `pds login --url URL --username U`", EXIT_LOGIN
            )
        if status == 404:
            return PdsError(f"not found: {detail}", EXIT_NOT_FOUND)
        if status == 429:
            retry = headers.get("Retry-After")
            later = f" (try again in {retry} s)" if retry else ""
            return PdsError(f"quota or rate limit reached: {detail}{later}", EXIT_QUOTA)
        return PdsError(f"refused (HTTP {status}): {detail}")

    def call(self, code: str, api_key: str, parameters: dict) -> dict:
        """A data service's call with an API key of a scenario: its columns and rows."""
        path = f"services/{urllib.parse.quote(code, safe='')}/call"
        return self.request("GET", path, query=parameters, api_key=api_key).json()

    def get(self, path: str, **query):
        return self.request("GET", path, query=query or None).json()

    def post(self, path: str, body=None):
        return self.request("POST", path, body=body if body is not None else {}).json()

    def listing(self, path: str, **query) -> list[dict]:
        """Every item of a paginated listing."""
        found, page = [], self.get(path, **query)
        while True:
            if isinstance(page, list):
                return found + page
            found += page["results"]
            if not page.get("next"):
                return found
            page = self.request("GET", page["next"]).json()

    # -- the platform ---------------------------------------------------------------------

    def me(self) -> dict:
        return self.get("me/")

    def scenarios(self) -> list[dict]:
        return self.listing("scenarios/")

    def scenario(self, wanted: int | str) -> dict:
        """By id, or by exact name among the scenarios the user sees."""
        text = str(wanted).strip()
        if text.isdigit():
            try:
                return self.get(f"scenarios/{int(text)}/")
            except PdsError as exc:
                if exc.code == EXIT_NOT_FOUND:
                    raise PdsError(f"no such scenario: {text}", EXIT_NOT_FOUND) from None
                raise
        named = [s for s in self.scenarios() if s["name"] == text]
        if len(named) != 1:
            problem = "no such scenario" if not named else "several scenarios are named"
            raise PdsError(f"{problem}: {text} (give its id; see `pds scenarios`)", EXIT_NOT_FOUND)
        return named[0]

    def jobs(self, scenario: int | str | None = None) -> list[dict]:
        scenarios = [self.scenario(scenario)] if scenario is not None else self.scenarios()
        found = []
        for item in scenarios:
            found += self.listing(f"scenarios/{item['id']}/jobs/")
        return sorted(found, key=lambda job: job["id"])

    def job(self, job_id: int) -> dict:
        return self.get(f"jobs/{int(job_id)}/")

    def submit(
        self, scenario: int | str, code: str, language: str, *, dry_run: bool = False, name=""
    ) -> dict:
        found = self.scenario(scenario)
        body = {"language": language, "code": code, "dry_run": dry_run, "name": name}
        return self.post(f"scenarios/{found['id']}/jobs/", body)

    def cancel(self, job_id: int) -> dict:
        return self.post(f"jobs/{int(job_id)}/cancel/")

    def output(self, output_id: int) -> dict:
        return self.get(f"outputs/{int(output_id)}/")

    def release(self, outputs: list[int], *, context: str, controls: str, exception: str = ""):
        """One release request for outputs of one scenario."""
        scenarios = {self.output(o)["scenario"] for o in outputs}
        if len(scenarios) != 1:
            raise PdsError("a release request holds outputs of one scenario only")
        items = [
            {"output": int(o), "context": context, "controls": controls, "exception": exception}
            for o in outputs
        ]
        return self.post("release-requests/", {"scenario": scenarios.pop(), "items": items})

    def download(self, path: str) -> tuple[str | None, bytes, str | None]:
        """(file name, content, the server's SHA-256) of a download link of the API."""
        answer = self.request("GET", path.removeprefix(API))
        return answer.filename(), answer.body, answer.headers.get("X-Content-SHA256")

    def fetch(self, output_id: int) -> tuple[str | None, bytes, str | None]:
        """A released output; the server answers 404 for any other."""
        try:
            return self.download(f"outputs/{int(output_id)}/download")
        except PdsError as exc:
            if exc.code != EXIT_NOT_FOUND:
                raise
            raise PdsError(
                f"output {output_id} cannot be fetched: only released outputs of your "
                "organization's scenarios leave the platform (it is not released, or not "
                "yours; the server answers 404 for both)",
                EXIT_NOT_FOUND,
            ) from None

    def synthetic_workspace(self, scenario: int | str) -> tuple[dict, bytes]:
        """(the scenario, a zip of its synthetic workspace)."""
        found = self.scenario(scenario)
        answer = self.request("GET", f"scenarios/{found['id']}/workspace/synthetic/")
        return found, answer.body
