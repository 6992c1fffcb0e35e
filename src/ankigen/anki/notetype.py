"""Stage 4a: the note types of our notes: fields, templates and CSS, with permanent ids.

Two note types: question-and-answer (``basic``) for every deck, and ``cloze`` for decks with
cloze cards (``type: cloze``), each under its own id from deck.yaml.

Learners' collections match a note type by its id and then compare its *schema*: the fields
and templates (by their ids) and the sort field. A change there makes Anki stop updating
every learner's notes, so these ids and this field list are fixed for good. Template text
and CSS may change freely: Anki imports them when the note type's ``mod`` is newer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ankigen.anki.templates import front_shows
from ankigen.anki.theme import THEME_CSS
from ankigen.source.layout import BASIC, CLOZE, PER_DELETION
from ankigen.source.notetypes import HINT, DeclaredType

# Field and template ids were drawn at random once (as Anki does) and must never change.
FIELDS: tuple[tuple[str, int], ...] = (
    ("ID", 4417203986510254211),
    ("Title", 6118835237047381842),
    ("Question", 2795017391744019673),
    ("Answer", 8204126670653370528),
)
SORT_FIELD = (
    "ID"  # the browser lists notes by id, and the first field (the duplicate check) is unique
)
TEMPLATE_NAME = "Question → Answer"
TEMPLATE_ID = 3641870227469021359

FRONT = """\
<div class="ankigen">
<div class="meta"><span class="card-id">{{ID}}</span> <span class="title">{{Title}}</span></div>
<div class="question">{{Question}}</div>
</div>"""

BACK = """\
{{FrontSide}}
<hr id="answer">
<div class="ankigen answer">{{Answer}}</div>"""

CSS = (
    """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
  font-size: 18px;
  line-height: 1.5;
  text-align: left;
  color: #1d1d1f;
  background-color: #fdfdfd;
  overflow-wrap: break-word;
}
.card.nightMode, .nightMode .card { color: #e8e8e8; background-color: #1f1f1f; }
.ankigen { max-width: 42em; margin: 0 auto; }
.meta { font-size: 0.8em; color: #5f6368; margin-bottom: 0.6em; }
.nightMode .meta { color: #a8abb0; }
.title { font-weight: 600; }
.question { font-size: 1.08em; }
hr#answer { border: none; border-top: 1px solid #c8c8c8; margin: 1em 0; }
.nightMode hr#answer { border-top-color: #4a4a4a; }
.math-display {
  display: block;
  max-width: 100%;
  overflow-x: auto;
  overflow-y: hidden;
  text-align: center;
  margin: 0.6em 0;
  padding: 0.1em 0;
}
ul, ol { padding-left: 1.5em; }
li { margin: 0.2em 0; }
li > p { margin: 0.3em 0; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { overflow-x: auto; padding: 0.6em; border-radius: 4px; background: #f2f2f2; }
.nightMode pre { background: #2a2a2a; }
table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; }
th, td { border: 1px solid #c8c8c8; padding: 0.25em 0.5em; }
img { max-width: 100%; height: auto; }
.mobile.card, .mobile .card { font-size: 17px; }
.mobile .ankigen { max-width: none; }
.hint-box { margin-top: 0.8em; font-size: 0.9em; }
.field { margin-top: 0.8em; }
.field-name { font-size: 0.75em; text-transform: uppercase; letter-spacing: 0.04em;
  color: #5f6368; }
.nightMode .field-name { color: #a8abb0; }
#typeans, .typeans { width: 100%; box-sizing: border-box; margin-top: 0.8em;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 1em; }
"""
    + THEME_CSS
)  # code colours, night mode and scroll cues (``anki.theme``)


@dataclass(frozen=True)
class NoteTypeSpec:
    """Everything Anki stores of our note type, as plain data."""

    id: int
    name: str
    fields: tuple[tuple[str, int | None], ...]  # (name, id); no id: matched by name
    sort_field_index: int
    templates: tuple[tuple[str, int | None, str, str], ...]  # (name, id, front, back)
    css: str
    kind: str = BASIC  # the note kind whose notes use it (``render.kinds``)
    model_type: int = 0  # Anki's: 0 a card per template, 1 a card per deletion number
    own: bool = False  # a ``base: none`` type: nothing of ankigen's in it

    def content_hash(self) -> str:
        """A digest of everything a learner's Anki would import; it drives the type's ``mod``."""
        data = json.dumps(
            [self.id, self.name, self.fields, self.sort_field_index, self.templates, self.css],
            ensure_ascii=False,
        )
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]

    def schema_hash(self) -> str:
        """A digest of the *schema* only: what makes a learner's Anki stop updating notes.

        Fields and templates (names and ids, in order) and the sort field; not template
        text or CSS, which Anki imports freely.
        """
        templates = [(name, template_id) for name, template_id, _, _ in self.templates]
        data = json.dumps([self.fields, templates, self.sort_field_index], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names, in order."""
        return tuple(name for name, _ in self.fields)

    def ords_for(self, values: tuple[str, ...]) -> tuple[int, ...]:
        """The cards Anki makes of a note with these field ``values`` (not for a cloze
        note): one per template whose front shows a filled field (``anki.templates``)."""
        if len(self.templates) == 1 and self.kind in FIELDS_OF:
            return (0,)  # a built-in type: its one front shows a field every card fills
        fields = dict(zip(self.field_names, values, strict=False))
        return tuple(
            index
            for index, (_, _, front, _) in enumerate(self.templates)
            if front_shows(front, fields)
        )


def basic_note_type(note_type_id: int, deck_name: str) -> NoteTypeSpec:
    """The question-and-answer note type of a deck, under the deck's permanent note type id."""
    template = (TEMPLATE_NAME, TEMPLATE_ID, FRONT, BACK)
    return _spec(note_type_id, f"{deck_name} (ankigen)", FIELDS, SORT_FIELD, CSS, BASIC, template)


def _spec(
    note_type_id: int,
    name: str,
    fields: tuple[tuple[str, int], ...],
    sort_field: str,
    css: str,
    kind: str,
    template: tuple[str, int, str, str],
    model_type: int = 0,
) -> NoteTypeSpec:
    """A note type of one template, its sort field given by name."""
    return NoteTypeSpec(
        id=note_type_id,
        name=name,
        fields=fields,
        sort_field_index=[field for field, _ in fields].index(sort_field),
        templates=(template,),
        css=css,
        kind=kind,
        model_type=model_type,
    )


# The cloze note type. Its field and template ids were drawn at random once, like FIELDS.
CLOZE_FIELDS: tuple[tuple[str, int], ...] = (
    ("ID", 5801209890561104960),
    ("Title", 8627547675865951999),
    ("Text", 4312252712853703565),
    ("Extra", 3792670879909702410),
)
# ID, as in the basic type: both types sort alike in the browser, and the first field, which
# Anki checks for duplicates, is unique.
CLOZE_SORT_FIELD = "ID"
CLOZE_TEMPLATE_NAME = "Cloze"
CLOZE_MODEL = 1  # genanki.Model.CLOZE: a card per deletion number
CLOZE_TEMPLATE_ID = 4539293392968637434

CLOZE_FRONT = """\
<div class="ankigen">
<div class="meta"><span class="card-id">{{ID}}</span> <span class="title">{{Title}}</span></div>
<div class="question cloze-text">{{cloze:Text}}</div>
</div>"""

# no {{FrontSide}}: on the back, {{cloze:Text}} shows the deletion revealed instead of hidden
CLOZE_BACK = """\
<div class="ankigen">
<div class="meta"><span class="card-id">{{ID}}</span> <span class="title">{{Title}}</span></div>
<div class="question cloze-text">{{cloze:Text}}</div>
</div>
{{#Extra}}
<hr id="answer">
<div class="ankigen answer">{{Extra}}</div>
{{/Extra}}"""

# Anki's own look for deletions (its stock Cloze note type), day and night
CLOZE_CSS = (
    CSS
    + """\
.cloze { font-weight: bold; color: blue; }
.nightMode .cloze { color: lightblue; }
"""
)


def cloze_note_type(note_type_id: int, deck_name: str) -> NoteTypeSpec:
    """The cloze note type of a deck, under the deck's permanent ``cloze_note_type_id``."""
    template = (CLOZE_TEMPLATE_NAME, CLOZE_TEMPLATE_ID, CLOZE_FRONT, CLOZE_BACK)
    name = f"{deck_name} cloze (ankigen)"
    return _spec(
        note_type_id, name, CLOZE_FIELDS, CLOZE_SORT_FIELD, CLOZE_CSS, CLOZE, template, CLOZE_MODEL
    )


FIELDS_OF = {BASIC: FIELDS, CLOZE: CLOZE_FIELDS}


def derived_id(owner: int, what: str, name: str) -> int:
    """A permanent id for a field, template or subdeck of the author's, drawn from its
    owner's id and its name: the same on every build, and new exactly when the name is.
    In 1 … 2^63 - 1, as Anki stores ids."""
    digest = hashlib.sha256(f"ankigen\0{owner}\0{what}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2**63 - 1) + 1


META = """\
<div class="meta"><span class="card-id">{{ID}}</span> <span class="title">{{Title}}</span></div>
"""
HINT_PART = '{{#Hint}}\n<div class="hint-box">{{hint:Hint}}</div>\n{{/Hint}}\n'
DESIGN_NAMES = {"forward": "Question → Answer", "reverse": "Answer → Question", "typein": "Type in"}


def declared_note_type(declared: DeclaredType, deck_name: str, css: str = "") -> NoteTypeSpec:
    """The note type of a type the author declared in deck.yaml (``source.notetypes``):
    ids of fields and templates derived from its id and their names, ``css`` after ours.
    A ``base: none`` type is exactly what it declares (``own_note_type``)."""
    if declared.own:
        return own_note_type(declared, deck_name, css)
    fields = tuple((name, derived_id(declared.id, "field", name)) for name in declared.field_names)
    if declared.templates:
        texts = [(t.name, t.front, t.back) for t in declared.templates]
    else:
        texts = [_design(declared, design) for design in declared.cards]
    per_deletion = declared.base in PER_DELETION
    if per_deletion and not declared.templates:
        texts = [_cloze_design(declared)]
    templates = tuple(
        (name, derived_id(declared.id, "template", name), front, back)
        for name, front, back in texts
    )
    base_css = CLOZE_CSS if per_deletion else CSS
    return NoteTypeSpec(
        id=declared.id,
        name=declared.anki_name or f"{deck_name} {declared.name} (ankigen)",
        fields=fields,
        sort_field_index=0,
        templates=templates,
        css=base_css + css,
        kind=declared.name,
        model_type=CLOZE_MODEL if per_deletion else 0,
    )


def _extras(declared: DeclaredType) -> str:
    """The extra fields but Hint, each shown on the back when filled."""
    return "".join(
        f'{{{{#{name}}}}}\n<div class="field field-{name.lower()}"><div class="field-name">'
        f"{name}</div>{{{{{name}}}}}</div>\n{{{{/{name}}}}}\n"
        for name in declared.fields
        if name != HINT
    )


def _design(declared: DeclaredType, design: str) -> tuple[str, str, str]:
    """A stock card design: (name, front, back)."""
    meta = META if declared.show_title else ""
    hint = HINT_PART if HINT in declared.fields else ""
    asked, shown = ("Answer", "Question") if design == "reverse" else ("Question", "Answer")
    if design == "reverse" and meta:  # the title often names the answer: on the back only
        meta = META.replace(' <span class="title">{{Title}}</span>', "")
    front = f'<div class="ankigen">\n{meta}<div class="question">{{{{{asked}}}}}</div>\n'
    if design != "reverse":
        front += hint
    if design == "typein":
        front += "{{type:Answer}}\n"
        back = (
            f'<div class="ankigen">\n{meta}<div class="question">{{{{Question}}}}</div>\n'
            '<hr id="answer">\n{{type:Answer}}\n'
            f'<div class="answer">{{{{Answer}}}}</div>\n{_extras(declared)}</div>'
        )
        return DESIGN_NAMES[design], front + "</div>", back
    title = '<div class="meta"><span class="title">{{Title}}</span></div>\n'
    back = (
        f'{{{{FrontSide}}}}\n<hr id="answer">\n<div class="ankigen answer">'
        f"{title if design == 'reverse' and meta else ''}{{{{{shown}}}}}</div>\n"
        f"{_extras(declared)}"
    ).rstrip("\n")
    return DESIGN_NAMES[design], front + "</div>", back


def _cloze_design(declared: DeclaredType) -> tuple[str, str, str]:
    """The cloze design with the type's hint and extra fields."""
    meta = META if declared.show_title else ""
    hint = HINT_PART if HINT in declared.fields else ""
    text = (
        f'<div class="ankigen">\n{meta}<div class="question cloze-text">{{{{cloze:Text}}}}</div>\n'
    )
    back = (
        f'{text}</div>\n{{{{#Extra}}}}\n<hr id="answer">\n<div class="ankigen answer">'
        f"{{{{Extra}}}}</div>\n{{{{/Extra}}}}\n{_extras(declared)}"
    ).rstrip("\n")
    return CLOZE_TEMPLATE_NAME, f"{text}{hint}</div>", back


def own_note_type(declared: DeclaredType, deck_name: str, css: str = "") -> NoteTypeSpec:
    """A ``base: none`` type: its fields, templates and ``css`` only, nothing of ours; the
    ids it gives (``field_ids``, ``template_ids``) or ones derived from its id and names."""
    names = declared.field_names
    field_ids = declared.field_ids or tuple(derived_id(declared.id, "field", n) for n in names)
    template_ids = declared.template_ids or tuple(
        derived_id(declared.id, "template", t.name) for t in declared.templates
    )
    sort_field = declared.sort_field or names[0]
    return NoteTypeSpec(
        id=declared.id,
        name=declared.anki_name or f"{deck_name} {declared.name} (ankigen)",
        fields=tuple(zip(names, field_ids, strict=True)),
        sort_field_index=names.index(sort_field),
        templates=tuple(
            (t.name, template_id, t.front, t.back)
            for t, template_id in zip(declared.templates, template_ids, strict=True)
        ),
        css=css,
        kind=declared.name,
        model_type=CLOZE_MODEL if declared.cloze else 0,
        own=True,
    )
