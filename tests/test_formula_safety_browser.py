"""Formula safety where it would run: real MathJax in a real Chromium, set up as the preview sets
it up (as Anki does, without MathJax's ``safe`` extension).

- The preview of a deck with every formula feature ankigen still allows has no link but
  http(s), no CSS ``url()``, no foreign class or id, and makes no request off the machine.
- Each hostile formula that ankigen refuses really is a hazard in that MathJax (a
  ``javascript:`` link, a network request, a class or id of Anki's page): the rules are not
  stricter than they need be, and the browser checks would catch one that slipped through.
- ``texsafety.typeset_formulas``, which the last look at assembly trusts to find every formula
  in a field, finds exactly what MathJax finds.
"""

from __future__ import annotations

import json

from ankigen.tex.safety import hazards, typeset_formulas
from tests.browser import chromium_page, wait_for_mathjax
from tests.test_hostile import ALLOWED_FORMULAS, CARD
from tests.test_preview import make_preview

# What in a typeset element a learner's device must never get; and every request so far.
HAZARDS_JS = """(el) => {
  const found = [];
  for (const n of el.querySelectorAll('[href]')) {
    const href = n.getAttribute('href');
    if (!/^https?:\\/\\//i.test(href)) found.push('href ' + href);
  }
  for (const n of el.querySelectorAll('[style]')) {
    if (/url\\(/i.test(n.getAttribute('style'))) found.push('style ' + n.getAttribute('style'));
  }
  for (const n of el.querySelectorAll('*')) {
    for (const a of n.getAttributeNames()) if (/^on/i.test(a)) found.push('handler ' + a);
  }
  if (el.querySelector('.qa, #qa')) found.push('class or id of the page');
  return found;
}"""
TYPESET_JS = """async ([html, id]) => {
  const div = document.createElement('div');
  div.id = id;
  div.innerHTML = html;
  document.body.appendChild(div);
  await MathJax.typesetPromise([div]);
  return MathJax.startup.document.getMathItemsWithin(div).map(m => [m.math, m.display]);
}"""

# Hostile formulas whose harm shows in the DOM or the network log (others, like
# \\require, would load an extension: also a request, but from the local MathJax here).
HOSTILE = [
    r"\href{javascript:alert(1)}{\text{click me}}",
    r"\href{JaVaScRiPt:alert(1)}{x}",
    r"\href{//127.0.0.1:9/x}{x}",
    r'\mmlToken{mi}[href="javascript:alert(1)"]{x}',
    r"\style{background-image:url(http://127.0.0.1:9/style)}{x}",
    r'\mmlToken{mi}[style="background-image:url(http://127.0.0.1:9/token)"]{x}',
    r"\bbox[background-image:url(http://127.0.0.1:9/bbox)]{x}",
    r"\class{qa}{x}",
    r"\cssId{qa}{x}",
    r"\newcommand{\h}[1]{\href{#1}{x}}\h{javascript:alert(1)}",
    r"\let\h\href \h{javascript:alert(1)}{x}",
    r"\def\s#1{\style{#1}{x}}\s{background-image:url(http://127.0.0.1:9/def)}",
]

# Fields as MathJax meets them, formulas split by tags, joined by <br>, hidden in code.
FIELDS = [
    r"<p>a \(x\) b \(y^2\)</p>",
    r"<p>\\(x\)</p>",
    r"<p>\(x <b>y</b> \)</p>",
    r"<p>\(a<br>b\)</p>",
    r"<p><code>\(x\)</code> \(y\)</p>",
    r"<pre>\[x\]</pre><p>\[z\]</p>",
    r'<span class="math-display">\[ \begin{aligned} a &amp;= b \\[2pt] c &amp;= d \end{aligned} \]</span>',
    r"<p>\( {\) } \) and \(a \{ \) b\)</p>",
    r"<p>\(x</p><p>\)</p>",
    r"<p>a &lt; \(b &lt; c\) &amp; \[d\]</p>",
]


def _requests_off_the_machine(requests: list[str]) -> list[str]:
    return [url for url in requests if not url.startswith(("file:", "data:", "about:"))]


def test_allowed_formulas_are_harmless_and_hostile_ones_are_real_hazards(runner, cards, tmp_path):
    card = cards.parent / CARD
    extra = "\n\n".join(ALLOWED_FORMULAS)
    card.write_text(card.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")
    page_file = make_preview(runner, cards, tmp_path / "out")
    with chromium_page() as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        formulas = wait_for_mathjax(page)
        assert [f for f in formulas if f[2]] == []
        cards_html = page.locator("#cards")
        shown = page.evaluate(HAZARDS_JS, cards_html.element_handle())
        assert shown == []
        assert page.locator("#cards a[href^='https://en.wikipedia.org']").count() >= 1
        assert _requests_off_the_machine(requests) == []

        for number, tex in enumerate(HOSTILE):
            assert hazards(tex), tex  # ankigen refuses it
            before = len(requests)
            page.evaluate(TYPESET_JS, [f"<p>\\({tex}\\)</p>", f"hostile{number}"])
            element = page.locator(f"#hostile{number}").element_handle()
            page.wait_for_timeout(50)  # a style's image is requested once laid out
            harm = page.evaluate(HAZARDS_JS, element) + _requests_off_the_machine(requests[before:])
            assert harm, f"{tex} did nothing harmful in MathJax"


def test_the_formulas_found_in_a_field_are_those_mathjax_typesets(runner, cards, tmp_path):
    page_file = make_preview(runner, cards, tmp_path / "out")
    with chromium_page() as page:
        page.goto(page_file.as_uri())
        wait_for_mathjax(page)
        for number, field in enumerate(FIELDS):
            typeset = page.evaluate(TYPESET_JS, [field, f"field{number}"])
            found = [list(item) for item in typeset_formulas(field)]
            assert found == typeset, json.dumps([field, typeset])
