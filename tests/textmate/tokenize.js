// Tokenize files with a TextMate grammar, as VS Code does (vscode-textmate and
// its Oniguruma engine). Usage: node tokenize.js GRAMMAR FILE...
// Prints JSON: {file: [[line, text, [scopes...]], ...]}.
"use strict";
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(path.join(__dirname, "node_modules/vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath),
  });
  const grammar = await registry.loadGrammar("source.loopdsl");
  const out = {};
  for (const file of files) {
    let state = vsctm.INITIAL;
    const tokens = [];
    fs.readFileSync(file, "utf8").split(/\r?\n/).forEach((line, i) => {
      const result = grammar.tokenizeLine(line, state);
      for (const t of result.tokens) {
        tokens.push([i + 1, line.substring(t.startIndex, t.endIndex), t.scopes]);
      }
      state = result.ruleStack;
    });
    out[file] = tokens;
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
