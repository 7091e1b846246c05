"""UTC timestamps in one format everywhere: ISO 8601 with microseconds and a Z."""

from __future__ import annotations

import datetime as dt


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_epoch_ns(ns: int) -> str:
    t = dt.datetime.fromtimestamp(ns / 1e9, dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
