"""One error hierarchy for the whole package.

Each error carries the message shown to the user (one line, saying what to do next),
the process exit code the CLI uses, and the HTTP status a web adapter would use::

    DhakiraError                    exit 1
    ├── ArchiveNotFound             exit 2   no archive at or above the given path
    ├── ArchiveExists               exit 2   init over an existing archive
    ├── FormatTooNew                exit 2   archive written by a newer release
    ├── ItemNotFound                exit 2   no item with that id / prefix   (HTTP 404)
    ├── AmbiguousId                 exit 2   prefix matches several items     (HTTP 409)
    ├── InputError                  exit 1   a file or folder given to `add` cannot be used
    ├── StoreError                  exit 74  the blob store failed (I/O, full disk)
    │   └── DiskFull                exit 74
    └── IntegrityError              exit 3   a stored original does not match its digest
"""

from __future__ import annotations


class DhakiraError(Exception):
    """Base class: ``str(err)`` is the one-line message for the user."""

    exit_code = 1
    http_status = 500


class ArchiveNotFound(DhakiraError):
    exit_code = 2
    http_status = 404


class ArchiveExists(DhakiraError):
    exit_code = 2
    http_status = 409


class FormatTooNew(DhakiraError):
    exit_code = 2
    http_status = 500


class ItemNotFound(DhakiraError):
    exit_code = 2
    http_status = 404


class AmbiguousId(DhakiraError):
    exit_code = 2
    http_status = 409


class InputError(DhakiraError):
    exit_code = 1
    http_status = 400


class StoreError(DhakiraError):
    exit_code = 74  # EX_IOERR
    http_status = 507


class DiskFull(StoreError):
    pass


class IntegrityError(DhakiraError):
    exit_code = 3
    http_status = 500
