"""iCalendar (RFC 5545) output of events: one event, or a feed. No database here.

Times are written as wall time with ``TZID`` of the event's time zone, and the calendar carries
the matching ``VTIMEZONE`` components, so calendar apps show them right across summer-time changes.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import icalendar

from jisr.core.hygiene import for_text, one_line
from jisr.events.models import Event

PRODID = "-//Jisr//Events//FR"


_STATUS = {"cancelled": icalendar.enums.STATUS.CANCELLED, "planned": icalendar.enums.STATUS.TENTATIVE}


def uid(event: Event, domain: str) -> str:
    return f"{event.id}@{domain}"


def event_url(public_url: str, event: Event) -> str:
    return f"{public_url.rstrip('/')}/events/{event.id}"


def calendar(events: Iterable[Event], *, public_url: str, name: str) -> bytes:
    """A VCALENDAR with one VEVENT per event, and the VTIMEZONEs they use."""
    domain = public_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "jisr"
    # Content lines hold no control characters (RFC 5545 3.1): the one-line properties get one line,
    # TEXT keeps its line breaks (escaped by icalendar) and loses the rest.
    cal = icalendar.Calendar.new(prodid=PRODID, name=one_line(name))
    cal.add("METHOD", "PUBLISH")
    first, last = date.max, date.min
    for ev in events:
        zone = ZoneInfo(ev.timezone)
        start = ev.starts_at.astimezone(zone)
        end = ev.ends_at.astimezone(zone)
        first, last = min(first, start.date()), max(last, end.date())
        location = ev.location or ev.online_url or ""
        description = ev.description
        if ev.online_url and ev.online_url != location:
            description = f"{description}\n\n{ev.online_url}".strip()
        component = icalendar.Event.new(
            uid=uid(ev, domain),
            summary=one_line(ev.title),
            description=for_text(description) if description else None,
            start=start,
            end=end,
            location=one_line(location) or None,
            url=event_url(public_url, ev),
            stamp=ev.updated_at,
            last_modified=ev.updated_at,
            sequence=ev.version,
            status=_STATUS.get(str(ev.status), icalendar.enums.STATUS.CONFIRMED),
        )
        cal.add_component(component)
    if first <= last:
        cal.add_missing_timezones(first_date=first - timedelta(days=366), last_date=last + timedelta(days=366))
    return bytes(cal.to_ical())
