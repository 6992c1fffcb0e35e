// MathJax 3's TeX input configured as Anki configures it, for the scripts beside this file.
//
// Anki (desktop and AnkiDroid) loads MathJax's tex-chtml-full bundle, whose TeX packages are
// `require` plus mathjax-full's AllPackages, and then applies its own settings:
//   tex: {displayMath: [["\\[", "\\]"]], processEscapes: false, processEnvironments: false,
//         processRefs: false, packages: {"[+]": ["noerrors", "mathtools"], "[-]": ["textmacros"]}}
// (AnkiDroid adds "mhchem", which the full bundle already has). Inline math keeps MathJax's
// default, \(..\) only. `require` is left out here: it loads extensions at review time, which
// ankigen rejects anyway (mathcheck reports \require as unsupported).
"use strict";

const {AllPackages} = require("mathjax-full/js/input/tex/AllPackages.js");

const EXTRA = ["noerrors", "mathtools"];
const REMOVED = ["textmacros"];

function ankiPackages() {
  const list = [...AllPackages, ...EXTRA];
  return list.filter((name, i) => !REMOVED.includes(name) && list.indexOf(name) === i);
}

function ankiTexOptions() {
  return {
    packages: ankiPackages(),
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: false,
    processEnvironments: false,
    processRefs: false,
  };
}

function mathjaxFullVersion() {
  return require("mathjax-full/package.json").version;
}

module.exports = {ankiPackages, ankiTexOptions, mathjaxFullVersion};
