// Wall times in a named time zone (an event's), independent of the browser's own zone.
// `<input type="datetime-local">` gives "YYYY-MM-DDTHH:mm" with no zone; `new Date(value)` would read it
// in the browser's zone, so a coordinator in Beirut entering a Paris mission's 09:00 saved 08:00 Paris.

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall time in `timeZone` at the instant `ms`, as milliseconds of a UTC clock showing that time. */
function wallAt(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** "2026-03-10T09:00" read as a wall time in `timeZone` → the instant, ISO 8601 in UTC.
 * A time skipped by a clock change (02:30 on the spring-forward night) moves forward by the gap. */
export function zonedToIso(wall: string, timeZone: string): string {
  const m = WALL.exec(wall);
  if (!m) throw new RangeError(`not a wall time: ${wall}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  const target = Date.UTC(y, mo - 1, d, h, mi, s);
  // offset = wall − instant; two passes settle it on either side of a clock change.
  let ms = target - (wallAt(target, timeZone) - target);
  ms = target - (wallAt(ms, timeZone) - ms);
  return new Date(ms).toISOString();
}

/** An instant → its wall time in `timeZone` as "YYYY-MM-DDTHH:mm" (a datetime-local value). */
export function isoToZoned(iso: string, timeZone: string): string {
  return new Date(wallAt(new Date(iso).getTime(), timeZone)).toISOString().slice(0, 16);
}
