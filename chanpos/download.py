"""Downloads with pinned checksums, and archive extraction that never looks complete too early."""

from __future__ import annotations

import hashlib
import http.client
import tarfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from tqdm import tqdm

from chanpos.atomic import atomic_dir

_CHUNK = 1 << 20


def download_name(url: str) -> str:
    """The file name a download is stored under: the last part of the URL's path (no query)."""
    return Path(urlparse(url).path).name


class ChecksumError(RuntimeError):
    """A file's digest differs from the pinned one."""

    def __init__(self, path: Path, algorithm: str, expected: str, actual: str, note: str = ""):
        self.path, self.algorithm, self.expected, self.actual = path, algorithm, expected, actual
        super().__init__(
            f"{algorithm} mismatch for {path}: expected {expected}, got {actual}"
            + (f" ({note})" if note else "")
        )


def _digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def verify(path: Path, md5: str | None = None, sha256: str | None = None) -> None:
    """Raise :class:`ChecksumError` unless ``path`` has the given md5 and/or sha256 digests."""
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is None:
            continue
        actual = _digest(path, algorithm)
        if actual != expected.lower():
            raise ChecksumError(path, algorithm, expected.lower(), actual)


def fetch(url: str, dest: Path, *, md5: str | None = None, sha256: str | None = None) -> Path:
    """Download ``url`` (http, https or file) to ``dest`` and check its digests; return ``dest``.

    An existing ``dest`` (for example a file placed there by hand) is only verified. The data go
    to ``dest`` + ``.part`` first, which is renamed to ``dest`` only once the digests match; on a
    mismatch (:class:`ChecksumError`) or a failed transfer (:class:`RuntimeError`) it is deleted.
    """
    dest = Path(dest)
    if dest.exists():
        try:
            verify(dest, md5=md5, sha256=sha256)
        except ChecksumError as err:
            note = "the file was already there; delete it to download it again"
            raise ChecksumError(dest, err.algorithm, err.expected, err.actual, note) from None
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length else None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=dest.name,
                disable=total is None,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        if total is not None and part.stat().st_size != total:
            raise OSError(f"got {part.stat().st_size} of {total} bytes")
    except (OSError, http.client.HTTPException) as err:  # urllib.error.URLError is an OSError
        if isinstance(err, urllib.error.HTTPError):
            err.close()  # it holds the response's socket
        part.unlink(missing_ok=True)
        raise RuntimeError(
            f"download of {url} failed ({err}). You can download it by hand and place it at "
            f"{dest.resolve()}"
        ) from err
    try:
        verify(part, md5=md5, sha256=sha256)
    except ChecksumError as err:
        part.unlink(missing_ok=True)
        note = f"downloaded from {url}; the partial file {part.name} was deleted"
        raise ChecksumError(dest, err.algorithm, err.expected, err.actual, note) from None
    part.rename(dest)
    return dest


def extract(archive: Path, dest: Path) -> Path:
    """Extract a .tar, .tar.gz/.tgz (or .tar.bz2/.tar.xz) ``archive`` into the new folder ``dest``.

    Members are filtered with tarfile's ``"data"`` filter (no absolute paths, links out of the
    tree or special files). Extraction goes to a temporary folder beside ``dest``, renamed when
    complete, so an interrupted run never leaves a complete-looking ``dest``.
    """
    with tarfile.open(archive, "r:*") as tar, atomic_dir(Path(dest)) as tmp:
        tar.extractall(tmp, filter="data")
    return Path(dest)
