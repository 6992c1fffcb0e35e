// Typesets card HTML with MathJax 3 configured as Anki configures it and reports, for each
// piece of HTML, the math MathJax found in it and what went wrong: TeX errors (merror nodes,
// which Anki's noerrors package shows as the raw TeX in a box) and undefined control
// sequences (which Anki's noundefined package shows in red, recorded as noundefined meets them).
//
// stdin: a JSON array of HTML strings. stdout: a JSON array of
// {"math": [[tex, display], ...], "errors": ["...", ...]}, one per string.
// Each string gets a fresh TeX input, so a \newcommand in one cannot help another.
"use strict";

const fs = require("fs");
const {mathjax} = require("mathjax-full/js/mathjax.js");
const {TeX} = require("mathjax-full/js/input/tex.js");
const {CHTML} = require("mathjax-full/js/output/chtml.js");
const {liteAdaptor} = require("mathjax-full/js/adaptors/liteAdaptor.js");
const {RegisterHTMLHandler} = require("mathjax-full/js/handlers/html.js");
const {NoUndefinedConfiguration} = require("mathjax-full/js/input/tex/noundefined/NoUndefinedConfiguration.js");
const {ankiTexOptions} = require("./anki-tex.js");

RegisterHTMLHandler(liteAdaptor());

// Record each undefined control sequence where noundefined handles it: its red text alone
// cannot be told from text that \color{red} made red.
let undefinedNames = [];
const showUndefined = NoUndefinedConfiguration.fallback.macro;
NoUndefinedConfiguration.fallback.macro = function (parser, name) {
  undefinedNames.push("undefined \\" + name);
  return showUndefined(parser, name);
};
const output = new CHTML(); // the bussproofs package needs an output jax to exist

function typeset(html) {
  const doc = mathjax.document(html, {InputJax: new TeX(ankiTexOptions()), OutputJax: output});
  undefinedNames = [];
  doc.findMath().compile();
  const math = [];
  const errors = [...undefinedNames];
  for (const item of doc.math) {
    math.push([item.math, item.display]);
    item.root.walkTree((node) => {
      if (node.isKind("merror")) errors.push(node.attributes.get("data-mjx-error") || "merror");
    });
  }
  return {math, errors};
}

const inputs = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(inputs.map(typeset)) + "\n");
