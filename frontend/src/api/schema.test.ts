// @vitest-environment node
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";

describe("the generated client types", () => {
  it("match the committed openapi/openapi.json (run `npm run gen:api` when this fails)", async () => {
    const spec = JSON.parse(readFileSync(resolve(process.cwd(), "../openapi/openapi.json"), "utf8"));
    const fresh = astToString(await openapiTS(spec));
    const committed = readFileSync(resolve(process.cwd(), "src/api/schema.d.ts"), "utf8");
    const body = (s: string) => s.replace(/^\/\*\*[\s\S]*?\*\/\s*/, "").trim();
    expect(body(committed)).toBe(body(fresh));
  }, 30_000);
});
