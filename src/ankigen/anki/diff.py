"""What a learner who has one package sees on importing another, by Anki's import rules.

Anki matches notes by GUID; a matched note is updated whenever the new package's ``mod`` is
newer (its fields replace the learner's, their own edits included; with the same content
nothing shows); notes missing from the new package stay as they are; a note type whose
schema changed makes every existing note of that type "conflicting", so it is not updated
at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ankigen.anki.apkg import NoteInfo, NoteTypeInfo, PackageContents

RETIRED_TAG = "ankigen::retired"


@dataclass(frozen=True)
class NoteChange:
    """One note of the new package and what importing it does."""

    label: str  # the note's first field, e.g. its card id
    changed_fields: tuple[str, ...] = ()
    tags_changed: bool = False


@dataclass(frozen=True)
class PackageDiff:
    """Everything importing NEW over OLD does, grouped as a learner would see it."""

    new: tuple[NoteChange, ...]
    updated: tuple[NoteChange, ...]
    untouched: tuple[NoteChange, ...]
    retired: tuple[NoteChange, ...]
    not_applied: tuple[NoteChange, ...]  # changed, but not newer: Anki keeps the old text
    blocked: tuple[NoteChange, ...]  # their note type's schema changed: Anki won't update them
    left_behind: tuple[NoteChange, ...]  # in OLD only: Anki never deletes them
    schema_changes: tuple[str, ...]
    # newer, same content: no change for most, but Anki overwrites a learner's own edits
    restamped: tuple[NoteChange, ...] = ()


def diff_packages(old: PackageContents, new: PackageContents) -> PackageDiff:
    """Compare two packages as Anki's importer (default options) would apply NEW over OLD."""
    groups: dict[str, list[NoteChange]] = {
        k: []
        for k in ("new", "updated", "untouched", "retired", "not_applied", "blocked", "restamped")
    }
    schema_changes = []
    changed_types = set()
    for type_id, new_type in sorted(new.note_types.items()):
        old_type = old.note_types.get(type_id)
        if old_type is not None and old_type.schema != new_type.schema:
            changed_types.add(type_id)
            schema_changes.append(_describe_schema_change(old_type, new_type))
    for guid, note in sorted(new.notes.items(), key=lambda item: _label(item[1])):
        before = old.notes.get(guid)
        if before is None:
            groups["new"].append(NoteChange(_label(note)))
            continue
        change = _change(before, note, new.note_types.get(note.note_type_id))
        differs = bool(change.changed_fields or change.tags_changed)
        if note.note_type_id in changed_types or before.note_type_id != note.note_type_id:
            groups["blocked"].append(change)
        elif differs and note.mod > before.mod:
            retired = RETIRED_TAG in note.tags and RETIRED_TAG not in before.tags
            groups["retired" if retired else "updated"].append(change)
        elif differs:
            groups["not_applied"].append(change)
        elif note.mod > before.mod:
            groups["restamped"].append(change)
        else:
            groups["untouched"].append(change)
    left_behind = tuple(
        NoteChange(_label(note))
        for guid, note in sorted(old.notes.items(), key=lambda item: _label(item[1]))
        if guid not in new.notes
    )
    return PackageDiff(
        **{key: tuple(value) for key, value in groups.items()},
        left_behind=left_behind,
        schema_changes=tuple(schema_changes),
    )


def format_diff(diff: PackageDiff) -> str:
    """The diff as text for the terminal, one group of notes after another."""
    lines: list[str] = []
    for message in diff.schema_changes:
        lines.append(f"NOTE TYPE CHANGE (notes of this type will not update): {message}")
    sections = (
        ("new notes", diff.new, False),
        ("updated notes", diff.updated, True),
        ("newly retired notes", diff.retired, False),
        ("changed but NOT applied (not newer than the learner's copy)", diff.not_applied, True),
        ("NOT updated: their note type changed", diff.blocked, True),
        ("kept by learners, absent from the new package", diff.left_behind, False),
        (
            "unchanged but NEWER (Anki overwrites a learner's own edits to these)",
            diff.restamped,
            False,
        ),
    )
    for title, changes, with_fields in sections:
        if not changes:
            continue
        lines.append(f"{title} ({len(changes)}):")
        for change in changes:
            detail = ""
            if with_fields:
                parts = list(change.changed_fields) + (["tags"] if change.tags_changed else [])
                detail = f": {', '.join(parts)}" if parts else ""
            lines.append(f"  {change.label}{detail}")
    lines.append(f"untouched notes: {len(diff.untouched) + len(diff.restamped)}")
    return "\n".join(lines)


def _label(note: NoteInfo) -> str:
    return note.fields[0] if note.fields else note.guid


def _change(before: NoteInfo, after: NoteInfo, note_type: NoteTypeInfo | None) -> NoteChange:
    names = note_type.field_names if note_type else ()
    changed = tuple(
        names[i] if i < len(names) else f"field {i + 1}"
        for i in range(max(len(before.fields), len(after.fields)))
        if before.fields[i : i + 1] != after.fields[i : i + 1]
    )
    return NoteChange(_label(after), changed, sorted(before.tags) != sorted(after.tags))


def _describe_schema_change(old: NoteTypeInfo, new: NoteTypeInfo) -> str:
    parts = []
    if old.fields != new.fields:
        parts.append(f"fields {list(old.field_names)} → {list(new.field_names)}")
    if old.templates != new.templates:
        old_names = [name for name, _ in old.templates]
        parts.append(f"templates {old_names} → {[name for name, _ in new.templates]}")
    if old.sort_field != new.sort_field:
        parts.append(f"sort field {old.sort_field} → {new.sort_field}")
    return f"{new.name!r}: " + "; ".join(parts)
