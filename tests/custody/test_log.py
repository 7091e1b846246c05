"""The custody log in the catalog: tree storage, checkpoints, proofs, keys, tamper detection."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import run
from tests.custody.tsa import LocalTSA, dead_url

from dhakira.archive import Archive
from dhakira.catalog.schema import MIGRATIONS
from dhakira.custody import merkle
from dhakira.custody.audit import verify_log
from dhakira.custody.tree import DbNodes
from dhakira.errors import IntegrityError
from dhakira.progress import Quiet


def fill(archive: Archive, n: int, item: str = "a" * 64) -> None:
    with archive.catalog.transaction():
        for i in range(n):
            archive.catalog.event("test.event", item if i % 3 == 0 else None, n=i)


def bodies(archive: Archive) -> list[bytes]:
    rows = archive.catalog.conn.execute("SELECT body FROM events ORDER BY seq")
    return [r[0].encode() for r in rows]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 70), min_size=1, max_size=4))
def test_stored_tree_gives_the_rfc9162_root_and_proofs(
    tmp_path_factory: pytest.TempPathFactory, batches: list[int]
) -> None:
    with Archive.create(tmp_path_factory.mktemp("t") / "a") as archive:
        for n in batches:
            fill(archive, n)
        data = bodies(archive)
        size = len(data)
        assert archive.catalog.log.root() == merkle.root(data)
        nodes = DbNodes(archive.catalog.conn)
        for index in {0, size // 2, size - 1}:
            proof = merkle.inclusion_proof(nodes, index, size)
            leaf = merkle.leaf_hash(data[index])
            assert merkle.verify_inclusion(leaf, index, size, proof, merkle.root(data))
        old = max(1, size // 3)
        proof = merkle.consistency_proof(nodes, old, size)
        assert merkle.verify_consistency(
            old, size, merkle.root(data[:old]), merkle.root(data), proof
        )


def test_a_catalog_from_before_the_log_is_backfilled(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    script = MIGRATIONS[0]
    assert isinstance(script, str)
    conn.executescript(script)
    conn.execute("PRAGMA user_version = 1")
    bodies = [json.dumps({"n": i}, separators=(",", ":")) for i in range(37)]
    for b in bodies:
        conn.execute("INSERT INTO events(at, type, body) VALUES ('t', 'x', ?)", (b,))
    conn.close()
    from dhakira.catalog.catalog import Catalog

    cat = Catalog(db)
    cat.log.sync()
    assert cat.log.root() == merkle.root([b.encode() for b in bodies])
    cat.close()


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    root = tmp_path / "a"
    drive = tmp_path / "drive"
    drive.mkdir()
    for i in range(5):
        (drive / f"f{i}.txt").write_bytes(f"file {i}".encode())
    assert run("init", root).exit_code == 0
    assert run("add", drive, "-c", "Ahmad", archive=root).exit_code == 0
    assert run("fsck", archive=root).exit_code == 0
    return root


def verify(root: Path) -> dict[str, object]:
    r = run("log", "verify", "--json", archive=root)
    report: dict[str, object] = json.loads(r.stdout)
    assert r.exit_code == (0 if report["ok"] else 3)
    return report


def tamper(root: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(root / "catalog.sqlite")
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_untouched_log_verifies_and_proofs_check_offline(logged: Path, tmp_path: Path) -> None:
    report = verify(logged)
    assert report["ok"] and report["checkpoints"] >= 3
    digest = json.loads(run("ls", "--json", archive=logged).stdout)[0]["sha256"]
    out = tmp_path / "item.proof"
    assert run("log", "prove", digest[:8], "-o", out, archive=logged).exit_code == 0
    r = run("verify-proof", out, "--key", logged / "keys" / "log.pub")
    assert r.exit_code == 0, r.output
    assert "VERIFIED" in r.stdout and "blob.stored" in r.stdout and "fixity.checked" in r.stdout
    out.write_text(out.read_text().replace("item " + digest, "item " + "0" * 64))
    assert run("verify-proof", out, "--key", logged / "keys" / "log.pub").exit_code == 3


def test_edited_event_is_named(logged: Path) -> None:
    tamper(
        logged, 'UPDATE events SET body = replace(body, \'"at":"20\', \'"at":"19\') WHERE seq = 6'
    )
    report = verify(logged)
    assert report["first_bad_index"] == 5
    assert report["problems"][0] == "index 5: event body does not match its leaf hash (edited?)"


def test_deleted_event_is_named(logged: Path) -> None:
    tamper(logged, "DELETE FROM events WHERE seq = 9")
    report = verify(logged)
    assert report["first_bad_index"] == 8
    assert report["problems"][0] == "index 8: event missing (deleted?): found seq 10"


def test_reordered_events_are_named(logged: Path) -> None:
    conn = sqlite3.connect(logged / "catalog.sqlite")
    a, b = (
        conn.execute("SELECT body FROM events WHERE seq = ?", (s,)).fetchone()[0] for s in (7, 12)
    )
    conn.execute("UPDATE events SET body = ? WHERE seq = 7", (b,))
    conn.execute("UPDATE events SET body = ? WHERE seq = 12", (a,))
    conn.commit()
    conn.close()
    report = verify(logged)
    assert report["first_bad_index"] == 6


def test_inserted_event_is_named(logged: Path) -> None:
    last = sqlite3.connect(logged / "catalog.sqlite").execute("SELECT max(seq) FROM events")
    n = last.fetchone()[0]
    tamper(logged, "INSERT INTO events(at, type, body) VALUES ('t', 'forged', '{}')")
    report = verify(logged)
    assert report["first_bad_index"] == n
    assert f"index {n}: event body does not match its leaf hash (edited?)" in report["problems"]


def test_rewriting_body_and_leaf_together_is_still_caught(logged: Path) -> None:
    conn = sqlite3.connect(logged / "catalog.sqlite")
    body = conn.execute("SELECT body FROM events WHERE seq = 4").fetchone()[0]
    forged = body.replace("Ahmad", "Ahmed")
    conn.execute(
        "UPDATE events SET body = ?, leaf = ? WHERE seq = 4",
        (forged, merkle.leaf_hash(forged.encode())),
    )
    conn.commit()
    conn.close()
    report = verify(logged)
    assert report["first_bad_index"] is not None and report["first_bad_index"] <= 3
    assert any("does not match the events under it" in p for p in report["problems"])


def test_rewriting_the_whole_tree_breaks_the_signed_checkpoints(logged: Path) -> None:
    conn = sqlite3.connect(logged / "catalog.sqlite", isolation_level=None)
    body = conn.execute("SELECT body FROM events WHERE seq = 4").fetchone()[0]
    conn.execute("UPDATE events SET body = ? WHERE seq = 4", (body.replace("Ahmad", "Ahmed"),))
    conn.execute("DELETE FROM merkle_nodes")
    conn.execute("UPDATE events SET leaf = NULL")
    conn.close()
    # recompute leaves and nodes as a careful forger would
    from dhakira.catalog.schema import _custody_log

    conn = sqlite3.connect(logged / "catalog.sqlite", isolation_level=None)
    conn.execute("BEGIN")
    rows = conn.execute("SELECT seq, body FROM events ORDER BY seq").fetchall()
    from dhakira.custody.tree import Appender

    app = Appender(conn)
    app.size, app.edge = 0, []
    for seq, b in rows:
        leaf = merkle.leaf_hash(b.encode())
        conn.execute("UPDATE events SET leaf = ? WHERE seq = ?", (leaf, seq))
        app.append(leaf)
    app.flush()
    conn.execute("COMMIT")
    conn.close()
    assert _custody_log  # the same backfill a migration would run
    report = verify(logged)
    assert not report["ok"]
    assert any("do not add up to its signed root" in p for p in report["problems"])
    with Archive.open(logged) as archive, pytest.raises(IntegrityError, match="not consistent"):
        fill(archive, 1)
        archive.log.checkpoint()


def test_signing_key_is_private_and_rotation_is_endorsed(logged: Path, tmp_path: Path) -> None:
    key = logged / "keys" / "log.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    old = run("log", "key", archive=logged).stdout.strip()
    r = run("log", "rotate-key", "--json", archive=logged)
    assert r.exit_code == 0
    new = json.loads(r.stdout)["new"]
    assert new != old and run("log", "key", archive=logged).stdout.strip() == new
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert verify(logged)["ok"]
    digest = json.loads(run("ls", "--json", archive=logged).stdout)[0]["sha256"]
    run("fsck", archive=logged)  # new events, checkpoint with the new key
    out = tmp_path / "p.proof"
    assert run("log", "prove", digest, "-o", out, archive=logged).exit_code == 0
    assert run("verify-proof", out, "--key", new).exit_code == 0
    assert run("verify-proof", out, "--key", old).exit_code == 3
    with Archive.open(logged) as archive:
        rotation = archive.catalog.conn.execute(
            "SELECT body FROM events WHERE type = 'key.rotated'"
        ).fetchone()[0]
    assert json.loads(rotation)["params"]["old"] == old


def test_forged_rotation_is_detected(logged: Path) -> None:
    from dhakira.custody.note import Signer

    with Archive.open(logged) as archive:
        rogue = Signer.generate(archive.log.origin)
        with archive.catalog.transaction():
            archive.catalog.event(
                "key.rotated", None, old=archive.log.vkey(), new=rogue.vkey, endorsement="AAAA"
            )
        report = verify_log(archive.catalog.conn, Quiet())
    assert any("key rotation not endorsed" in p for p in report.problems)


def test_log_verify_needs_no_write_access(logged: Path) -> None:
    os.chmod(logged / "catalog.sqlite", 0o444)
    try:
        assert verify(logged)["ok"]
    finally:
        os.chmod(logged / "catalog.sqlite", 0o644)


def test_checkpoints_are_timestamped_and_checked_offline(
    logged: Path, tsa: LocalTSA, tmp_path: Path
) -> None:
    r = run("log", "timestamp", "--tsa", tsa.url, "--tsa", dead_url(), "--json", archive=logged)
    assert r.exit_code == 1  # one TSA did not answer: said, and the other's token kept
    out = json.loads(r.stdout)
    assert [t["tsa_url"] for t in out["tokens"]] == [tsa.url]
    assert len(out["errors"]) == 1 and "did not answer" in out["errors"][0]
    cert = tmp_path / "tsa.pem"
    cert.write_bytes(tsa.tsa_cert_pem)
    r = run("log", "timestamp", "--verify", cert, "--json", archive=logged)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ok"]
    with Archive.open(logged) as archive:
        assert verify_log(archive.catalog.conn, Quiet()).ok
    # a checkpoint note altered after it was time-stamped no longer matches its token
    tamper(
        logged,
        "UPDATE checkpoints SET note = replace(note, '\n', '\n\n') WHERE id ="
        " (SELECT checkpoint_id FROM timestamps LIMIT 1)",
    )
    r = run("log", "timestamp", "--verify", cert, "--json", archive=logged)
    assert r.exit_code == 3


def test_timestamp_without_a_tsa_says_how_to_configure_one(logged: Path) -> None:
    r = run("log", "timestamp", archive=logged)
    assert r.exit_code == 2 and "[custody]" in r.output


def test_consistency_between_checkpoints_is_provable_offline(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.proof"
    r = run("log", "consistency", "-o", out, archive=logged)
    assert r.exit_code == 0, r.output
    key = logged / "keys" / "log.pub"
    r = run("verify-proof", out, "--key", key)
    assert r.exit_code == 0 and "VERIFIED" in r.stdout, r.output
    # swap the two checkpoints' roots: the proof no longer holds
    text = out.read_text()
    lines = text.split("\n")
    proof_line = next(i for i, line in enumerate(lines) if i > 1 and line and "+" not in line)
    lines[proof_line] = "A" * 43 + "="
    out.write_text("\n".join(lines))
    r = run("verify-proof", out, "--key", key, "--json")
    assert r.exit_code == 3
    assert "its history was changed" in json.loads(r.stdout)["problems"][0]


def test_an_interrupted_rotation_is_completed_with_the_old_keys_checkpoint(logged: Path) -> None:
    from dhakira.custody.note import Signer

    with Archive.open(logged) as archive:
        old = archive.log.signer()
        new = Signer.generate(archive.log.origin)
        # what rotate_key had done when it was killed: new key written, event committed
        archive.log._write_key(new, "log.key.new")
        with archive.catalog.transaction():
            archive.catalog.conn.execute("UPDATE log_keys SET retired_at = 'x'")
            archive.log._remember_key(new.vkey)
            from dhakira.custody.log import rotation_statement

            sig = old.sign(rotation_statement(archive.log.origin, new.vkey))
            import base64

            archive.catalog.event(
                "key.rotated",
                None,
                old=old.vkey,
                new=new.vkey,
                endorsement=base64.b64encode(sig).decode(),
            )
    assert run("fsck", archive=logged).exit_code == 0  # the next writer finishes the job
    assert run("log", "key", archive=logged).stdout.strip() == new.vkey
    with Archive.open(logged) as archive:
        keys = [c.key for c in archive.log.checkpoints()]
    assert keys[-2:] == [old.vkey, new.vkey]
    assert verify(logged)["ok"]
