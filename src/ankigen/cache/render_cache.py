"""The render cache: what each card file turned into in earlier builds, kept outside git.

What a card file becomes (its validated source, its HTML, its problems) depends only on the
file's name and bytes, the deck's settings, the note type, and ankigen itself. So the cache
keys each outcome by a digest of all of those (``CacheKeys``):

- the card file's path, the name it is shown by, and its bytes;
- ``deck.yaml``'s settings, except the version and description, which no card sees;
- the note type's fields, templates and CSS;
- the renderer's fingerprint: ankigen's version, every file of the package (the code, the math
  rules and their data), the Python version and the versions of the libraries ankigen uses.

Change any of them and the key changes, so an entry can never be found for content it was not
made from. Entries live in ``$XDG_CACHE_HOME/ankigen`` (by default ``~/.cache/ankigen``), one
folder per cards folder, spread over up to 256 shard files by the first byte of their key, so
that a rebuild after a small edit rewrites only a few shards. A shard that is not ours,
truncated or damaged is ignored with a warning and written anew; entries no build asked for
are dropped when their shard is next written. Deleting the folder is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import re
import sys
from dataclasses import dataclass, field, is_dataclass, replace
from pathlib import Path
from typing import Any

from ankigen import __version__
from ankigen.anki.notetype import NoteTypeSpec
from ankigen.errors import Problem, display_path
from ankigen.source.config import DeckConfig
from ankigen.util.atomic import atomic_write_bytes

CACHE_FORMAT = 3  # raise when the shard layout or the key recipe changes
MAGIC = b"ankigen render cache\n"
DIGEST_SIZE = 32
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # all of ankigen, not just the cache
# libraries whose behaviour shapes the HTML or the package, besides ankigen's own requirements
RENDERING_LIBRARIES = ("cmarkgfm", "cffi", "pyyaml", "genanki")
# ankigen's runtime requirements (pyproject.toml's dependencies; a test keeps them the same)
RUNTIME_LIBRARIES = (
    "genanki", "pyyaml", "cmarkgfm", "cffi", "click", "zstandard", "nh3", "pygments"
)


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/ankigen``, or ``~/.cache/ankigen`` (the XDG default)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    # the XDG spec says a relative path is invalid and must be ignored
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "ankigen"


def cache_folder(cards_dir: Path, config: DeckConfig) -> Path:
    """The cache folder of one cards folder: the deck's slug and a digest of the folder's path."""
    where = hashlib.sha256(str(cards_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return cache_root() / f"{config.slug}-{where}"


@functools.cache
def renderer_fingerprint() -> str:
    """A digest of everything of ankigen that shapes a card's outcome; computed once a run."""
    return package_fingerprint(PACKAGE_DIR)


def package_fingerprint(package_dir: Path) -> str:
    """A digest of ankigen's version, every file under ``package_dir``, Python and libraries.

    Every file, not a hand-kept list: a change to the renderer, the math rules or their data
    must never leave an old entry in use, and a new version of ankigen is rare enough that
    starting the cache afresh costs little.
    """
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        digest.update(len(part).to_bytes(8, "big") + part)

    add(f"ankigen {__version__}; python {sys.version_info[:3]}".encode())
    for name, version in library_versions():
        add(f"{name} {version}".encode())
    files = sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )
    for path in files:
        add(path.relative_to(package_dir).as_posix().encode("utf-8"))
        add(path.read_bytes())
    return digest.hexdigest()


def library_versions() -> list[tuple[str, str]]:
    """Installed versions of ankigen's runtime requirements and of the rendering libraries."""
    installed = installed_versions()
    found = []
    for name in sorted({*RUNTIME_LIBRARIES, *RENDERING_LIBRARIES}):
        version = installed.get(normalized(name))
        if version is None:  # not found by its folder's name: ask the slow, general way
            from importlib import metadata

            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "absent"
        found.append((name, version))
    return found


def normalized(name: str) -> str:
    """A distribution's name as in its ``.dist-info`` folder's name (PEP 503, then ``_``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def installed_versions() -> dict[str, str]:
    """Name → version of the distributions on ``sys.path``, from their ``.dist-info`` folders.

    The folder is named ``{name}-{version}.dist-info`` (the wheel spec), so no metadata file
    need be read, nor ``importlib.metadata`` imported (30 ms). The first on the path wins, as
    for imports.
    """
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            stem = folder.removesuffix(".dist-info")
            if stem != folder and stem.count("-") == 1:
                name, version = stem.split("-")
                versions.setdefault(normalized(name), version)
    return versions


@dataclass(frozen=True)
class CacheKeys:
    """Makes the key of a card file's outcome; ``generation`` is what all keys share."""

    generation: bytes

    @classmethod
    def for_deck(cls, config: DeckConfig, note_type: NoteTypeSpec) -> CacheKeys:
        """Keys for a deck: its settings but version and description, note type, ankigen."""
        settings = replace(config, version="", description="")
        templates = [note_type.fields, note_type.templates, note_type.css]
        recipe = json.dumps(
            [
                CACHE_FORMAT,
                renderer_fingerprint(),
                repr(settings),
                templates,
            ],
            ensure_ascii=False,
        )
        return cls(hashlib.sha256(recipe.encode("utf-8")).digest())

    def card_key(self, path: Path, shown: str, content: bytes) -> bytes:
        """The key of a card file at this path, shown by this name, whose bytes have the
        SHA-256 digest ``content``."""
        digest = hashlib.sha256(self.generation)
        for part in (str(path).encode("utf-8"), shown.encode("utf-8"), content):
            digest.update(len(part).to_bytes(8, "big") + part)
        return digest.digest()


class _OwnClassesOnly(pickle.Unpickler):
    """Unpickles only ankigen's own dataclasses: a foreign shard can construct nothing else."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")

    def find_class(self, module: str, name: str) -> Any:
        # only modules already loaded: importing one (``ankigen.__main__``!) could run code
        if module.startswith("ankigen.") or module == "pathlib":
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type) and (is_dataclass(found) or module == "pathlib"):
                return found
        raise pickle.UnpicklingError(f"unexpected class {module}.{name}")


class DamagedShard(Exception):
    """A shard file that is not a readable ankigen render cache; the message says why."""


def encode_shard(generation: bytes, entries: dict[bytes, Any]) -> bytes:
    """A shard file: magic line, header line, pickled entries, and their SHA-256."""
    # the C pickler, without a Python callback per object: an outcome holds no path (if one
    # did, pathlib's class would come back through ``_OwnClassesOnly``)
    payload = pickle.dumps(entries, protocol=5)
    header = json.dumps({"format": CACHE_FORMAT, "generation": generation.hex()}).encode()
    return MAGIC + header + b"\n" + payload + hashlib.sha256(payload).digest()


def decode_shard(data: bytes, generation: bytes) -> dict[bytes, Any] | None:
    """The entries of a shard file; ``None`` when it belongs to another generation of keys.

    Raises ``DamagedShard`` when the file is not ours, truncated or altered.
    """
    if not data.startswith(MAGIC):
        raise DamagedShard("not an ankigen render cache file")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise DamagedShard("truncated header")
    try:
        header = json.loads(data[len(MAGIC) : end])
        same_format = header["format"] == CACHE_FORMAT
        same_generation = header["generation"] == generation.hex()
    except (ValueError, TypeError, KeyError) as exc:
        raise DamagedShard(f"unreadable header ({exc})") from None
    if not same_format or not same_generation:
        return None  # written by another ankigen or for other settings: simply stale
    payload, checksum = data[end + 1 : -DIGEST_SIZE], data[-DIGEST_SIZE:]
    if len(data) < end + 1 + DIGEST_SIZE or hashlib.sha256(payload).digest() != checksum:
        raise DamagedShard("checksum mismatch (truncated or altered)")
    try:
        entries = _OwnClassesOnly(payload).load()
    except Exception as exc:  # any failure to unpickle means a damaged file
        raise DamagedShard(f"cannot unpickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(entries, dict) or not all(
        isinstance(key, bytes) and len(key) == DIGEST_SIZE for key in entries
    ):
        raise DamagedShard("unexpected contents")
    return entries


@dataclass
class RenderCache:
    """The cache folder of one cards folder: look outcomes up, add new ones, save.

    Shards are read on first use. ``save`` rewrites only shards that gained an entry, lost
    one (an entry this build did not ask for) or could not be read.
    """

    folder: Path
    keys: CacheKeys
    _loaded: dict[int, dict[bytes, Any]] = field(default_factory=dict)
    _kept: dict[int, dict[bytes, Any]] = field(default_factory=dict)
    _dirty: set[int] = field(default_factory=set)
    # what went wrong with the cache itself: ordinary warnings of the build, never errors
    warnings: list[Problem] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Whether there are no shards to look in at all."""
        try:
            with os.scandir(self.folder) as entries:
                return not any(entry.name.endswith(".shard") for entry in entries)
        except OSError:
            return True

    def shard_path(self, shard: int) -> Path:
        """Where shard number ``shard`` (0-255) lives."""
        return self.folder / f"{shard:02x}.shard"

    def get(self, key: bytes) -> Any | None:
        """The outcome stored under ``key``, or ``None``."""
        shard = key[0]
        if shard not in self._loaded:
            self._loaded[shard] = self._read(shard)
            self._kept[shard] = {}
        value = self._loaded[shard].get(key)
        if value is not None:
            self._kept[shard][key] = value
        return value

    def put(self, key: bytes, value: Any) -> None:
        """Remember ``value`` under ``key`` (looked up with ``get`` before)."""
        shard = key[0]
        self._kept.setdefault(shard, {})[key] = value
        self._dirty.add(shard)

    def save(self) -> None:
        """Write every shard that changed; a failure to write is a warning, never an error."""
        for shard, loaded in self._loaded.items():
            if len(self._kept[shard]) != len(loaded):
                self._dirty.add(shard)
        if not self._dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for shard in sorted(self._dirty):
                self._write(shard, self._kept[shard])
        except OSError as exc:
            self.warnings.append(
                Problem.warning(
                    display_path(self.folder),
                    1,
                    f"could not save the render cache ({exc.strerror or exc}); the next build "
                    "renders every card again",
                )
            )
        self._dirty.clear()

    def _read(self, shard: int) -> dict[bytes, Any]:
        path = self.shard_path(shard)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            return self._damaged(shard, path, f"cannot read it: {exc.strerror or exc}")
        try:
            entries = decode_shard(data, self.keys.generation)
        except DamagedShard as exc:
            return self._damaged(shard, path, str(exc))
        if entries is None:
            self._dirty.add(shard)
            return {}
        return entries

    def _damaged(self, shard: int, path: Path, reason: str) -> dict[bytes, Any]:
        self.warnings.append(
            Problem.warning(
                display_path(path), 1, f"ignored render cache file: {reason}; it is rebuilt"
            )
        )
        self._dirty.add(shard)
        return {}

    def _write(self, shard: int, entries: dict[bytes, Any]) -> None:
        target = self.shard_path(shard)
        if not entries:
            target.unlink(missing_ok=True)
            return
        # another build reading at the same time sees the old shard or the new one
        atomic_write_bytes(target, encode_shard(self.keys.generation, entries), durable=False)


def open_render_cache(cards_dir: Path, config: DeckConfig, note_type: NoteTypeSpec) -> RenderCache:
    """The render cache of ``cards_dir``; nothing is read until an entry is asked for."""
    return RenderCache(cache_folder(cards_dir, config), CacheKeys.for_deck(config, note_type))
