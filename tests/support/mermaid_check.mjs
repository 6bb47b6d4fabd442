// Parses a Mermaid diagram from stdin with Mermaid's own parser (the one GitHub's renderer uses);
// prints "ok <diagram type>" or the parse error and exits 1. Run by tests/core/test_diagram.py with
// the packages `make diagram-tools` installs into .diagram-tools/.
import { JSDOM } from "jsdom";
import { readFileSync } from "fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
try {
  const result = await mermaid.parse(readFileSync(0, "utf8"));
  console.log("ok", result.diagramType);
} catch (error) {
  console.error("error:", error.message);
  process.exit(1);
}
