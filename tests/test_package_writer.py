"""The package writer's fast parts give what the slow, standard ones give.

The collection is deflated in pieces on several threads (``zipfast``), GUIDs are computed
without genanki's loop (``package.guid_for``), and library versions are read from folder
names (``rendercache.installed_versions``). Each is compared here with the standard way.
"""

from __future__ import annotations

import io
import random
import tomllib
import zipfile
import zlib
from importlib import metadata
from pathlib import Path

import genanki
import pytest

from ankigen.anki import zipfast
from ankigen.anki.package import guid_for
from ankigen.cache import render_cache as rendercache

ROOT = Path(__file__).resolve().parent.parent


def sample(size: int, seed: int) -> bytes:
    """Bytes that compress like a collection: repeated words, some noise."""
    rng = random.Random(seed)
    words = [
        bytes(rng.choice(b"abcdefghij <>/") for _ in range(rng.randint(2, 9))) for _ in range(300)
    ]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) if rng.random() < 0.9 else rng.randbytes(8)
    return bytes(out[:size])


@pytest.mark.parametrize("size", [0, 1, zipfast.PIECE - 1, zipfast.PIECE, 3 * zipfast.PIECE + 17])
def test_deflate_in_pieces_is_one_stream_whatever_the_threads(size):
    data = sample(size, size)
    one = zipfast.deflate(data, 1, workers=1)
    assert zipfast.deflate(data, 1, workers=2) == one
    assert zipfast.deflate(data, 1, workers=5) == one
    assert zlib.decompress(one, wbits=-15) == data


def test_pieces_keep_most_of_zlibs_compression():
    data = sample(4 * zipfast.PIECE, 7)
    whole = len(zlib.compress(data, 1))
    assert len(zipfast.deflate(data, 1, workers=2)) < whole * 1.01


def test_the_zip_reads_back_with_fixed_dates_and_permissions():
    entries = [("collection.anki2", sample(2 * zipfast.PIECE + 5, 1)), ("media", b"{}")]
    data = zipfast.zip_bytes(entries, 1, workers=2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert [(i.filename, archive.read(i)) for i in infos] == entries
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o644}
    assert {i.create_system for i in infos} == {3}


def test_guids_are_genankis():
    rng = random.Random(3)
    values = [(str(rng.randrange(1 << 62)), f"DL{n:04d}") for n in range(20_000)]
    values += [("",), ("0",), ("x", "y", "z"), (1, 2)]
    for parts in values:
        assert guid_for(*parts) == genanki.guid_for(*parts)


def test_library_versions_are_the_installed_ones_and_cover_the_requirements():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    required = {
        rendercache.normalized(req.split(">")[0].split("<")[0].split("=")[0].strip())
        for req in pyproject["project"]["dependencies"]
    }
    assert {rendercache.normalized(n) for n in rendercache.RUNTIME_LIBRARIES} == required
    for name, version in rendercache.library_versions():
        assert version == metadata.version(name)
    found = rendercache.installed_versions()  # by folder name, without importlib.metadata
    for name in {*rendercache.RUNTIME_LIBRARIES, *rendercache.RENDERING_LIBRARIES}:
        assert found[rendercache.normalized(name)] == metadata.version(name)


def test_an_archive_that_needs_zip64_is_left_to_zipfile(monkeypatch):
    monkeypatch.setattr(zipfast, "ENTRY_LIMIT", 3)  # as if there were 65,535 images
    entries = [(str(n), sample(100 * n, n)) for n in range(5)]
    data = zipfast.zip_bytes(entries, 1, workers=2)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert [(i.filename, archive.read(i)) for i in archive.infolist()] == entries
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert zipfast.zip_bytes(entries, 1, workers=1) == data
