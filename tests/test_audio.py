"""Audio: ``[sound:audio/x.mp3]`` in a card is bundled like an image, under a content-hash
name, and plays in real Anki; a file that cannot be bundled is an error at its line."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from ankigen.cli import main
from ankigen.commands.build import build
from tests.ankihelpers import import_package, notes_by_id_field

T0 = 1_900_000_000


def wav(samples: int, value: int = 0) -> bytes:
    """A short, valid mono 16-bit WAV file."""
    data = struct.pack("<h", value) * samples
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + fmt
        + b"data"
        + (struct.pack("<I", len(data)) + data)
    )


def card_file(cards: Path, card_id: str) -> Path:
    return next(cards.rglob(f"{card_id}-*.md"))


def add_line(cards: Path, card_id: str, line: str) -> int:
    """Append ``line`` to the card; its line number."""
    path = card_file(cards, card_id)
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


def package_media(apkg: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(apkg) as archive:
        numbered = json.loads(archive.read("media"))
        return {name: archive.read(number) for number, name in numbered.items()}


@pytest.fixture
def with_audio(cards: Path) -> Path:
    folder = card_file(cards, "ML0026").parent / "audio"
    folder.mkdir()
    (folder / "relu.wav").write_bytes(wav(800))
    add_line(cards, "ML0026", "Say it: [sound:audio/relu.wav] (and `[sound:audio/relu.wav]`).")
    return cards


def test_audio_is_bundled_under_its_content_name_and_plays_in_anki(
    with_audio, tmp_path, collection
):
    result = build(with_audio, tmp_path / "out", now=T0)
    media = package_media(result.output)
    (name,) = media
    assert name.startswith("ankigen-") and name.endswith(".wav")
    assert media[name] == wav(800)
    import_package(collection, result.output)
    answer = notes_by_id_field(collection)["ML0026"]["Answer"]
    assert answer.count(f"[sound:{name}]") == 2 and "audio/relu.wav" not in answer
    stored = Path(collection.media.dir()) / name
    assert stored.read_bytes() == wav(800)
    card = notes_by_id_field(collection)["ML0026"].cards()[0]
    assert [tag.filename for tag in card.answer_av_tags()] == [name, name]  # what plays


def test_a_changed_audio_file_reaches_the_next_build_past_the_render_cache(with_audio, tmp_path):
    first = package_media(build(with_audio, tmp_path / "out", now=T0).output)
    audio = card_file(with_audio, "ML0026").parent / "audio" / "relu.wav"
    audio.write_bytes(wav(800, value=7))
    second = package_media(build(with_audio, tmp_path / "out", now=T0 + 60).output)
    assert list(second.values()) == [wav(800, value=7)] and set(second) != set(first)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("audio/missing.mp3", "audio file audio/missing.mp3 not found (paths are relative to"),
        ("https://example.org/a.mp3", "audio file https://example.org/a.mp3 is on the web:"),
        ("../../outside.mp3", "audio file ../../outside.mp3 is outside the cards folder"),
        ("audio/notes.txt", "audio file audio/notes.txt is not audio Anki plays (mp3, ogg,"),
        ("/tmp/x.mp3", "audio file /tmp/x.mp3: use a path relative to the card file"),
    ],
)
def test_audio_that_cannot_be_bundled_is_an_error_at_its_line(
    cards, tmp_path, runner, monkeypatch, written, message
):
    folder = card_file(cards, "ML0026").parent / "audio"
    folder.mkdir()
    (folder / "notes.txt").write_text("not audio")
    (tmp_path / "outside.mp3").write_bytes(b"ID3")
    line = add_line(cards, "ML0026", f"Listen: [sound:{written}]")
    lock_before = (cards / "ankigen.lock").read_bytes()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build", "--cards", "cards"])
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"cards/ML/ML0026-relu.md:{line}: {message}"), first
    assert result.stderr.splitlines()[-1] == "ankigen: 1 problem found; nothing was written."
    assert not (tmp_path / "output").exists()
    assert (cards / "ankigen.lock").read_bytes() == lock_before


def test_audio_written_as_an_entity_is_bundled_and_never_served_stale(cards, tmp_path):
    """``&#91;sound:…]`` is ``[sound:…]`` once Markdown has read it: bundled, and the card
    is rendered afresh like any card with media."""
    folder = card_file(cards, "ML0026").parent / "audio"
    folder.mkdir()
    (folder / "relu.wav").write_bytes(wav(800))
    add_line(cards, "ML0026", "Say it: &#91;sound:audio/relu.wav]")
    first = package_media(build(cards, tmp_path / "out", now=T0).output)
    assert list(first.values()) == [wav(800)]
    (folder / "relu.wav").write_bytes(wav(800, value=3))
    second = package_media(build(cards, tmp_path / "out", now=T0 + 60).output)
    assert list(second.values()) == [wav(800, value=3)]


def test_a_sound_in_a_title_is_an_error_at_its_line(cards, tmp_path, runner, monkeypatch):
    path = card_file(cards, "ML0026")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ReLU", "title: ReLU [sound:relu.mp3]"), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["check", "--cards", "cards"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "cards/ML/ML0026-relu.md:3: the title holds a [sound:…], which Anki would play with "
        "the title, though only a card's sections bundle audio: move it into the question or "
        "the answer"
    )
