"""Versioned migrations of the catalog. Append only: never edit a migration that has shipped.

``PRAGMA user_version`` holds the number of migrations applied. A catalog whose version is
higher than ``len(MIGRATIONS)`` was written by a newer release and is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

from dhakira.custody import tree

Migration = str | Callable[[sqlite3.Connection], None]


def statements(script: str) -> Iterator[str]:
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            yield buf
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {buf!r}")


CUSTODY_LOG = (
    """
    ALTER TABLE events ADD COLUMN leaf BLOB;  -- RFC 9162 leaf hash of body (UTF-8)
    CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        note TEXT NOT NULL,             -- the signed note (C2SP tlog-checkpoint), verbatim
        key TEXT NOT NULL,              -- verifier key of the signer
        created_at TEXT NOT NULL
    );
    CREATE INDEX checkpoints_size ON checkpoints(size);
    CREATE TABLE timestamps (
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
        tsa_url TEXT NOT NULL,
        token BLOB NOT NULL,            -- DER RFC 3161 TimeStampToken
        gen_time TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE log_keys (
        id INTEGER PRIMARY KEY,
        vkey TEXT NOT NULL UNIQUE,      -- C2SP verifier key string
        created_at TEXT NOT NULL,
        retired_at TEXT
    );
    """
    + tree.SCHEMA
)


def _custody_log(conn: sqlite3.Connection) -> None:
    """2 — the custody log: leaf hashes and Merkle nodes, backfilled for existing events."""
    for statement in statements(CUSTODY_LOG):
        conn.execute(statement)
    appender = tree.Appender(conn)
    appender.size, appender.edge = 0, []
    for seq, body in conn.execute("SELECT seq, body FROM events ORDER BY seq").fetchall():
        leaf = tree.leaf_hash(body.encode("utf-8"))
        conn.execute("UPDATE events SET leaf = ? WHERE seq = ?", (leaf, seq))
        appender.append(leaf)
    appender.flush()


MIGRATIONS: list[Migration] = [
    # 1 — items, provenance, derived metadata, fixity, the event record.
    """
    CREATE TABLE contributors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        contributor_id INTEGER NOT NULL REFERENCES contributors(id),
        collection_id INTEGER REFERENCES collections(id),
        source BLOB NOT NULL,           -- the path given to `add`, byte-exact
        actor TEXT NOT NULL,            -- the operating-system user and host who ran it
        tool_version TEXT NOT NULL,
        summary TEXT                    -- JSON counts, written when the batch finishes
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,    -- lowercase hex; the blob's address
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        mime_tool TEXT NOT NULL,        -- libmagic version that detected it
        added_at TEXT NOT NULL,
        first_batch_id INTEGER NOT NULL REFERENCES batches(id)
    );
    CREATE TABLE contributions (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        contributor_id INTEGER NOT NULL REFERENCES contributors(id),
        collection_id INTEGER REFERENCES collections(id),
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        source_path BLOB NOT NULL,      -- where it sat on the contributor's drive, byte-exact
        member_path BLOB NOT NULL DEFAULT x'',  -- path inside the container archive, byte-exact
        parent_id INTEGER REFERENCES contributions(id),  -- the archive file it came out of
        original_name BLOB NOT NULL,    -- last component, byte-exact
        display_path TEXT NOT NULL,     -- for people: undecodable bytes shown as \\xNN
        size INTEGER NOT NULL,
        mtime TEXT,                     -- as the contributor's file system (or archive) said
        received_at TEXT NOT NULL,
        note TEXT,
        restriction TEXT                -- the contributor's sharing restriction, if any
    );
    CREATE UNIQUE INDEX contributions_once ON contributions(
        contributor_id, source_path, member_path, item_id, ifnull(collection_id, 0)
    );
    CREATE INDEX contributions_item ON contributions(item_id);
    CREATE INDEX contributions_batch ON contributions(batch_id);
    CREATE TABLE tool_outputs (         -- raw output of each metadata tool, rebuildable
        item_id INTEGER NOT NULL REFERENCES items(id),
        tool TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        raw TEXT,                       -- JSON
        error TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (item_id, tool, tool_version)
    );
    CREATE TABLE properties (           -- normalised from tool_outputs by a pure function
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        normaliser_version INTEGER NOT NULL,
        width INTEGER, height INTEGER, duration_s REAL, video_codec TEXT, audio_codec TEXT,
        bitrate INTEGER, frame_rate REAL, captured_at TEXT,
        gps_lat REAL, gps_lon REAL, gps_alt REAL,
        make TEXT, model TEXT, serial TEXT, software TEXT, title TEXT, author TEXT,
        page_count INTEGER, decodes INTEGER,
        errors TEXT                     -- tools that failed on this item, "; "-joined
    );
    CREATE INDEX properties_captured ON properties(captured_at);
    CREATE TABLE fixity (
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        last_checked_at TEXT NOT NULL,
        last_ok_at TEXT,
        last_status TEXT NOT NULL
    );
    CREATE INDEX fixity_checked ON fixity(last_checked_at);
    CREATE TABLE events (               -- every change, appended in the same transaction
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        item_sha256 TEXT,
        body TEXT NOT NULL              -- canonical JSON of the whole event
    );
    CREATE INDEX events_item ON events(item_sha256);
    """,
    _custody_log,
    # 3 — extracted text and the full-text index
    """
    CREATE TABLE texts (                -- text extracted from an item, rebuildable
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        tool TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        text TEXT NOT NULL,
        languages TEXT NOT NULL,        -- comma-separated: ar,en
        ocr INTEGER NOT NULL,
        pages INTEGER,
        error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE search_docs (          -- what was indexed for an item, in its original form
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        text TEXT NOT NULL,
        languages TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE search_fts USING fts5(  -- rowid = items.id
        norm, stem, names,              -- normalised text, light stems, name keys
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TABLE search_dirty (item_id INTEGER PRIMARY KEY);
    """,
    # 4 — index generations, so in-memory facet codes reload only what was reindexed.
    """
    ALTER TABLE search_docs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX search_docs_generation ON search_docs(generation);
    CREATE TABLE search_state (         -- one row: the index's identity and generation
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token TEXT NOT NULL,            -- random per catalog
        generation INTEGER NOT NULL     -- bumped by every indexing batch
    );
    INSERT INTO search_state(id, token, generation) VALUES (1, lower(hex(randomblob(16))), 0);
    CREATE TABLE search_facets_snapshot (  -- the facet codes as of a generation (numpy .npz)
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token TEXT NOT NULL,
        generation INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    """,
    # 5 — sentence embeddings for cross-lingual semantic search (optional, derived).
    """
    CREATE TABLE embeddings (
        item_id INTEGER PRIMARY KEY REFERENCES items(id),
        model TEXT NOT NULL,
        generation INTEGER NOT NULL,    -- search_docs.generation of the text embedded
        vector BLOB NOT NULL            -- float16 x dimensions, L2-normalised
    );
    """,
    # 6 — accounts for the web archive, and restricted items (docs/web.md)
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password TEXT NOT NULL,         -- argon2id hash (PHC string), never the password
        role TEXT NOT NULL CHECK (role IN ('admin', 'investigator', 'viewer')),
        language TEXT,                  -- 'ar' / 'en', or NULL: from the browser
        created_at TEXT NOT NULL,
        disabled_at TEXT
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,    -- SHA-256 of the cookie's secret
        user_id INTEGER NOT NULL REFERENCES users(id),
        csrf TEXT NOT NULL,             -- the session's CSRF token
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,  -- SHA-256 of the token; the token is shown once
        user_id INTEGER NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        at TEXT NOT NULL,
        ok INTEGER NOT NULL
    );
    CREATE INDEX login_attempts_at ON login_attempts(at);
    CREATE TABLE restrictions (         -- one row per (restricted thing, who may see it)
        id INTEGER PRIMARY KEY,
        item_id INTEGER REFERENCES items(id),
        collection_id INTEGER REFERENCES collections(id),
        role TEXT CHECK (role IN ('admin', 'investigator', 'viewer')),
        user_id INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        CHECK ((item_id IS NULL) != (collection_id IS NULL)),
        CHECK ((role IS NULL) != (user_id IS NULL))
    );
    CREATE UNIQUE INDEX restrictions_once ON restrictions(
        ifnull(item_id, 0), ifnull(collection_id, 0), ifnull(role, ''), ifnull(user_id, 0)
    );
    CREATE INDEX restrictions_item ON restrictions(item_id);
    CREATE INDEX contributions_collection ON contributions(collection_id);
    CREATE INDEX contributions_parent ON contributions(parent_id);  -- an archive's members
    """,
    # 7 — hand-over: what is marked public, what contributors agreed to show, exports made
    """
    CREATE TABLE publication (          -- an item or a whole collection marked public
        id INTEGER PRIMARY KEY,
        item_id INTEGER REFERENCES items(id),
        collection_id INTEGER REFERENCES collections(id),
        published_at TEXT NOT NULL,
        published_by TEXT NOT NULL,     -- user@host who marked it
        CHECK ((item_id IS NULL) != (collection_id IS NULL))
    );
    CREATE UNIQUE INDEX publication_item ON publication(item_id) WHERE item_id IS NOT NULL;
    CREATE UNIQUE INDEX publication_collection ON publication(collection_id)
        WHERE collection_id IS NOT NULL;
    ALTER TABLE contributors ADD COLUMN public_name TEXT;  -- what they agreed to show; NULL: none
    CREATE TABLE exports (              -- every package handed over
        id TEXT PRIMARY KEY,            -- a UUID, also in the package
        kind TEXT NOT NULL,             -- bag, public, csv, jsonl
        destination TEXT NOT NULL,
        selection TEXT NOT NULL,        -- JSON: how the items were chosen
        items INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,               -- NULL: it failed or was interrupted
        digest TEXT                     -- SHA-256 of the bag's manifest-sha256.txt, or the file
    );
    """,
    # 8 — near-duplicates: perceptual signatures, their hashes, revisable links between items
    """
    CREATE TABLE sim_signatures (       -- one per (item, algorithm, version), rebuildable
        item_id INTEGER NOT NULL REFERENCES items(id),
        algorithm TEXT NOT NULL,        -- pdq
        version INTEGER NOT NULL,       -- dhakira.similar.VERSION
        kind TEXT,                      -- image | video; NULL when none could be made
        width INTEGER, height INTEGER, duration_s REAL,
        picture_pixels INTEGER,         -- pixels inside uniform borders (letterbox etc.)
        frames INTEGER NOT NULL DEFAULT 0,  -- video frames kept
        note TEXT,                      -- e.g. "short or still video: 1 distinct frame(s)"
        error TEXT,                     -- why no signature could be made
        created_at TEXT NOT NULL,
        PRIMARY KEY (item_id, algorithm, version)
    );
    CREATE TABLE sim_hashes (           -- the hashes of a signature
        item_id INTEGER NOT NULL REFERENCES items(id),
        algorithm TEXT NOT NULL,
        version INTEGER NOT NULL,
        variant TEXT NOT NULL,          -- full, trim, bars, centre, tl.. (images); frame, fcentre
        t REAL,                         -- the frame's time in seconds (video)
        hash BLOB NOT NULL,             -- 32 bytes: PDQ
        quality INTEGER NOT NULL,       -- PDQ quality 0..100
        phash INTEGER                   -- 64-bit pHash (as signed int64), images
    );
    CREATE INDEX sim_hashes_item ON sim_hashes(item_id, algorithm, version);
    CREATE TABLE sim_links (            -- near-duplicate links; never deleted, only revised
        a INTEGER NOT NULL REFERENCES items(id),
        b INTEGER NOT NULL REFERENCES items(id),
        method TEXT NOT NULL,           -- image | frame | video | video-mirrored | manual
        score REAL, distance INTEGER, frames INTEGER,
        offset_s REAL,                  -- video: time in b = time in a + offset_s
        frame_item INTEGER,             -- frame: the video item whose frame matched
        detail TEXT,
        status TEXT NOT NULL,           -- auto | confirmed | rejected
        decided_by TEXT, decided_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (a, b),
        CHECK (a < b)
    );
    CREATE INDEX sim_links_b ON sim_links(b);
    """,
    # 9: a counter every change to who-may-see-what moves, so readers can keep the hidden set
    """
    CREATE TABLE access_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    );
    INSERT INTO access_state VALUES (1, 0);
    CREATE TRIGGER access_restrictions_insert AFTER INSERT ON restrictions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    CREATE TRIGGER access_restrictions_update AFTER UPDATE ON restrictions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    CREATE TRIGGER access_restrictions_delete AFTER DELETE ON restrictions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    CREATE TRIGGER access_contributions_insert AFTER INSERT ON contributions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    CREATE TRIGGER access_contributions_update AFTER UPDATE ON contributions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    CREATE TRIGGER access_contributions_delete AFTER DELETE ON contributions
        BEGIN UPDATE access_state SET generation = generation + 1; END;
    """,
    # 10 — the near-duplicate hash index on disk (derived/similar/): which catalog and which
    # generation of the stored hashes it holds; any removal of a hash makes a saved file stale
    """
    CREATE TABLE sim_index_state (      -- one row: what a saved hash index must match
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token TEXT NOT NULL,            -- random per catalog
        generation INTEGER NOT NULL,    -- bumped whenever a row of sim_hashes is deleted
        link_settings TEXT              -- JSON: the [similar] settings the links were made under
    );
    INSERT INTO sim_index_state(id, token, generation) VALUES (1, lower(hex(randomblob(16))), 0);
    CREATE TRIGGER sim_hashes_removed AFTER DELETE ON sim_hashes BEGIN
        UPDATE sim_index_state SET generation = generation + 1 WHERE id = 1;
    END;
    """,
    # 11 — sim_hashes row ids are never reused (AUTOINCREMENT): the index reads new rows by id,
    # and an item re-signed after its rows were deleted must get ids above every earlier one
    """
    CREATE TABLE sim_hashes_v11 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id INTEGER NOT NULL REFERENCES items(id),
        algorithm TEXT NOT NULL,
        version INTEGER NOT NULL,
        variant TEXT NOT NULL,
        t REAL,
        hash BLOB NOT NULL,
        quality INTEGER NOT NULL,
        phash INTEGER
    );
    INSERT INTO sim_hashes_v11(id, item_id, algorithm, version, variant, t, hash, quality, phash)
        SELECT rowid, item_id, algorithm, version, variant, t, hash, quality, phash FROM sim_hashes;
    DROP TABLE sim_hashes;
    ALTER TABLE sim_hashes_v11 RENAME TO sim_hashes;
    CREATE INDEX sim_hashes_item ON sim_hashes(item_id, algorithm, version);
    CREATE TRIGGER sim_hashes_removed AFTER DELETE ON sim_hashes BEGIN
        UPDATE sim_index_state SET generation = generation + 1 WHERE id = 1;
    END;
    """,
]
