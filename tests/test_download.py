"""Downloads (file:// and a local HTTP server), checksums and archive extraction."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chanpos.download import ChecksumError, extract, fetch, verify

PAYLOAD = bytes(range(256)) * 300  # 76.8 kB: several reads, known size
MD5 = hashlib.md5(PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "served" / "archive.tar.gz"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


@pytest.fixture
def server(source: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (ephemeral port) serving ``source``'s folder; yields its URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(source.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_fetch_file_url(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "archive.tar.gz"
    assert fetch(source.as_uri(), dest, md5=MD5, sha256=SHA256) == dest
    assert dest.read_bytes() == PAYLOAD
    assert list(dest.parent.iterdir()) == [dest]


def test_fetch_http(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "archive.tar.gz"
    fetch(f"{server}/archive.tar.gz", dest, sha256=SHA256.upper())
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_names_file_and_digests(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "archive.tar.gz"
    wrong = "0" * 32
    with pytest.raises(ChecksumError) as err:
        fetch(source.as_uri(), dest, md5=wrong)
    message = str(err.value)
    assert str(dest) in message and wrong in message and MD5 in message
    assert isinstance(err.value, RuntimeError)
    assert list(dest.parent.iterdir()) == []  # neither dest nor dest.part is left


def test_existing_file_is_verified_not_downloaded(tmp_path: Path) -> None:
    dest = tmp_path / "placed_by_hand.tar"
    dest.write_bytes(PAYLOAD)
    missing = (tmp_path / "nowhere").as_uri()
    assert fetch(missing, dest, md5=MD5) == dest
    with pytest.raises(ChecksumError, match="delete it"):
        fetch(missing, dest, sha256="f" * 64)
    assert dest.exists()


@pytest.mark.parametrize("where", ["http", "file"])
def test_failed_download_says_where_to_put_it(where: str, server: str, tmp_path: Path) -> None:
    url = f"{server}/absent.tar" if where == "http" else (tmp_path / "absent.tar").as_uri()
    dest = tmp_path / "out" / "absent.tar"
    with pytest.raises(RuntimeError) as err:
        fetch(url, dest, md5=MD5)
    assert not isinstance(err.value, ChecksumError)
    assert url in str(err.value) and str(dest.resolve()) in str(err.value)
    assert list(dest.parent.iterdir()) == []


def test_verify(source: Path) -> None:
    verify(source)
    verify(source, md5=MD5, sha256=SHA256)
    with pytest.raises(ChecksumError, match="sha256"):
        verify(source, md5=MD5, sha256="0" * 64)


def _make_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz" if path.name.endswith("gz") else "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("name", ["data.tar", "data.tar.gz"])
def test_extract_round_trip(name: str, tmp_path: Path) -> None:
    members = {"top/a.txt": b"alpha", "top/sub/b.bin": PAYLOAD}
    _make_tar(tmp_path / name, members)
    dest = tmp_path / "extracted"
    assert extract(tmp_path / name, dest) == dest
    for member, data in members.items():
        assert (dest / member).read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["extracted", name])  # no temp dir
    with pytest.raises(FileExistsError):
        extract(tmp_path / name, dest)


def test_extract_refuses_unsafe_members_and_leaves_nothing(tmp_path: Path) -> None:
    _make_tar(tmp_path / "evil.tar", {"ok.txt": b"fine", "../escaped.txt": b"bad"})
    with pytest.raises(tarfile.FilterError):
        extract(tmp_path / "evil.tar", tmp_path / "out" / "extracted")
    assert not (tmp_path / "out" / "escaped.txt").exists()
    assert list((tmp_path / "out").iterdir()) == []
