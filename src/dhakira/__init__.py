"""Dhakira (ذاكرة, "memory"): an archive for the documentation of a war."""

__version__ = "0.1.0"
