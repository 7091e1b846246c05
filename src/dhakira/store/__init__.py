"""Blob stores: where originals live."""

from dhakira.store.base import BlobStore, Fixity, Staged, Verification
from dhakira.store.local import LocalStore

__all__ = ["BlobStore", "Fixity", "LocalStore", "Staged", "Verification"]
