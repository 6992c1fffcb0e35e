"""Hostile and damaged packages: ``ankigen diff`` and ``build`` (over a file in output/) read
any ``.apkg`` within bounds, and answer a damaged or foreign one with a message, never a
traceback. Each case runs as a real process under a 1 GiB address-space limit and a
timeout: a zip or zstd bomb must not unpack into memory, a FIFO must not hang."""

from __future__ import annotations

import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import zstandard

SRC = Path(__file__).resolve().parents[1] / "src"
LIMIT = 1 << 30
BOMB_BYTES = (1 << 30) + (64 << 20)  # unpacks past the 1 GiB ankigen allows


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def ankigen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=90,
        preexec_fn=limited,
    )


def zip_with(path: Path, member: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr(member, data)
    return path


def deflate_bomb(path: Path) -> Path:
    """A zip whose collection.anki2 is a gigabyte of zeros, written without holding it."""
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        zeros = bytes(16 << 20)
        for _ in range(BOMB_BYTES // len(zeros)):
            member.write(zeros)
    return path


def zstd_bomb(path: Path) -> Path:
    compressor = zstandard.ZstdCompressor(level=1)
    out = io.BytesIO()
    with compressor.stream_writer(out, closefd=False) as writer:
        zeros = bytes(16 << 20)
        for _ in range(BOMB_BYTES // len(zeros)):
            writer.write(zeros)
    return zip_with(path, "collection.anki21b", out.getvalue(), zipfile.ZIP_STORED)


def collection(models: str, *, notes: bool = True) -> bytes:
    """A schema-11 collection whose ``col.models`` is ``models``, as bytes."""
    db = sqlite3.connect(":memory:")
    db.execute("create table col (models text)")
    db.execute("insert into col values (?)", (models,))
    if notes:
        db.execute("create table notes (id, guid, mid, mod, tags, flds)")
        db.execute("insert into notes values (1, 'g', 'not a number', 1, '', 'a')")
    return db.serialize()


def empty_tables() -> bytes:
    """A collection whose tables are there, with no rows."""
    db = sqlite3.connect(":memory:")
    db.execute("create table col (models text)")
    db.execute("create table notes (id, guid, mid, mod, tags, flds)")
    return db.serialize()


def encrypted(path: Path) -> Path:
    zip_with(path, "collection.anki2", b"x" * 100)
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the general-purpose flag's "encrypted" bit, local header
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1  # and in the central directory
    path.write_bytes(bytes(data))
    return path


def unknown_method(path: Path) -> Path:
    zip_with(path, "collection.anki2", b"x" * 100, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[8] = 99  # compression method 99, local header
    central = data.rfind(b"PK\x01\x02")
    data[central + 10] = 99
    path.write_bytes(bytes(data))
    return path


def bad_deflate(path: Path) -> Path:
    zip_with(path, "collection.anki2", os.urandom(4096), zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    start = 30 + len("collection.anki2")
    data[start : start + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


def truncated_protobuf(path: Path) -> Path:
    db = sqlite3.connect(":memory:")
    db.execute("create table notetypes (id, name, mtime_secs, config)")
    db.execute("insert into notetypes values (1, 'T', 0, ?)", (b"\x08\xff\xff",))
    db.execute("create table fields (ntid, ord, name, config)")
    db.execute("create table templates (ntid, ord, name, config)")
    db.execute("create table notes (id, guid, mid, mod, tags, flds)")
    data = zstandard.ZstdCompressor().compress(db.serialize())
    return zip_with(path, "collection.anki21b", data)


CASES = {
    "deflate-bomb": (deflate_bomb, "its collection unpacks to more than 1024 MB"),
    "zstd-bomb": (zstd_bomb, "its collection unpacks to more than 1024 MB"),
    "bad-deflate": (bad_deflate, "its collection cannot be unpacked"),
    "encrypted": (encrypted, "its collection cannot be unpacked"),
    "unknown-compression": (unknown_method, "its collection cannot be unpacked"),
    "not-a-zip": (lambda p: (p.write_bytes(b"hello"), p)[1], "not a zip file"),
    "no-collection": (lambda p: zip_with(p, "media", b"{}"), "it holds no collection"),
    "empty-tables": (
        lambda p: zip_with(p, "collection.anki2", empty_tables()),
        "unreadable collection",
    ),
    "ill-typed": (
        lambda p: zip_with(p, "collection.anki2", collection("{}")),
        "unreadable collection",
    ),
    "models-not-a-map": (
        lambda p: zip_with(p, "collection.anki2", collection("[1, 2]", notes=False)),
        "unreadable collection",
    ),
    "deep-json": (
        lambda p: zip_with(p, "collection.anki2", collection("[" * 100_000 + "]" * 100_000)),
        "unreadable collection",
    ),
    "truncated-protobuf": (truncated_protobuf, "unreadable collection"),
}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ankigen",
            "build",
            "--cards",
            str(SRC.parent / "cards"),
            "--out",
            str(root),
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.returncode == 0
    (package,) = root.glob("*.apkg")
    return package


@pytest.mark.parametrize("case", CASES)
def test_diff_of_a_hostile_or_damaged_package_is_a_message(case, good, tmp_path):
    make, expected = CASES[case]
    bad = make(tmp_path / "bad.apkg")
    if case.endswith("bomb"):
        assert bad.stat().st_size < 8 << 20  # small on disk, over a gigabyte unpacked
    result = ankigen(tmp_path, "diff", "bad.apkg", str(good))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    first = result.stderr.splitlines()[0]
    assert first.startswith("bad.apkg:1: not an Anki package (.apkg): "), first
    assert expected in first, first
    assert bad.exists()


def test_diff_of_a_fifo_or_a_device_is_a_message_not_a_hang(good, tmp_path):
    os.mkfifo(tmp_path / "pipe.apkg")
    (tmp_path / "zero.apkg").symlink_to("/dev/zero")
    for name in ("pipe.apkg", "zero.apkg"):
        result = ankigen(tmp_path, "diff", name, str(good))
        assert result.returncode == 1
        assert result.stderr.splitlines()[0] == (
            f"{name}:1: not an Anki package (.apkg): not a regular file"
        )


@pytest.mark.parametrize("case", ["deflate-bomb", "bad-deflate", "deep-json"])
def test_a_damaged_file_where_the_release_package_goes_is_rebuilt(case, tmp_path):
    """A file of the release's name in output/ that is no package of ours (a copy cut
    short, a hostile file) is no published version: the build replaces it, within bounds."""
    cards = tmp_path / "cards"
    subprocess.run(["cp", "-r", str(SRC.parent / "cards"), str(cards)], check=True)
    (tmp_path / "output").mkdir()
    version = json.loads((cards / "ankigen.release.json").read_text())["version"]
    target = tmp_path / "output" / f"ml-and-dl-interview-questions-{version}.apkg"
    CASES[case][0](target)
    lock = (cards / "ankigen.lock").read_bytes()
    result = ankigen(tmp_path, "build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert zipfile.ZipFile(target).testzip() is None
    assert (cards / "ankigen.lock").read_bytes() == lock


def test_a_folder_where_the_package_goes_is_a_message(tmp_path):
    cards = tmp_path / "cards"
    subprocess.run(["cp", "-r", str(SRC.parent / "cards"), str(cards)], check=True)
    version = json.loads((cards / "ankigen.release.json").read_text())["version"]
    name = f"ml-and-dl-interview-questions-{version}.apkg"
    (tmp_path / "output" / name).mkdir(parents=True)
    result = ankigen(tmp_path, "build")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(f"output/{name}:1: is a folder")
