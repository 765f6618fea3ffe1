import { describe, expect, it } from "vitest";
import { isoToZoned, zonedToIso } from "./zoned";

describe("wall times in an event's zone", () => {
  it("reads the wall time in the given zone, not the browser's", () => {
    expect(zonedToIso("2026-03-10T09:00", "Europe/Paris")).toBe("2026-03-10T08:00:00.000Z");
    expect(zonedToIso("2026-03-10T09:00", "Asia/Beirut")).toBe("2026-03-10T07:00:00.000Z");
    expect(zonedToIso("2026-07-10T09:00", "Europe/Paris")).toBe("2026-07-10T07:00:00.000Z");
  });
  it("round-trips, across a clock change too", () => {
    for (const wall of ["2026-03-29T01:30", "2026-03-29T03:30", "2026-10-25T04:00", "2026-12-31T23:59"]) {
      expect(isoToZoned(zonedToIso(wall, "Europe/Paris"), "Europe/Paris")).toBe(wall);
    }
    expect(isoToZoned("2026-03-10T08:00:00Z", "Europe/Paris")).toBe("2026-03-10T09:00");
  });
  it("moves a skipped time forward by the gap", () => {
    expect(isoToZoned(zonedToIso("2026-03-29T02:30", "Europe/Paris"), "Europe/Paris")).toBe("2026-03-29T03:30");
  });
  it("refuses what is not a wall time", () => {
    expect(() => zonedToIso("09:00", "Europe/Paris")).toThrow(RangeError);
  });
});
