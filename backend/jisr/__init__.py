"""Jisr — the partnership platform of the French–Lebanese decentralized cooperation programme."""

__version__ = "0.1.0"
