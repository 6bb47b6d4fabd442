"""What a history record keeps (the applied spec, archived) and which record `rollback` goes back to."""

from __future__ import annotations

import pytest

from reconciler.errors import UsageError
from reconciler.history import archive_spec, restore_spec, rollback_target
from reconciler.spec import build_loaded, load_model


def test_an_archived_directory_spec_rebuilds_the_same_model_and_hash(tmp_path, monkeypatch):
    spec = tmp_path / "db"
    (spec / "more").mkdir(parents=True)
    (spec / "base.yaml").write_text("version: 1\ndialect: sqlite\n# a comment kept in the source\ntables:\n"
                                    "  a:\n    columns:\n      id: {type: integer, primary_key: true}\n"
                                    "      note: {type: text, default: '${NOTE}'}\n")
    (spec / "more" / "b.yaml").write_text("tables:\n  b:\n    columns:\n      id: {type: integer}\n")
    monkeypatch.setenv("NOTE", "at apply time")
    loaded, desired = load_model(str(spec))
    archived = archive_spec(loaded)
    assert archived.startswith("zlib+base64:") and "comment" not in archived
    # Rolled back later, in another environment: the values applied, not the environment's.
    monkeypatch.setenv("NOTE", "changed since")
    restored = restore_spec(archived)
    assert restored.source_hash == loaded.source_hash and restored.files == loaded.files
    assert "# a comment kept in the source" in restored.source
    assert build_loaded(restored) == desired


def test_an_unreadable_archive_is_one_clear_error():
    with pytest.raises(UsageError, match=r"history entry #4: its recorded spec cannot be read"):
        restore_spec("zlib+base64:not base64!", entry_id=4)
    with pytest.raises(UsageError, match="unknown encoding"):
        restore_spec("gzip:abc", entry_id=4)


def entry(number: int, outcome: str = "applied", spec: str = "a", *, has_spec: bool = True) -> dict:
    return {"id": number, "outcome": outcome, "spec_hash": f"sha256:{spec}", "has_spec": has_spec}


def test_the_default_goes_back_past_the_latest_spec_and_failed_applies():
    # newest first: v3 applied twice (drift repaired), a failed apply in between, v2 before.
    history = [entry(5, spec="v3"), entry(4, "failed", "v4"), entry(3, spec="v3"), entry(2, spec="v2"),
               entry(1, spec="v1")]
    assert rollback_target(history, None)["id"] == 2
    assert rollback_target(history, 1)["id"] == 1


@pytest.mark.parametrize(("history", "to", "message"), [
    ([], None, "nothing to roll back to"),
    ([entry(2, spec="v1"), entry(1, spec="v1")], None, "no completed apply of another spec before the latest"),
    ([entry(2, "failed", "v2"), entry(1)], 2, r"#2 was not applied \(outcome 'failed'\)"),
    ([entry(1)], 7, "no history entry #7"),
    ([entry(2, spec="v2"), entry(1, has_spec=False)], None, "#1 was recorded without its spec"),
])
def test_refusals_name_the_reason(history, to, message):
    with pytest.raises(UsageError, match=message):
        rollback_target(history, to)
