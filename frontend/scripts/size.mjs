// Gzipped size of the JavaScript a first visit loads: the entry script of dist/index.html
// and the chunks it preloads (lazy screens are counted separately).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
let total = 0;
for (const f of initial) {
  const n = gz(f);
  total += n;
  console.log(`initial  ${kb(n).padStart(9)}  ${f}`);
}
const lazy = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js") && !initial.includes(`assets/${f}`));
const lazyTotal = lazy.reduce((s, f) => s + gz(`assets/${f}`), 0);
console.log(`initial JavaScript, gzipped: ${kb(total)} (budget 300 kB); lazy screens: ${kb(lazyTotal)} in ${lazy.length} chunks`);
if (total > 300 * 1024) {
  console.error("over budget");
  process.exit(1);
}
