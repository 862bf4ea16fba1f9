"""Disclosure control: hand-made tables, and random ones that an attacker tries to solve.

The property tests play the attacker: they take the published cells as fixed, write down every
relation a reader knows (row and column totals, population = foreigners + Germans, …), and ask a
linear program for the smallest and the largest value each hidden cell can take (counts ≥ 0). A
hidden value is safe when that range is wider than 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from indicators.disclosure import (
    SUPPRESSED,
    Relation,
    footnote,
    protect,
    public_view,
    suppress_crosstab,
    suppress_parts,
)
from indicators.shares import shares

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 200)
COUNTS = ["population", "foreigners", "migration_background", "minors", "minors_migration_background"]


def counts_frame(rows: list[tuple[int, int, int, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COUNTS).astype("Int64")
    frame.insert(0, "district", [f"D{i:02d}" for i in range(len(rows))])
    frame.insert(0, "district_id", [f"{i:03d}" for i in range(len(rows))])
    return frame


# --- the attacker ---------------------------------------------------------------------------------


def feasible_range(n_vars: int, equations: list[tuple[int, list[int]]], fixed: dict[int, float], target: int):
    """[min, max] of variable `target` with x ≥ 0, the fixed values and total = Σ parts."""
    a_eq = np.zeros((len(equations), n_vars))
    for row, (total, parts) in enumerate(equations):
        a_eq[row, total] -= 1
        for p in parts:
            a_eq[row, p] += 1
    bounds = [(fixed[i], fixed[i]) if i in fixed else (0, None) for i in range(n_vars)]
    c = np.zeros(n_vars)
    c[target] = 1
    low = linprog(c, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
    high = linprog(-c, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
    assert low.status == 0 and high.status in (0, 3)  # 3: unbounded above is as safe as it gets
    return low.fun, (np.inf if high.status == 3 else -high.fun)


small_counts = st.one_of(st.integers(0, 4), st.integers(0, 40), st.integers(100, 2000))


@st.composite
def crosstabs(draw):
    r = draw(st.integers(2, 6))
    c = draw(st.integers(2, 5))
    cells = draw(st.lists(small_counts, min_size=r * c, max_size=r * c))
    return pd.DataFrame(np.array(cells).reshape(r, c), columns=[f"c{j}" for j in range(c)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(crosstabs())
def test_crosstab_hidden_cells_cannot_be_recovered_from_totals(table):
    masked, mask = suppress_crosstab(table, threshold=3)
    r, c = table.shape
    values = masked.where(~mask, 0).to_numpy(dtype=float)
    values[:r, :c] = table.to_numpy(dtype=float)
    values[:r, c] = values[:r, :c].sum(axis=1)
    values[r, :] = values[:r, :].sum(axis=0)
    assert (masked.where(~mask).fillna(-1).to_numpy() == np.where(mask, -1, values)).all()
    hidden = mask.to_numpy()
    sensitive = (values >= 1) & (values < 3)
    assert (hidden | ~sensitive).all(), "every count of 1 or 2 is hidden, totals too"
    # never exactly one hidden cell in a row or column with its total
    assert 1 not in set(hidden.sum(axis=1)) and 1 not in set(hidden.sum(axis=0))
    # the attacker's linear program: each hidden cell keeps a range wider than 0
    var = {(i, j): i * (c + 1) + j for i in range(r + 1) for j in range(c + 1)}
    equations = [(var[(i, c)], [var[(i, j)] for j in range(c)]) for i in range(r + 1)]
    equations += [(var[(r, j)], [var[(i, j)] for i in range(r)]) for j in range(c + 1)]
    fixed = {var[(i, j)]: v for (i, j), v in np.ndenumerate(values) if not hidden[i, j]}
    for i, j in zip(*np.nonzero(hidden), strict=True):
        low, high = feasible_range(len(var), equations, fixed, var[(i, j)])
        assert high - low > 1e-6, f"cell {(i, j)} = {values[i, j]} is recoverable: [{low}, {high}]"


@st.composite
def stadtteil_tables(draw):
    rows = []
    for _ in range(draw(st.integers(2, 7))):
        population = draw(st.one_of(st.integers(0, 12), st.integers(20, 5000)))
        foreigners = draw(st.integers(0, population))
        mh = draw(st.integers(foreigners, population))
        minors = draw(st.integers(0, population))
        minors_mh = draw(st.integers(0, min(minors, mh)))
        rows.append((population, foreigners, mh, minors, minors_mh))
    return counts_frame(rows)


IMPLICIT = {  # name: (total, shown part) — written down again here, independent of the module
    "germans": ("population", "foreigners"),
    "without_mh": ("population", "migration_background"),
    "germans_mh": ("migration_background", "foreigners"),
    "adults": ("population", "minors"),
    "minors_without_mh": ("minors", "minors_migration_background"),
}


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(stadtteil_tables(), st.booleans())
def test_stadtteil_table_hidden_counts_cannot_be_recovered(counts, with_total_row):
    table = shares(counts, municipality_name="Gesamt") if with_total_row else counts
    masked, mask = public_view(table, threshold=3)
    n_rows = len(counts)
    values = counts[COUNTS].to_numpy(dtype=float)
    hidden = mask.loc[: n_rows - 1, COUNTS].to_numpy()
    assert (hidden | ~((values >= 1) & (values < 3))).all()
    totals_hidden = mask.loc[n_rows, COUNTS].to_numpy() if with_total_row else np.zeros(len(COUNTS), bool)
    if with_total_row:
        sums = values.sum(axis=0)
        assert (totals_hidden | ~((sums >= 1) & (sums < 3))).all(), "a tiny municipality total is hidden"

    columns = COUNTS + list(IMPLICIT)
    full = {c: list(values[:, k]) for k, c in enumerate(COUNTS)}
    for name, (whole, part) in IMPLICIT.items():
        full[name] = [w - p for w, p in zip(full[whole], full[part], strict=True)]
    if not with_total_row:
        # the totals are published elsewhere and cannot be hidden here: that only protects anything
        # when the municipality totals themselves are safe (0 or at least the threshold)
        assume(all(sum(full[c]) == 0 or sum(full[c]) >= 3 for c in columns))
    var = {}
    for c in columns:
        for i in [*range(n_rows), "t"]:
            var[(i, c)] = len(var)
    fixed = {var[("t", c)]: sum(full[c]) for k, c in enumerate(COUNTS) if not totals_hidden[k]}
    for k, c in enumerate(COUNTS):
        for i in range(n_rows):
            if not hidden[i, k]:
                fixed[var[(i, c)]] = full[c][i]
    equations = [(var[("t", c)], [var[(i, c)] for i in range(n_rows)]) for c in columns]
    for name, (whole, part) in IMPLICIT.items():
        for i in [*range(n_rows), "t"]:
            equations.append((var[(i, whole)], [var[(i, part)], var[(i, name)]]))
    # every hidden small count (1 or 2) must stay uncertain; a complement (0, or at least the threshold)
    # that an attacker can pin down gives no small count away — the small counts are the targets
    targets = [
        (i, c) for k, c in enumerate(COUNTS) for i in range(n_rows) if hidden[i, k] and 1 <= values[i, k] < 3
    ]
    targets += [("t", c) for k, c in enumerate(COUNTS) if totals_hidden[k]]
    targets += [(i, c) for c in IMPLICIT for i in range(n_rows) if 1 <= full[c][i] < 3]
    for i, c in targets:
        low, high = feasible_range(len(var), equations, fixed, var[(i, c)])
        assert high - low > 1e-6, f"{c} of row {i} is recoverable: [{low}, {high}]"
    # shares built on a hidden count are hidden too
    for share, (num, den) in {
        "foreigner_share_pct": ("foreigners", "population"),
        "migration_background_share_pct": ("migration_background", "population"),
    }.items():
        if share not in mask:
            continue
        assert (mask[share] >= (mask[num] | mask[den])).all()
        assert masked.loc[mask[share], share].isna().all()


# --- hand-made tables -----------------------------------------------------------------------------


def test_zero_is_shown_one_and_two_are_hidden_three_is_shown():
    table = pd.DataFrame({"a": [0, 1, 40], "b": [2, 3, 50], "c": [60, 70, 80]})
    masked, mask = suppress_crosstab(table, threshold=3)
    assert not mask.loc[0, "a"] and masked.loc[0, "a"] == 0
    assert mask.loc[1, "a"] and mask.loc[0, "b"]
    assert mask.loc[1, "b"], "3 is the smallest partner in row 1 and column b"
    assert (mask.sum(axis=0) != 1).all() and (mask.sum(axis=1) != 1).all()
    assert masked.loc["Insgesamt", "Insgesamt"] == table.to_numpy().sum()


def test_threshold_is_configurable(monkeypatch):
    table = pd.DataFrame({"a": [4, 10, 40], "b": [20, 30, 50]})
    assert not suppress_crosstab(table, threshold=3).mask.to_numpy().any()
    assert suppress_crosstab(table, threshold=5).mask.loc[0, "a"]
    monkeypatch.setenv("INTEGRATIONSMONITOR_THRESHOLD", "5")
    assert suppress_crosstab(table).mask.loc[0, "a"]


def test_small_stadtteil_hides_counts_shares_and_their_complements():
    counts = counts_frame(
        [(1000, 2, 150, 140, 30), (5000, 600, 1500, 800, 300), (3000, 400, 900, 500, 200), (20, 0, 0, 5, 0)]
    )
    table = shares(counts, municipality_name="Musterstadt")
    before = table.copy()
    masked, mask = public_view(table, threshold=3)
    pd.testing.assert_frame_equal(table, before)
    assert mask.loc[0, "foreigners"]
    assert mask["foreigners"].iloc[:4].sum() >= 2, "a second foreigner count protects the first"
    assert mask.loc[0, "foreigner_share_pct"] and pd.isna(masked.loc[0, "foreigner_share_pct"])
    assert pd.isna(masked.loc[0, "foreigner_share_deviation_pp"]) and pd.isna(
        masked.loc[0, "foreigner_share_lq"]
    )
    assert pd.isna(masked.loc[0, "foreigner_share_rank"])
    shown = masked.loc[masked["district_id"].notna(), "foreigner_share_rank"].dropna()
    assert sorted(shown.tolist()) == list(range(1, len(shown) + 1)), "ranks among the shown shares"
    assert not mask.loc[3, "foreigners"], "0 foreigners is shown"
    assert masked.loc[4, "district"] == "Musterstadt" and not mask.loc[4, "population"]


def test_two_germans_are_protected_although_no_german_column_is_shown():
    counts = counts_frame([(500, 498, 499, 100, 100), (4000, 300, 900, 600, 200), (3000, 250, 800, 500, 150)])
    _, mask = public_view(counts, threshold=3)
    assert mask.loc[0, ["population", "foreigners"]].any()


def test_display_puts_the_dot_and_footnote_explains_it():
    table = pd.DataFrame({"a": [1, 10, 40], "b": [20, 30, 50]})
    view = suppress_crosstab(table, threshold=3)
    text = view.display(table.astype(str))
    assert text.loc[0, "a"] == SUPPRESSED and text.loc[2, "b"] == "50"
    assert SUPPRESSED in footnote() and "Geheimhaltung" in footnote() and "1 oder 2" in footnote()
    assert "1 bis 4" in footnote(5)


def test_changes_are_hidden_when_either_stichtag_is():
    now = counts_frame([(1000, 20, 150, 140, 30), (5000, 600, 1500, 800, 300), (3000, 400, 900, 500, 200)])
    before = counts_frame([(990, 2, 140, 140, 30), (4900, 590, 1490, 800, 300), (3000, 398, 900, 500, 200)])
    table = shares(now).assign(foreigners_change=[18, 10, 2], foreigner_share_change_pp=[1.8, 0.1, 0.0])
    masked, mask = public_view(table, threshold=3, previous=before)
    assert mask.loc[0, "foreigners_change"] and mask.loc[0, "foreigner_share_change_pp"]
    assert not mask.loc[0, "foreigners"], "20 foreigners now may be shown"


def test_parts_of_a_total():
    parts = pd.Series([388, 40, 2, 15], index=["Ukraine", "Syrien", "Irak", "Übrige"], name="persons")
    masked, mask = suppress_parts(parts, total=445)
    assert mask.loc["Irak", "persons"] and mask["persons"].sum() == 2
    assert mask.loc["Übrige", "persons"], "the smallest other part is the complement"


def test_protect_with_a_relation_that_a_single_hidden_cell_would_break():
    values = {"t": 10, "a": 1, "b": 9}
    assert protect(values, [Relation("t", ("a", "b"))]) == {"a", "b"}
    assert protect({"t": 10, "a": 0, "b": 10}, [Relation("t", ("a", "b"))]) == set()


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_luenen_real_table_keeps_all_its_published_numbers(threshold):
    counts = counts_frame([(6417, 538, 1453, 1000, 400), (959, 72, 211, 150, 60), (2212, 50, 313, 300, 80)])
    assert not public_view(shares(counts, "Lünen"), threshold).any
