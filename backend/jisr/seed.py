"""Demo data (placeholder until the programme's timeline is written)."""

from sqlmodel import Session


def load_demo(session: Session) -> str:
    return "demo data: nothing yet"
