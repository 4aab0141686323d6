"""The agent reads its key from a file or the environment, never from argv (where every
user of the host can read it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from entrypoints.cli import AgentKeyError, agent_key


def _agent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "entrypoints.cli", "agent", "--url", "http://127.0.0.1:9", *args],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [["--api-key", "oe_secret_key"], ["--api-key=oe_secret_key"], ["--api-key"]])
def test_a_key_on_the_command_line_is_refused_with_the_alternatives(args: list[str]) -> None:
    done = _agent(*args)
    assert done.returncode == 2
    assert "--key-file" in done.stderr and "OBSERVER_AGENT_KEY" in done.stderr
    assert "oe_secret_key" not in done.stderr + done.stdout


def test_no_key_anywhere_says_where_to_put_one() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVER_AGENT_KEY")}
    done = subprocess.run([sys.executable, "-m", "entrypoints.cli", "agent"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 2 and "OBSERVER_AGENT_KEY_FILE" in done.stderr


def test_the_key_comes_from_the_file_option_first(tmp_path) -> None:
    (tmp_path / "key").write_text("from-option\n")
    (tmp_path / "env-key").write_text("from-env-file\n")
    env = {"OBSERVER_AGENT_KEY_FILE": str(tmp_path / "env-key"), "OBSERVER_AGENT_KEY": "from-env"}
    assert agent_key(str(tmp_path / "key"), env) == "from-option"
    assert agent_key(None, env) == "from-env-file"
    assert agent_key(None, {"OBSERVER_AGENT_KEY": " from-env \n"}) == "from-env"


@pytest.mark.parametrize("content, message", [(None, "cannot read the key file"), ("\n", "is empty")])
def test_an_unusable_key_file_is_named(tmp_path, content: str | None, message: str) -> None:
    path = tmp_path / "key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AgentKeyError) as info:
        agent_key(str(path), {"OBSERVER_AGENT_KEY": "ignored"})
    assert message in str(info.value) and str(path) in str(info.value)
