"""What a release judges of the note types: which changed their schema since the last
release (learners' notes would stop updating: a major release), and which only their look
(templates, CSS: a patch release, announced in the changelog)."""

from __future__ import annotations

from ankigen.anki.lock import Lock
from ankigen.anki.notetype import basic_note_type, cloze_note_type, declared_note_type
from ankigen.anki.stamps import Stamp
from ankigen.checks.notetypes import deck_types
from ankigen.release.changelog import ReleaseManifest
from ankigen.source.config import DeckConfig


def broken_types(config: DeckConfig, manifest: ReleaseManifest, lock: Lock) -> list[str]:
    """The note types (by kind) whose schema differs from the last release's: their
    learners' notes would stop updating."""
    shipped = manifest.schemas or {"basic": lock.schema or "", "cloze": lock.cloze_schema or ""}
    if not manifest.schemas:
        shipped.update((name, declared.schema) for name, declared in lock.types.items())
    now = {"basic": basic_note_type(config.note_type_id, config.name).schema_hash()}
    if config.cloze_note_type_id is not None:
        now["cloze"] = cloze_note_type(config.cloze_note_type_id, config.name).schema_hash()
    for name, declared in config.note_types.items():  # a schema is the same whatever the CSS
        now[name] = declared_note_type(declared, config.name).schema_hash()
    return [kind for kind, schema in now.items() if shipped.get(kind) not in (None, "", schema)]


def type_stamps(lock: Lock) -> dict[str, Stamp | None]:
    """The stamp of each note type of the lock, by kind."""
    stamps = {"basic": lock.note_type, "cloze": lock.cloze_note_type}
    stamps.update((name, declared.stamp) for name, declared in lock.types.items())
    return stamps


def restyled(config: DeckConfig, manifest: ReleaseManifest, lock: Lock) -> list[str]:
    """The note types whose look (template text, CSS) differs from the last release's,
    by kind. A record without ``styles`` (an older ankigen's) knows them from the lock,
    where a note type stamped after the release counts as changed."""
    if manifest.version is None:
        return []
    types, problems = deck_types(config)
    if any(problem.is_error for problem in problems):
        return []  # the build reports them
    specs = [types.basic, *([types.cloze] if types.cloze else []), *types.declared.values()]
    stamps = type_stamps(lock)
    found = []
    for spec in specs:
        before = manifest.styles.get(spec.kind)
        if before is None:
            stamp = stamps.get(spec.kind)
            if stamp is None:
                continue  # not in the last release's package: its cards are new
            since = manifest.time
            before = stamp.hash if since is not None and stamp.mod <= since else None
        if before != spec.content_hash():
            found.append(spec.kind)
    return found
