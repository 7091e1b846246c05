"""The court package: written with the custody proofs, valid BagIt and profile, verified offline,
and every kind of tampering caught and named."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import bagit
import bagit_profile
import pytest
from tests.conftest import run
from tests.custody.tsa import LocalTSA
from tests.export.conftest import ORG, items, key

from dhakira.export.bag import PROFILE_ID

ROOT = Path(__file__).resolve().parents[2]
PROFILE = json.loads((ROOT / "docs" / "bagit-profile.json").read_text())


def export_bag(archive: Path, out: Path, *args: str) -> dict[str, object]:
    r = run("export", "bag", *args, str(out), "--organization", ORG, "--json", archive=archive)
    assert r.exit_code == 0, r.output
    result: dict[str, object] = json.loads(r.stdout)
    return result


@pytest.fixture(scope="module")
def bag(base_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    own = tmp_path_factory.mktemp("bags")
    shutil.copytree(base_archive, own / "archive")  # the session's archive stays unchanged
    out = own / "court"
    export_bag(own / "archive", out, "--all", "--recipient", "IIIM", "--contact-email", "a@b.org")
    return out


def verify(path: Path, vkey: str, *extra: str) -> tuple[int, dict[str, object]]:
    r = run("verify-bag", str(path), "--key", vkey, "--json", *extra)
    return r.exit_code, json.loads(r.stdout)


def failed(report: dict[str, object]) -> dict[str, list[str]]:
    return {str(i["sha256"]): list(i["problems"]) for i in report["items"] if not i["ok"]}


def tampered(bag: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(bag, copy)
    return copy


def test_the_bag_is_valid_bagit_and_follows_the_profile(bag: Path, base_archive: Path) -> None:
    b = bagit.Bag(str(bag))
    b.validate()  # raises on any problem
    assert set(b.algorithms) == {"sha256", "sha512"}
    assert (bag / "tagmanifest-sha256.txt").is_file() and (bag / "tagmanifest-sha512.txt").is_file()
    profile = bagit_profile.Profile(PROFILE_ID, profile=PROFILE)
    assert profile.validate(b), profile.report
    assert b.info["BagIt-Profile-Identifier"] == PROFILE_ID
    assert b.info["Source-Organization"] == ORG
    assert b.info["Dhakira-Recipient"] == "IIIM"
    assert (bag / "data" / "bagit-profile.json").read_text() == (
        ROOT / "docs" / "bagit-profile.json"
    ).read_text()


def test_profile_shipped_with_the_package_is_the_published_one() -> None:
    shipped = ROOT / "src" / "dhakira" / "export" / "bagit-profile.json"
    assert shipped.read_bytes() == (ROOT / "docs" / "bagit-profile.json").read_bytes()
    assert PROFILE["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == PROFILE_ID
    assert PROFILE["BagIt-Profile-Info"]["BagIt-Profile-Version"] == "1.3.0"


def test_originals_are_byte_for_byte_with_metadata_contributions_and_proofs(
    bag: Path, base_archive: Path
) -> None:
    listed = items(base_archive)
    folders = sorted(p.name for p in (bag / "data" / "items").iterdir())
    assert folders == sorted(str(i["sha256"]) for i in listed.values())
    for sha in folders:
        d = bag / "data" / "items" / sha
        (original,) = d.glob("original*")
        blob = base_archive / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha
        assert original.read_bytes() == blob.read_bytes()
        meta = json.loads((d / "item.json").read_text())
        assert meta["sha256"] == sha and meta["contributions"]
        assert (d / "contributions.csv").read_text().startswith("contribution_id,item_sha256,")
        proof = (d / "custody.proof").read_text()
        assert proof.startswith(f"dhakira-proof v1\nitem {sha}\n")
        assert proof.endswith((bag / "data" / "custody" / "checkpoint.txt").read_text())
    assert "<html" in (bag / "data" / "index.html").read_text()
    assert (bag / "data" / "custody" / "log.pub").read_text().strip() == key(base_archive)


def test_verify_bag_passes_and_names_every_item(bag: Path, base_archive: Path) -> None:
    r = run("verify-bag", str(bag), "--key", key(base_archive))
    assert r.exit_code == 0, r.output
    assert r.output.count("  OK    ") == len(items(base_archive))
    assert "VERIFIED" in r.output and "NOT VERIFIED" not in r.output


def test_verify_bag_needs_no_archive_and_no_bagit_library(bag: Path, base_archive: Path) -> None:
    """In a fresh interpreter that cannot import bagit, sqlite3 or the archive code."""
    code = (
        "import sys\n"
        "for m in ('bagit', 'sqlite3', 'dhakira.archive', 'dhakira.catalog'):\n"
        "    sys.modules[m] = None\n"
        "from pathlib import Path\n"
        "from dhakira.export.verify import verify_bag\n"
        f"r = verify_bag(Path({str(bag)!r}), {key(base_archive)!r})\n"
        "print(r.ok, len(r.items))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", str(len(items(base_archive)))]


def test_a_changed_original_is_caught_and_named(
    bag: Path, base_archive: Path, tmp_path: Path
) -> None:
    copy = tampered(bag, tmp_path)
    sha = sorted(p.name for p in (copy / "data" / "items").iterdir())[0]
    (original,) = (copy / "data" / "items" / sha).glob("original*")
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 1
    original.chmod(0o644)
    original.write_bytes(bytes(data))
    code, report = verify(copy, key(base_archive))
    assert code == 3 and not report["ok"]
    problems = failed(report)
    assert list(problems) == [sha]
    text = " | ".join(problems[sha])
    assert f"{original.name}: SHA256 differs from manifest-sha256.txt" in text
    assert f"{original.name}: its SHA-256 is" in text and "not the item's id" in text


def test_changed_metadata_is_caught_even_with_recomputed_manifests(
    bag: Path, base_archive: Path, tmp_path: Path
) -> None:
    copy = tampered(bag, tmp_path)
    sha = sorted(p.name for p in (copy / "data" / "items").iterdir())[1]
    meta = copy / "data" / "items" / sha / "item.json"
    meta.write_text(meta.read_text().replace('"contributor": "', '"contributor": "Someone else '))
    code, report = verify(copy, key(base_archive))
    assert code == 3 and list(failed(report)) == [sha]
    assert any("item.json: SHA256 differs from manifest" in p for p in failed(report)[sha])
    # a forger who also rewrites every manifest is still caught by the signed log
    b = bagit.Bag(str(copy))
    b.save(manifests=True)
    b.validate()  # the BagIt level alone is fooled
    code, report = verify(copy, key(base_archive))
    assert code == 3 and list(failed(report)) == [sha]
    assert failed(report)[sha] == [
        "item.json: differs from what the signed custody log recorded at export"
    ]


def test_a_changed_proof_is_caught_and_named(bag: Path, base_archive: Path, tmp_path: Path) -> None:
    copy = tampered(bag, tmp_path)
    sha = sorted(p.name for p in (copy / "data" / "items").iterdir())[2]
    proof = copy / "data" / "items" / sha / "custody.proof"
    lines = proof.read_text().split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith("event ")) + 2  # a proof hash
    lines[i] = base64.b64encode(hashlib.sha256(b"forged").digest()).decode()
    proof.write_text("\n".join(lines))
    bagit.Bag(str(copy)).save(manifests=True)  # even with manifests to match
    code, report = verify(copy, key(base_archive))
    assert code == 3 and list(failed(report)) == [sha]
    assert any(
        p.startswith("custody.proof: event ")
        and "inclusion proof does not lead to the checkpoint root" in p
        for p in failed(report)[sha]
    ), failed(report)


def test_a_changed_checkpoint_is_caught_and_named(
    bag: Path, base_archive: Path, tmp_path: Path
) -> None:
    copy = tampered(bag, tmp_path)
    cp = copy / "data" / "custody" / "checkpoint.txt"
    lines = cp.read_text().split("\n")
    lines[1] = str(int(lines[1]) + 1)  # claim a bigger tree
    cp.write_text("\n".join(lines))
    code, report = verify(copy, key(base_archive))
    assert code == 3
    problems = " | ".join(report["problems"])
    assert "data/custody/checkpoint.txt: SHA256 differs from manifest-sha256.txt" in problems
    assert "data/custody/checkpoint.txt: the signed checkpoint does not verify" in problems


def test_the_wrong_key_fails_everything(bag: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run("init", other).exit_code == 0
    code, report = verify(bag, key(other))
    assert code == 3
    assert any("does not verify with the key given" in p for p in report["problems"])
    assert any("log.pub: is not the key you gave" in p for p in report["problems"])
    assert len(failed(report)) == len(report["items"])


def test_an_added_or_removed_file_is_named(bag: Path, base_archive: Path, tmp_path: Path) -> None:
    copy = tampered(bag, tmp_path)
    (copy / "data" / "extra.txt").write_text("slipped in")
    (copy / "data" / "contributions.csv").unlink()
    code, report = verify(copy, key(base_archive))
    problems = " | ".join(report["problems"])
    assert code == 3
    assert "data/extra.txt: not in manifest-sha256.txt and manifest-sha512.txt" in problems
    assert "data/contributions.csv: listed in manifest-sha256.txt but missing" in problems
    assert "Payload-Oxum" in problems


def test_time_stamped_bag_verifies_and_a_changed_token_is_named(
    archive_path: Path, tsa: LocalTSA, tmp_path: Path
) -> None:
    # an earlier time-stamped checkpoint, then an export with its own time-stamp
    assert run("log", "timestamp", "--tsa", tsa.url, archive=archive_path).exit_code == 0
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "later.txt").write_text("added after the first time-stamp")
    assert run("add", tmp_path / "more", "-c", "Layla", archive=archive_path).exit_code == 0
    out = tmp_path / "stamped"
    result = export_bag(archive_path, out, "--all", "--tsa", tsa.url)
    assert result["timestamps"] == 2
    cert = tmp_path / "tsa.pem"
    cert.write_bytes(tsa.tsa_cert_pem)
    code, report = verify(out, key(archive_path), "--tsa-cert", str(cert))
    assert code == 0, report
    stamps = report["timestamps"]
    assert len(stamps) == 2 and all(t["ok"] and t["gen_time"] for t in stamps)
    code, report = verify(out, key(archive_path))  # without the certificate: imprint only
    assert code == 0 and any("--tsa-cert" in n for n in report["notes"])
    # a changed token
    (token,) = (out / "data" / "custody" / "timestamps").glob("checkpoint.*.tsr")
    der = bytearray(token.read_bytes())
    der[-40] ^= 0xFF
    token.write_bytes(bytes(der))
    code, report = verify(out, key(archive_path), "--tsa-cert", str(cert))
    problems = " | ".join(report["problems"])
    assert code == 3
    assert f"data/custody/timestamps/{token.name}: timestamp does not verify" in problems
    assert f"data/custody/timestamps/{token.name}: SHA256 differs from manifest" in problems


def test_export_is_on_the_custody_record(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "court"
    some = list(items(archive_path).values())[:2]
    result = export_bag(archive_path, out, *(str(i["short_id"]) for i in some))
    assert result["items"] == 2
    manifest = hashlib.sha256((out / "manifest-sha256.txt").read_bytes()).hexdigest()
    assert result["manifest_sha256"] == manifest
    import sqlite3

    conn = sqlite3.connect(archive_path / "catalog.sqlite")
    bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM events ORDER BY seq")]
    ours = [b for b in bodies if b["params"].get("export") == result["export_id"]]
    finished = [b for b in ours if b["type"] == "export.finished"]
    assert len(finished) == 1
    p = finished[0]["params"]
    assert p["digest"] == manifest and p["kind"] == "bag" and p["items"] == 2
    assert p["destination"] == str(out.resolve())
    exported = [b["item"] for b in ours if b["type"] == "item.exported"]
    assert sorted(exported) == sorted(str(i["sha256"]) for i in some)
    row = conn.execute(
        "SELECT finished_at, digest FROM exports WHERE id = ?", (result["export_id"],)
    ).fetchone()
    assert row[0] is not None and row[1] == manifest
    assert not any(p.name.startswith("court.partial") for p in tmp_path.iterdir())
    assert os.stat(out).st_mode & 0o755 == 0o755


def test_the_index_works_offline(bag: Path) -> None:
    import re

    index = bag / "data" / "index.html"
    text = index.read_text()
    assert "<script" not in text and "http" not in text
    links = re.findall(r'href="([^"]+)"', text)
    assert len(links) == 4 * len(list((bag / "data" / "items").iterdir()))
    for link in links:
        assert (index.parent / link).is_file(), link
    assert "دوما" in text  # Arabic names shown as they are


def test_half_listed_files_and_unlisted_tag_files_are_named(
    bag: Path, base_archive: Path, tmp_path: Path
) -> None:
    copy = tampered(bag, tmp_path)
    m512 = copy / "manifest-sha512.txt"
    m512.write_text(
        "".join(ln for ln in m512.read_text().splitlines(True) if "items.csv" not in ln)
    )
    tm = copy / "tagmanifest-sha256.txt"
    tm.write_text("".join(ln for ln in tm.read_text().splitlines(True) if "bag-info" not in ln))
    code, report = verify(copy, key(base_archive))
    problems = " | ".join(report["problems"])
    assert code == 3
    assert "data/items.csv: not in manifest-sha512.txt (a file was added)" in problems
    assert "tagmanifest-sha256.txt: does not list bag-info.txt" in problems
    assert "manifest-sha512.txt: SHA256 differs from tagmanifest-sha256.txt" in problems


def test_forgeries_with_recomputed_manifests_are_still_caught(
    bag: Path, base_archive: Path, tmp_path: Path
) -> None:
    """A forger who rewrites every manifest (the BagIt level is then fooled) is caught when the
    original is swapped for a folder, a file rides along in an item's folder, or a bag-wide
    table says something the items' own attested files do not."""
    sha = sorted(p.name for p in (bag / "data" / "items").iterdir())[0]

    def forged(name: str, change: Callable[[Path], None]) -> dict[str, object]:
        copy = tmp_path / name
        shutil.copytree(bag, copy)
        change(copy)
        b = bagit.Bag(str(copy))
        b.save(manifests=True)
        b.validate()
        code, report = verify(copy, key(base_archive))
        assert code == 3, name
        return report

    def folder_for_original(copy: Path) -> None:
        (original,) = (copy / "data" / "items" / sha).glob("original*")
        original.unlink()
        original.mkdir()
        (original / "forged.jpg").write_bytes(b"not the evidence")

    report = forged("folder", folder_for_original)
    assert any("not a regular file" in p for p in failed(report)[sha])

    def extra_file(copy: Path) -> None:
        (copy / "data" / "items" / sha / "note.txt").write_text("planted")

    report = forged("extra", extra_file)
    assert any("note.txt: not part of a package item" in p for p in failed(report)[sha])

    def edit_table(name: str) -> Callable[[Path], None]:
        def change(copy: Path) -> None:
            table = copy / "data" / name
            lines = table.read_text().splitlines(keepends=True)
            lines[1] = lines[1].replace(",", ",X", 1)
            table.write_text("".join(lines))

        return change

    for name in ("items.csv", "contributions.csv"):
        report = forged(name, edit_table(name))
        assert any(f"data/{name}" in p for p in report["problems"]), report["problems"]
