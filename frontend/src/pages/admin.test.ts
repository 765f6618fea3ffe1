import { describe, expect, it } from "vitest";
import { changes } from "./Audit";
import { messageKind } from "./Outbox";

describe("admin screens", () => {
  it("shows what an audited write changed", () => {
    expect(changes({ before: { name: "Saida", population: null }, after: { name: "Saïda", population: 200000 } })).toEqual([
      "name: Saida → Saïda",
      "population: ∅ → 200000",
    ]);
    expect(changes({ before: null, after: { code: "LB-SAIDA", tags: ["eau"] } })).toEqual(["code: LB-SAIDA", 'tags: ["eau"]']);
    expect(changes({ before: { note: "" }, after: { note: "Vu" } })).toEqual(["note: ∅ → Vu"]);
    expect(changes({ before: null, after: null })).toEqual([]);
  });

  it("names an outbox message by its idempotency key", () => {
    expect(messageKind("email:census-invitation:1234:abcd:rima@saida.example")).toBe("census-invitation");
    expect(messageKind("webhook:need.created:42")).toBe("webhook");
  });
});
