import { describe, expect, it } from "vitest";
import { ApiError, nextStepKey } from "./problem";

describe("problem", () => {
  it("maps statuses to a next step", () => {
    expect(nextStepKey(0)).toBe("error.network");
    expect(nextStepKey(412)).toBe("error.stale");
    expect(nextStepKey(422)).toBe("error.invalid");
    expect(nextStepKey(503)).toBe("error.server");
    expect(nextStepKey(418)).toBe("error.generic");
  });
  it("keys field errors by field name", () => {
    const e = new ApiError(422, {
      type: "about:blank",
      title: "Invalid input",
      status: 422,
      detail: null,
      errors: [
        { loc: ["body", "title"], msg: "Field required" },
        { loc: ["body", "tag_ids", 0], msg: "Unknown theme" },
      ],
    });
    expect(e.fieldErrors()).toEqual({ title: "Field required", tag_ids: "Unknown theme" });
    expect(e.message).toBe("Invalid input");
  });
});
