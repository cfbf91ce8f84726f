"""``lab.study.record`` / ``write_record``: the results record beside each figure, and when it is rewritten."""
import json
import types
from dataclasses import dataclass

from lab import study


@dataclass(frozen=True)
class _Cfg:
    n: int = 3


def _module(value):
    def cells(cfg):
        return []

    def summary(results, cfg):
        headline = f"value {value}" if not isinstance(value, list) else "a list"  # headlines print rounded numbers
        return {"verdict": {"status": "SUPPORTED", "rule": "test"}, "headline": headline, "value": value}

    return types.SimpleNamespace(NAME="toy", CLAIM="a claim", PRESETS={"quick": _Cfg()}, cells=cells, summary=summary)


def test_record_holds_claim_config_hash_version_and_summary():
    rec = study.record(_module(1.5), "quick", {}, 2.345)
    assert rec["study"] == "toy" and rec["claim"] == "a claim" and rec["preset"] == "quick"
    assert rec["config"] == {"n": 3} and len(rec["config_hash"]) == 16
    assert rec["value"] == 1.5 and rec["headline"] == "value 1.5" and rec["wall_seconds"] == 2.3
    assert study.config_hash(_Cfg(n=4)) != rec["config_hash"]


def test_write_record_keeps_the_file_when_only_the_timing_differs(tmp_path):
    path = tmp_path / "toy.json"
    study.write_record(path, study.record(_module(1.5), "quick", {}, 10.0))
    study.write_record(path, study.record(_module(1.5), "quick", {}, 0.1))  # a cached rerun: same numbers
    assert json.loads(path.read_text())["wall_seconds"] == 10.0
    study.write_record(path, study.record(_module(2.5), "quick", {}, 0.1))  # new numbers: rewritten
    rec = json.loads(path.read_text())
    assert rec["value"] == 2.5 and rec["wall_seconds"] == 0.1


def test_record_numbers_keep_eight_significant_digits_so_last_bits_do_not_rewrite_it(tmp_path):
    import numpy as np

    x = 1.0 / 3.0
    rec = study.record(_module(np.array([x, np.nextafter(x, 1.0)])), "quick", {}, 1.0)
    assert rec["value"] == [0.33333333, 0.33333333] and study.RECORD_DIGITS == 8
    path = tmp_path / "toy.json"
    study.write_record(path, study.record(_module([x]), "quick", {}, 10.0))
    study.write_record(path, study.record(_module([np.nextafter(x, 1.0)]), "quick", {}, 0.1))  # another machine's bit
    assert json.loads(path.read_text())["wall_seconds"] == 10.0


def test_rounded_results_lose_the_last_bits_and_keep_structure_and_specials():
    """The figure is drawn from ``study.rounded(results)``: a last-bit difference (another machine, another compile
    mode) gives the same rounded numbers, so the same pixels; structure, integers and non-finite values are kept."""
    import numpy as np

    x = np.array([1.0 / 3.0, -2.0e-7 / 3.0, 0.0, np.inf, np.nan, 12345678.0])
    y = np.where(np.isfinite(x) & (x != 0), np.nextafter(x, 10.0), x)  # one ulp up where finite and not 0
    rx, ry = study.rounded({"a": [x, (1.0 / 3.0, 7)], "b": np.float64(2.0 / 3.0)}), study.rounded({"a": [y]})
    np.testing.assert_array_equal(rx["a"][0], ry["a"][0])
    np.testing.assert_array_equal(rx["a"][0], [0.33333333, -6.6666667e-08, 0.0, np.inf, np.nan, 12345678.0])
    assert rx["a"][1] == (0.33333333, 7) and isinstance(rx["a"][1], tuple) and rx["b"] == 0.66666667
    assert study.rounded(np.arange(3)).dtype == np.arange(3).dtype  # integers untouched
    assert study.rounded(np.float32([1.0 / 3.0])).dtype == np.float32
