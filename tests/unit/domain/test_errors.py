"""Errors keep what they name when an adapter re-homes them under a prefix."""

from __future__ import annotations

from domain.errors import BatchRejected, LimitExceeded, ValidationError


def test_a_rejected_batch_prefixes_every_part() -> None:
    batch = BatchRejected([ValidationError("bad name", field="labels.__name__"),
                           LimitExceeded("too long", field="labels.host", limit="label_length", value=300)])
    moved = batch.at("series[3]")
    assert isinstance(moved, BatchRejected)
    assert [e.field for e in moved.errors] == ["series[3].labels.__name__", "series[3].labels.host"]
    assert isinstance(moved.errors[1], LimitExceeded) and moved.errors[1].limit == "label_length"
    assert moved.field == "series[3].labels.__name__" and "and 1 more" in moved.message
