"""Handing evidence over: court packages (BagIt), public releases, open data.

- :mod:`selection` — which items: by ids, search query, collection, contributor.
- :mod:`staging` — write to ``OUT.partial-XXXX``, hash while copying, rename when complete.
- :mod:`bag` — the court package (RFC 8493 BagIt, profile ``docs/bagit-profile.json``).
- :mod:`verify` — ``verify-bag``: the recipient's check (standard library + ``cryptography``).
- :mod:`public` — what may be published (:func:`public.publishable`), marking items public.
- :mod:`strip`, :mod:`site` — public copies without identifying metadata, the static site.
- :mod:`opendata` — CSV and JSON Lines with stable columns (``docs/opendata.md``).
"""
