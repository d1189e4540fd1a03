"""The one module that resolves where data lives under DATA_ROOT."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.deconstruct import deconstructible


def data_path(*parts: str) -> Path:
    """A path under DATA_ROOT (read from settings at call time)."""
    return Path(settings.DATA_ROOT).joinpath(*parts)


def attachment(relative: str, name: str, *, sha256: str = "") -> FileResponse:
    """A file under DATA_ROOT sent as a download (the response closes it), with its
    SHA-256 in ``X-Content-SHA256`` when given."""
    response = FileResponse(
        open(data_path(relative), "rb"),  # noqa: SIM115 (closed by the response)
        as_attachment=True,
        filename=name,
        content_type="application/octet-stream",
    )
    if sha256:
        response["X-Content-SHA256"] = sha256
    return response


def data_root_ensure() -> Path:
    """DATA_ROOT, created if missing, which others may traverse but not list: the
    sandbox's own user reaches its workspace through it, while private/ and everything
    else keep their own modes."""
    root = Path(settings.DATA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(root.stat().st_mode)
    if not mode & stat.S_IXOTH:
        root.chmod(mode | stat.S_IXOTH)
    return root


@deconstructible(path="core.storage.PrivateFileStorage")
class PrivateFileStorage(FileSystemStorage):
    """Files under DATA_ROOT/private: never behind a URL, served only by views that
    check permission."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self) -> str:
        return str(data_path("private"))

    @property
    def location(self) -> str:
        return str(data_path("private").resolve())

    def _save(self, name, content):
        data_root_ensure()  # before Django creates it with the private mode
        return super()._save(name, content)

    def url(self, name):
        raise NotImplementedError("private files have no URL; serve them through a view")


private_storage = PrivateFileStorage()
