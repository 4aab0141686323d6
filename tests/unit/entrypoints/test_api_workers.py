"""``observer-eye api --workers N``: several processes need a repository they share."""

from __future__ import annotations

from entrypoints import cli


def test_several_workers_on_the_in_memory_repository_are_refused(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("OBSERVER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OBSERVER_REPOSITORY", "memory")
    assert cli.main(["api", "--workers", "2"]) == 2
    assert "OBSERVER_REPOSITORY=django" in capsys.readouterr().err
