"""Stage 4a, the look: code colours, night-mode colours and scroll cues of the note types' CSS.

``THEME_CSS`` is added to the note type's own stylesheet (``anki.notetype``). It holds:

- the colours of highlighted code (``render.highlight``): Pygments' ``default`` style by day
  and its ``monokai`` by night, written out once by ``scripts/theme_tokens.py`` and pasted
  here, so that a new Pygments never changes a learner's note type;
- night-mode colours (Anki puts ``nightMode`` on the card's ``<body>``) for tables, code and
  links, the hint link of Anki's ``{{hint:…}}`` among them;
- scroll cues: a display formula, a code block or a table wider than a phone's screen
  scrolls sideways inside itself, never the page, and shows that it does with "scroll
  shadows": a shadow at each edge that has more content past it, drawn by backgrounds alone
  (a cover that scrolls with the content, ``background-attachment: local``, hides the shadow,
  which stays put, wherever the content ends). No script, nothing loaded.
"""

from __future__ import annotations

# the token colours, as scripts/theme_tokens.py printed them (Pygments 2.21)
TOKEN_CSS = """\
.highlight .bp, .highlight .kp, .highlight .nb, .highlight .sx { color: #008000 }
.highlight .c, .highlight .c1, .highlight .ch, .highlight .cm, .highlight .cpf, .highlight .cs
{ color: #3d7b7b; font-style: italic }
.highlight .cp { color: #9c6500 }
.highlight .dl, .highlight .s, .highlight .s1, .highlight .s2, .highlight .sa, .highlight .sb,
.highlight .sc, .highlight .sh { color: #ba2121 }
.highlight .fm, .highlight .nf { color: #0000ff }
.highlight .gd { color: #a00000 }
.highlight .ge { font-style: italic }
.highlight .ges { font-weight: bold; font-style: italic }
.highlight .gh, .highlight .gp { color: #000080; font-weight: bold }
.highlight .gi { color: #008400 }
.highlight .go { color: #717171 }
.highlight .gr { color: #e40000 }
.highlight .gs { font-weight: bold }
.highlight .gt { color: #0044dd }
.highlight .gu { color: #800080; font-weight: bold }
.highlight .il, .highlight .m, .highlight .mb, .highlight .mf, .highlight .mh, .highlight .mi,
.highlight .mo, .highlight .o { color: #666666 }
.highlight .k, .highlight .kc, .highlight .kd, .highlight .kn, .highlight .kr, .highlight .nt
{ color: #008000; font-weight: bold }
.highlight .kt { color: #b00040 }
.highlight .na { color: #687822 }
.highlight .nc, .highlight .nn { color: #0000ff; font-weight: bold }
.highlight .nd { color: #aa22ff }
.highlight .ne { color: #cb3f38; font-weight: bold }
.highlight .ni { color: #717171; font-weight: bold }
.highlight .nl { color: #767600 }
.highlight .no { color: #880000 }
.highlight .nv, .highlight .ss, .highlight .vc, .highlight .vg, .highlight .vi, .highlight .vm
{ color: #19177c }
.highlight .ow { color: #aa22ff; font-weight: bold }
.highlight .sd { color: #ba2121; font-style: italic }
.highlight .se { color: #aa5d1f; font-weight: bold }
.highlight .si { color: #a45a77; font-weight: bold }
.highlight .sr { color: #a45a77 }
.nightMode .highlight .bp, .nightMode .highlight .fm, .nightMode .highlight .gi,
.nightMode .highlight .na, .nightMode .highlight .nb, .nightMode .highlight .nc,
.nightMode .highlight .nd, .nightMode .highlight .ne, .nightMode .highlight .nf,
.nightMode .highlight .nx { color: #a6e22e; font-weight: normal; font-style: normal }
.nightMode .highlight .c, .nightMode .highlight .c1, .nightMode .highlight .ch,
.nightMode .highlight .cm, .nightMode .highlight .cp, .nightMode .highlight .cpf,
.nightMode .highlight .cs, .nightMode .highlight .gu
{ color: #959077; font-weight: normal; font-style: normal }
.nightMode .highlight .dl, .nightMode .highlight .ld, .nightMode .highlight .s,
.nightMode .highlight .s1, .nightMode .highlight .s2, .nightMode .highlight .sa,
.nightMode .highlight .sb, .nightMode .highlight .sc, .nightMode .highlight .sd,
.nightMode .highlight .sh, .nightMode .highlight .si, .nightMode .highlight .sr,
.nightMode .highlight .ss, .nightMode .highlight .sx
{ color: #e6db74; font-weight: normal; font-style: normal }
.nightMode .highlight .esc, .nightMode .highlight .g, .nightMode .highlight .gh,
.nightMode .highlight .n, .nightMode .highlight .ni, .nightMode .highlight .nl,
.nightMode .highlight .nn, .nightMode .highlight .nv, .nightMode .highlight .p,
.nightMode .highlight .pm, .nightMode .highlight .py, .nightMode .highlight .vc,
.nightMode .highlight .vg, .nightMode .highlight .vi, .nightMode .highlight .vm,
.nightMode .highlight .x { color: inherit; font-weight: normal; font-style: normal }
.nightMode .highlight .gd, .nightMode .highlight .gr, .nightMode .highlight .kn,
.nightMode .highlight .nt, .nightMode .highlight .o, .nightMode .highlight .ow
{ color: #ff4689; font-weight: normal; font-style: normal }
.nightMode .highlight .ge { color: inherit; font-weight: normal; font-style: italic }
.nightMode .highlight .ges { color: inherit; font-weight: bold; font-style: italic }
.nightMode .highlight .go, .nightMode .highlight .gt, .nightMode .highlight .k,
.nightMode .highlight .kc, .nightMode .highlight .kd, .nightMode .highlight .kp,
.nightMode .highlight .kr, .nightMode .highlight .kt, .nightMode .highlight .no
{ color: #66d9ef; font-weight: normal; font-style: normal }
.nightMode .highlight .gp { color: #ff4689; font-weight: bold; font-style: normal }
.nightMode .highlight .gs { color: inherit; font-weight: bold; font-style: normal }
.nightMode .highlight .il, .nightMode .highlight .l, .nightMode .highlight .m,
.nightMode .highlight .mb, .nightMode .highlight .mf, .nightMode .highlight .mh,
.nightMode .highlight .mi, .nightMode .highlight .mo, .nightMode .highlight .se
{ color: #ae81ff; font-weight: normal; font-style: normal }
"""

# Each wide element's cover is the colour of its background; the shadow is dark by day and
# a light glow by night, where a dark one would not show. The backgrounds are set for
# ``.nightMode pre`` too, which the note type's own CSS gives a plain background.
SCROLL_CSS = """\
.math-display, pre, table {
  max-width: 100%;
  overflow-x: auto;
  --scroll-cover: #fdfdfd;
  --scroll-clear: rgba(253, 253, 253, 0);
  --scroll-shadow: rgba(0, 0, 0, 0.22);
}
pre { --scroll-cover: #f2f2f2; --scroll-clear: rgba(242, 242, 242, 0); }
.nightMode .math-display, .nightMode table {
  --scroll-cover: #1f1f1f;
  --scroll-clear: rgba(31, 31, 31, 0);
  --scroll-shadow: rgba(255, 255, 255, 0.25);
}
.nightMode pre {
  --scroll-cover: #2a2a2a;
  --scroll-clear: rgba(42, 42, 42, 0);
  --scroll-shadow: rgba(255, 255, 255, 0.25);
}
.math-display, pre, table, .nightMode pre {
  background:
    linear-gradient(to right, var(--scroll-cover) 30%, var(--scroll-clear))
      left center / 2.5em 100% no-repeat local,
    linear-gradient(to left, var(--scroll-cover) 30%, var(--scroll-clear))
      right center / 2.5em 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, var(--scroll-shadow), rgba(0, 0, 0, 0))
      left center / 0.8em 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, var(--scroll-shadow), rgba(0, 0, 0, 0))
      right center / 0.8em 100% no-repeat scroll,
    var(--scroll-cover);
}
"""

# Night mode for what the note type's CSS colours by day, and links: Anki's hint link
# (``a.hint``) and the hint it reveals (``div.hint``) among them.
NIGHT_CSS = """\
:not(pre) > code { padding: 0.1em 0.25em; border-radius: 3px; background: #f0f0f0; }
.nightMode :not(pre) > code { background: #2f2f2f; }
th { background: rgba(0, 0, 0, 0.04); }
.nightMode th, .nightMode td { border-color: #4a4a4a; }
.nightMode th { background: rgba(255, 255, 255, 0.06); }
.nightMode a, .nightMode a.hint { color: #8ab4f8; }
.nightMode .hint { color: #a8abb0; }
"""

THEME_CSS = SCROLL_CSS + NIGHT_CSS + TOKEN_CSS
