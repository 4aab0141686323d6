"""The NAB scorer on small hand-made files, every figure worked out in the comments.

Shared setup: a file of n = 40 points, so the probation is min(floor(0.15 * 40), 750)
= 6 points (indices 0-5 unscored), and one window over indices 10..14, width w = 5.

    sig(y) = 2 / (1 + exp(5 y)) - 1
    sig(-1)   = 2 / (1 + e^-5)   - 1 = 0.986614
    sig(-0.2) = 2 / (1 + e^-1)   - 1 = 0.462117
    sig(0.25) = 2 / (1 + e^1.25) - 1 = -0.554600

Normalisation with W windows: standard and low-FP use null = -W, perfect = W;
low-FN uses null = -2W, perfect = W.
"""

from __future__ import annotations

import math

import pytest

from services.anomaly_benchmark import (
    PROFILES,
    FileResult,
    format_report,
    normalise,
    probation_length,
    raw_score,
    run_file,
    scaled_sigmoid,
    score_corpus,
    sweep,
    window_indices,
)

N = 40
WINDOW = (10, 14)


def file_with(detections: list[int], *, name: str = "cat/a.csv", windows=(WINDOW,)) -> FileResult:
    """Score 1.0 at ``detections``, 0.0 elsewhere."""
    scores = [1.0 if i in detections else 0.0 for i in range(N)]
    return FileResult(name, scores, list(windows))


def scores_of(f: FileResult) -> dict[str, float]:
    return {name: p.score for name, p in score_corpus([f]).items()}


def test_probation_and_sigmoid_constants():
    assert probation_length(40) == 6
    assert probation_length(10_000) == 750  # capped
    assert scaled_sigmoid(-1.0) == pytest.approx(0.986614, abs=1e-6)
    assert scaled_sigmoid(-0.2) == pytest.approx(0.462117, abs=1e-6)
    assert scaled_sigmoid(0.25) == pytest.approx(-0.554600, abs=1e-6)
    assert scaled_sigmoid(3.01) == -1.0  # past 3 the sigmoid is cut to -1


def test_detection_at_window_start_is_perfect():
    # i = 10: y = -(14 - 10 + 1) / 5 = -1, worth sig(-1)/sig(-1) = 1.0 = A_TP.
    # raw = 1 = perfect, so every profile scores 100.
    assert scores_of(file_with([10])) == pytest.approx(
        {"standard": 100.0, "reward_low_FP_rate": 100.0, "reward_low_FN_rate": 100.0}
    )


def test_detection_at_window_end():
    # i = 14: y = -(14 - 14 + 1) / 5 = -0.2, worth 0.462117 / 0.986614 = 0.468387.
    # standard: 100 * (0.468387 + 1) / 2 = 73.42;  low FN: 100 * (0.468387 + 2) / 3 = 82.28.
    s = scores_of(file_with([14]))
    assert s["standard"] == pytest.approx(73.42, abs=0.01)
    assert s["reward_low_FP_rate"] == pytest.approx(73.42, abs=0.01)
    assert s["reward_low_FN_rate"] == pytest.approx(82.28, abs=0.01)


def test_only_the_best_detection_of_a_window_counts():
    # Detections at 10 (worth 1.0) and 14 (0.468): the window counts 1.0 once -> 100.
    assert scores_of(file_with([10, 12, 14]))["standard"] == pytest.approx(100.0)


def test_detection_before_the_window_is_a_full_false_positive_and_the_window_is_missed():
    # i = 8 precedes the first window: -A_FP; the window has no detection: -A_FN.
    # standard raw = -0.11 - 1 = -1.11 -> 100 * (-1.11 + 1) / 2 = -5.5, but the sweep
    # prefers a threshold above every score (the null detector, 0) to that.
    f = file_with([8])
    assert raw_score([f], PROFILES["standard"], 1.0) == pytest.approx(-1.11)
    assert normalise(-1.11, 1, PROFILES["standard"]) == pytest.approx(-5.5)
    assert scores_of(f)["standard"] == 0.0


def test_false_positive_far_after_the_window_costs_a_full_a_fp():
    # i = 30: y = |14 - 30| / (5 - 1) = 4 > 3 -> sig = -1.  With the detection at 10:
    # standard raw = 1 - 0.11 = 0.89 -> 94.5;  low FP raw = 1 - 0.22 = 0.78 -> 89.0;
    # low FN raw = 0.89 -> 100 * (0.89 + 2) / 3 = 96.33.
    s = scores_of(file_with([10, 30]))
    assert s["standard"] == pytest.approx(94.5)
    assert s["reward_low_FP_rate"] == pytest.approx(89.0)
    assert s["reward_low_FN_rate"] == pytest.approx(96.333, abs=1e-3)


def test_false_positive_right_after_the_window_costs_less():
    # i = 15: y = |14 - 15| / 4 = 0.25 -> sig = -0.5546; standard raw = 1 - 0.11 * 0.5546
    # = 0.938994 -> 100 * 1.938994 / 2 = 96.95.
    assert scores_of(file_with([10, 15]))["standard"] == pytest.approx(96.95, abs=0.01)


def test_detections_in_the_probation_are_not_scored():
    # i = 3 < 6 is probationary: neither a false positive nor anything else.
    f = file_with([3, 10])
    assert raw_score([f], PROFILES["standard"], 1.0) == pytest.approx(1.0)


def test_file_without_windows_only_loses():
    # No window: every detection precedes "the first window" -> -A_FP each; the null
    # and perfect detectors coincide, so normalising a zero-window total gives 0.
    f = file_with([20, 21], windows=())
    assert raw_score([f], PROFILES["standard"], 1.0) == pytest.approx(-0.22)
    assert normalise(-0.22, 0, PROFILES["standard"]) == 0.0


def test_null_and_perfect_detectors_normalise_to_0_and_100():
    null = FileResult("cat/a.csv", [0.0] * N, [WINDOW])
    perfect = FileResult("cat/a.csv", [1.0 if i == 10 else 0.0 for i in range(N)], [WINDOW])
    for profile in PROFILES.values():
        _, raw = sweep([null], profile)
        assert normalise(raw, 1, profile) == 0.0
        _, raw = sweep([perfect], profile)
        assert normalise(raw, 1, profile) == pytest.approx(100.0)


def test_sweep_picks_the_best_threshold():
    # 0.95 at 30 (a false positive), 0.9 at 10 (window start), 0.5 elsewhere.
    #   threshold 0.95: FP only, window missed:      raw = -0.11 - 1 = -1.11
    #   threshold 0.9 : FP + window start:           raw = -0.11 + 1 =  0.89  <- best
    #   threshold 0.5 : every scored point detects; the 34 - 5 - 1 = 28 other points
    #                   outside the window are false positives costing about 0.11 each.
    scores = [0.5] * N
    scores[30], scores[10] = 0.95, 0.9
    f = FileResult("cat/a.csv", scores, [WINDOW])
    threshold, raw = sweep([f], PROFILES["standard"])
    assert threshold == 0.9
    assert raw == pytest.approx(0.89)


def test_corpus_and_category_scores_and_report_lines():
    # Category a: perfect (raw 1, W=1). Category b: missed window (raw -1, W=1).
    # Corpus: standard raw 1 - 1 = 0 over W=2 -> 100 * (0 + 2) / 4 = 50;
    # low FN raw 1 - 2 = -1, null -4, perfect 2 -> 100 * (-1 + 4) / 6 = 50 as well.
    a = file_with([10], name="a/x.csv")
    b = file_with([], name="b/y.csv")
    s = score_corpus([a, b])
    assert s["standard"].score == pytest.approx(50.0)
    assert s["standard"].by_category == pytest.approx({"a": 100.0, "b": 0.0})
    lines = format_report("det", 2, s)
    assert lines[0] == "nab detector=det files=2 standard=50.00 reward_low_FP_rate=50.00 reward_low_FN_rate=50.00"
    assert lines[1] == "nab category=a standard=100.00 reward_low_FP_rate=100.00 reward_low_FN_rate=100.00"
    assert lines[2] == "nab category=b standard=0.00 reward_low_FP_rate=0.00 reward_low_FN_rate=0.00"


def test_windows_map_timestamps_to_indices():
    stamps = [1000 * i for i in range(N)]
    assert window_indices(stamps, [(10_000, 14_000)]) == [(10, 14)]
    # Bounds between points snap inward; a window with no point vanishes.
    assert window_indices(stamps, [(9_500, 14_500), (20_100, 20_900)]) == [(10, 14)]


def test_run_file_streams_a_fresh_detector():
    class Echo:
        def update(self, timestamp_ms: int, value: float) -> float:
            return value

        def state(self) -> dict:
            return {}

    stamps = list(range(N))
    values = [1.0 if i == 10 else 0.0 for i in range(N)]
    result = run_file(Echo, "c/f.csv", stamps, values, [(10, 14)])
    assert result.scores == values and result.windows == [WINDOW]
    assert math.isclose(scores_of(result)["standard"], 100.0)


def test_cli_runs_a_tiny_corpus_end_to_end(tmp_path, capsys):
    """The ``anomaly nab`` command on two 200-point files: CSVs out, score lines printed."""
    import argparse
    import csv
    import json

    from domain.anomaly import BEST
    from entrypoints.anomaly_cli import add_parser

    data = tmp_path / "nab" / "data" / "cat"
    data.mkdir(parents=True)
    windows = {}
    for name, spike in (("a.csv", 150), ("b.csv", None)):
        with open(data / name, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "value"])
            for i in range(200):
                w.writerow([f"2014-01-01 {i // 60:02d}:{i % 60:02d}:00", 100.0 if i == spike else 10.0 + (i % 3)])
        windows[f"cat/{name}"] = [["2014-01-01 02:25:00.000000", "2014-01-01 02:35:00.000000"]] if spike else []
    (tmp_path / "nab" / "labels").mkdir()
    (tmp_path / "nab" / "labels" / "combined_windows.json").write_text(json.dumps(windows))

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["anomaly", "nab", "--data", str(tmp_path / "nab" / "data"), "--out", str(tmp_path / "out")])
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"nab detector={BEST} files=2 standard=")
    assert lines[1].startswith("nab category=cat standard=")
    with open(tmp_path / "out" / "cat" / f"{BEST}_a.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 200 and set(rows[0]) == {"timestamp", "value", "anomaly_score"}
    assert float(rows[150]["anomaly_score"]) >= 0.5  # the spike
