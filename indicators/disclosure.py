"""Disclosure control for public views: small counts are hidden, and so is whatever would reveal them.

The rule, as statistical offices apply it (Geheimhaltung):

- **Primary suppression.** A count of 1 up to ``threshold − 1`` persons (default threshold 3, so 1 and
  2) is never shown. **0 is shown**: "nobody" describes no person. (A 0 can disclose an *attribute* of a
  group — "all 4 residents aged 80+ of a Stadtteil are German" — but hiding zeros would hide most of a
  detail table and the row would still tell that the group is small. Pages that publish such fine
  cross tables should use a higher threshold.) Missing counts stay missing.
- **Implicit cells.** A value that is not printed but follows from printed ones is protected like a
  printed one: with population and foreigners shown, Germans = population − foreigners is known, so a
  Stadtteil with 2 Germans needs protection too. `public_view` models population = foreigners +
  Germans, population = with + without migration background, MH = foreigners + Germans with MH,
  population = minors + adults, minors = minors with + without MH, population = with + without
  Einwanderungsgeschichte, and the municipality total of every
  column (also of the implicit ones) = the sum over its Stadtteile.
- **Secondary suppression.** Every relation (a total and its parts) has either no hidden cell or at
  least two, and no hidden cell is determined by the system of all relations together (checked exactly:
  a hidden cell must move in some solution of the relations with the published cells fixed, i.e. have
  a non-zero entry in the null space). Complementary cells are the smallest published parts of a
  relation that still needs one (non-zero ones first, so the attacker does not learn "0 or 1"); a total
  is only taken when no part is left.
- **Derived values.** A share, deviation, location quotient or change computed from a hidden count
  is hidden as well; ranks are recomputed among the shown shares.

Everything here is pure pandas/numpy. Protect the **whole** table (all Stadtteile, with the municipality
total) and filter afterwards: the totals still sum over every Stadtteil.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

import settings
from indicators.shares import COMPARED_SHARES, COUNT_COLUMNS, SHARES

#: Shown instead of a hidden value.
SUPPRESSED = "•"
DEFAULT_THRESHOLD = 3
ENV_THRESHOLD = settings.THRESHOLD.name
_TOLERANCE = 1e-9
#: above this many sensitive cells in one table the exact range check (two LPs per cell) is skipped
MAX_EXACT_CELLS = 200


def footnote(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The German footnote for every table, chart and file that shows `SUPPRESSED`."""
    smallest = "1 oder 2" if threshold == 3 else f"1 bis {threshold - 1}"
    return (
        f"{SUPPRESSED} = Wert aus Gründen der Geheimhaltung nicht ausgewiesen: Fallzahl {smallest}, oder "
        "gesperrt, damit sich ein solcher Wert nicht aus Summen oder Differenzen zurückrechnen lässt. "
        "Daraus berechnete Anteile werden ebenfalls nicht ausgewiesen."
    )


def default_threshold() -> int:
    """``$INTEGRATIONSMONITOR_THRESHOLD`` if set (an integer ≥ 1), else 3."""
    return settings.threshold()


@dataclass(frozen=True)
class Relation:
    """``total`` = sum of ``parts``; cells are keys into the value mapping given to `protect`."""

    total: Hashable
    parts: tuple[Hashable, ...]


def is_sensitive(value: object, threshold: int) -> bool:
    """A count from 1 to ``threshold − 1`` (0 and missing values are not sensitive)."""
    return value is not None and not pd.isna(value) and 1 <= float(value) < threshold


def protect(
    values: dict[Hashable, float],
    relations: Iterable[Relation],
    threshold: int = DEFAULT_THRESHOLD,
    published: Iterable[Hashable] | None = None,
    locked: Iterable[Hashable] = (),
) -> set[Hashable]:
    """The published cells to hide (primary and secondary suppression).

    values: every cell of the table, NaN for unknown ones. published: the cells a reader sees (default
    all); the others are implicit — unknown to the reader, but protected when sensitive. locked:
    published cells that cannot be hidden here because they are published elsewhere (e.g. the
    municipality totals when the table has no total row).
    """
    keys = list(values)
    index = {k: i for i, k in enumerate(keys)}
    x = np.array([np.nan if pd.isna(values[k]) else float(values[k]) for k in keys])
    shown = np.zeros(len(keys), bool)
    for k in keys if published is None else published:
        shown[index[k]] = True
    shown &= ~np.isnan(x)
    sensitive = (x >= 1) & (x < threshold)
    fixed = np.zeros(len(keys), bool)
    for k in locked:
        fixed[index[k]] = True
    sensitive &= ~(shown & fixed)
    hidden = shown & sensitive
    rels = [(index[r.total], [index[p] for p in r.parts]) for r in relations]
    rel_cells = [[t, *parts] for t, parts in rels]
    by_cell: dict[int, list[int]] = {}
    for j, cells in enumerate(rel_cells):
        for c in cells:
            by_cell.setdefault(c, []).append(j)

    lookup = _relation_index(rel_cells, by_cell)
    lost = np.zeros(len(keys), bool)  # fixed by locked cells alone: nothing here can protect them
    # a part of a locked total never gets a range wider than that total (2 persons, 1 of them a child)
    ceiling = np.full(len(keys), np.inf)
    for t, parts in rels:
        if fixed[t] and shown[t]:
            ceiling[parts] = np.minimum(ceiling[parts], x[t])

    def protected() -> np.ndarray:
        return (hidden | (sensitive & ~shown)) & ~lost

    def complement(relation_ids: Iterable[int]) -> int | None:
        """The smallest published, still shown cell of these relations (parts before totals)."""
        best = None
        for j in relation_ids:
            total, parts = rels[j]
            for c in parts + [total]:
                if not shown[c] or hidden[c] or fixed[c]:
                    continue
                rank = (c == total, x[c] == 0, x[c], c)
                if best is None or rank < best[0]:
                    best = (rank, c)
        return None if best is None else best[1]

    def nearest_complement(cell: int, depth: int = 3) -> int | None:
        """A complement from the cell's own relations, else from the relations of the cells in
        those (a hidden cell with no shown neighbour left is narrowed through a shown cell further
        away, e.g. the minors that bound a hidden population from below)."""
        seen_relations: set[int] = set()
        frontier = {cell}
        for _ in range(depth):
            relations = {j for c in frontier for j in by_cell.get(c, [])} - seen_relations
            found = complement(sorted(relations))
            if found is not None or not relations:
                return found
            seen_relations |= relations
            frontier = {c for j in relations for c in rel_cells[j]} - frontier
        return None

    while True:
        unknown = ~shown | hidden
        guarded = protected()  # kept up to date below: a new complement is guarded unless lost
        added = False
        for j, cells in enumerate(rel_cells):
            open_cells = [c for c in cells if unknown[c]]
            if not any(guarded[c] for c in open_cells):
                continue
            # one open cell is given away; open cells summing to less than the threshold each lie in
            # a range narrower than it (0 … their sum): the relation needs another hidden cell
            if len(open_cells) == 1 or np.nansum(x[open_cells]) < threshold:
                c = complement([j])
                if c is not None:
                    hidden[c] = True
                    unknown[c] = True
                    guarded[c] = not lost[c]
                    added = True
        if added:
            continue
        if not protected().any():  # nothing sensitive: nothing to check (the common case)
            return {keys[i] for i in np.flatnonzero(hidden)}
        determined = _determined(rel_cells, unknown, protected(), lookup)
        exposed = [c for c in np.flatnonzero(protected() & determined)]
        if not exposed:
            targets = np.flatnonzero(protected() & sensitive)
            exposed = _narrow(rel_cells, unknown, x, targets, np.minimum(threshold, ceiling[targets]))
        if not exposed:
            return {keys[i] for i in np.flatnonzero(hidden)}
        # one complement per exposed cell whose relations got none in this round (one at a time
        # would solve the whole system again for each: minutes for a city's detail tables)
        touched: set[int] = set()
        for cell in exposed:
            if touched & set(by_cell.get(cell, [])):
                continue
            c = nearest_complement(cell)
            if c is None:
                lost[cell] = True
            else:
                hidden[c] = True
                touched |= set(by_cell.get(c, []))


class _RelationIndex(NamedTuple):
    """The relations' cells looked up once per `protect` (its loop asks `_determined` many times):
    the relations of each cell, and every cell of every relation (`flat`) with its relation (`owner`)."""

    relations_of_cell: dict[int, list[int]]
    flat: np.ndarray
    owner: np.ndarray


def _relation_index(
    rel_cells: list[list[int]], relations_of_cell: dict[int, list[int]] | None = None
) -> _RelationIndex:
    if relations_of_cell is None:
        relations_of_cell = {}
        for j, cells in enumerate(rel_cells):
            for c in cells:
                relations_of_cell.setdefault(c, []).append(j)
    flat = np.fromiter((c for cells in rel_cells for c in cells), dtype=np.intp)
    owner = np.repeat(np.arange(len(rel_cells), dtype=np.intp), [len(cells) for cells in rel_cells])
    return _RelationIndex(relations_of_cell, flat, owner)


def _determined(
    rel_cells: list[list[int]],
    unknown: np.ndarray,
    targets: np.ndarray | None = None,
    index: _RelationIndex | None = None,
) -> np.ndarray:
    """Unknown cells whose value the relations fix exactly.

    First peel: a relation with a single unknown cell fixes it, which may leave another relation with
    a single unknown, and so on (implicit cells such as Germans = population − foreigners go here).
    The rest falls apart into independent groups of cells linked by shared relations; only groups
    holding a target cell are solved, each on its own small matrix.
    """
    out = np.zeros(len(unknown), bool)
    remaining = unknown.copy()
    index = index or _relation_index(rel_cells)
    relations_of_cell = index.relations_of_cell
    # the unknown cells of each relation (a cell listed twice counts twice)
    open_count = (
        np.bincount(index.owner, weights=remaining[index.flat], minlength=len(rel_cells)).astype(int).tolist()
    )
    queue = [j for j, n in enumerate(open_count) if n == 1]
    while queue:
        j = queue.pop()
        if open_count[j] != 1:
            continue
        c = next(c for c in rel_cells[j] if remaining[c])
        out[c] = True
        remaining[c] = False
        for k in relations_of_cell[c]:
            open_count[k] -= 1
            if open_count[k] == 1:
                queue.append(k)

    columns = np.flatnonzero(remaining)
    if len(columns) == 0:
        return out
    parent = {int(c): int(c) for c in columns}

    def root(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    # the unknown cells of each relation with their sign: total = Σ parts, i.e. −total + Σ parts = 0
    still = remaining.tolist()
    open_cells = [
        [(c, -1.0 if k == 0 else 1.0) for k, c in enumerate(cells) if still[c]] if open_count[j] else []
        for j, cells in enumerate(rel_cells)
    ]
    for cells in open_cells:
        for c, _ in cells[1:]:
            a, b = root(cells[0][0]), root(c)
            if a != b:
                parent[b] = a
    wanted = {root(int(c)) for c in np.flatnonzero(remaining & targets)} if targets is not None else None
    groups: dict[int, list[int]] = {}
    for c in columns:
        r = root(int(c))
        if wanted is None or r in wanted:
            groups.setdefault(r, []).append(int(c))
    relations_of: dict[int, list[int]] = {}
    for j, cells in enumerate(open_cells):
        if cells:
            relations_of.setdefault(root(cells[0][0]), []).append(j)
    for r, members in groups.items():
        out[members] = _determined_dense([open_cells[j] for j in relations_of.get(r, [])], np.array(members))
    return out


def _determined_dense(rel_cells: list[list[tuple[int, float]]], columns: np.ndarray) -> np.ndarray:
    """For these unknown cells: which lie in the row space of the relations (are fixed by them).

    `rel_cells`: per relation its unknown cells with their coefficients.
    """
    position = {int(c): i for i, c in enumerate(columns)}
    matrix = np.zeros((max(1, len(rel_cells)), len(columns)))
    for j, cells in enumerate(rel_cells):
        for c, sign in cells:
            matrix[j, position[c]] += sign
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int((singular > _TOLERANCE * max(1.0, singular.max(initial=0))).sum())
    # e_c lies in the row space exactly when its projection onto the first `rank` rows keeps length 1
    return (vt[:rank] ** 2).sum(axis=0) > 1 - 1e-8


def _narrow(
    rel_cells: list[list[int]], unknown: np.ndarray, x: np.ndarray, cells: np.ndarray, width: np.ndarray
) -> list[int]:
    """Sensitive cells whose range, as an attacker computes it, is narrower than `width`.

    The attacker fixes every published cell, writes down the relations and asks a linear program for
    the smallest and largest value of each hidden cell with all counts ≥ 0. A range of at least the
    threshold (0 … 3 for a hidden 1; `width` per cell, less only where a locked total is smaller)
    leaves the count as uncertain as the rule wants it. Large systems
    (more than `MAX_EXACT_CELLS` sensitive cells) keep the cheaper checks alone.
    """
    if len(cells) == 0 or len(cells) > MAX_EXACT_CELLS:
        return []
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    columns = np.flatnonzero(unknown)
    position = {int(c): i for i, c in enumerate(columns)}
    rows, cols, data = [], [], []
    b_eq = np.zeros(len(rel_cells))
    for j, cells_j in enumerate(rel_cells):
        for k, c in enumerate(cells_j):
            sign = -1.0 if k == 0 else 1.0
            if c in position:
                rows.append(j)
                cols.append(position[c])
                data.append(sign)
            elif not np.isnan(x[c]):
                b_eq[j] -= sign * x[c]
    a_eq = coo_matrix((data, (rows, cols)), shape=(len(rel_cells), len(columns))).tocsr()
    narrow = []
    for c, wanted in zip(cells, width, strict=True):
        objective = np.zeros(len(columns))
        objective[position[int(c)]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < wanted - 1e-6:
            narrow.append(int(c))
    return narrow


# --- the Stadtteil table ------------------------------------------------------------------------

#: implicit column -> (total, shown part): implicit = total − shown part
IMPLICIT: dict[str, tuple[str, str]] = {
    "germans": ("population", "foreigners"),
    "without_migration_background": ("population", "migration_background"),
    "germans_with_migration_background": ("migration_background", "foreigners"),
    "adults": ("population", "minors"),
    "minors_without_migration_background": ("minors", "minors_migration_background"),
    "without_immigration_history": ("population", "immigration_history"),
}
#: the count columns protected in a Stadtteil table: every count the shares are built from
COUNTS: tuple[str, ...] = COUNT_COLUMNS


class Levels(NamedTuple):
    """The districts of the other levels, for `public_view`: ``now`` and ``before`` hold their counts
    (``district_id`` and the count columns) at the Stichtag and at the previous one; ``parents`` maps
    every district with an upper district to it. A parent's count is taken as the sum of its
    children's where it equals that sum (counted from them, or published and consistent)."""

    now: pd.DataFrame
    before: pd.DataFrame | None
    parents: dict[str, str]

    @classmethod
    def read(cls, reads, municipality: str, level: str, when=None) -> Levels | None:
        """From the store's reads (`data.store.Store` or a wrapper): the counts at one Stichtag (every
        Stichtag for None) of the levels other than `level`; None for a municipality with one level."""
        districts = reads.districts(municipality, None)
        others = [other for other in districts["level"].dropna().unique() if other != level]
        if not others:
            return None
        parents = districts.dropna(subset=["parent_id"])
        counts = [reads.population(municipality, when, other) for other in others]
        return cls(
            pd.concat(counts, ignore_index=True),
            None,
            dict(zip(parents["district_id"].astype(str), parents["parent_id"].astype(str), strict=True)),
        )


class PublicTable(NamedTuple):
    """``masked``: the table with hidden values missing (NA), dtypes kept. ``mask``: True where hidden
    (same index and columns). Unpack as ``masked, mask = public_view(...)``."""

    masked: pd.DataFrame
    mask: pd.DataFrame

    @property
    def any(self) -> bool:
        return bool(self.mask.to_numpy().any())

    def display(self, formatted: pd.DataFrame) -> pd.DataFrame:
        """Formatted text (same index, columns a subset or the same) with `SUPPRESSED` where hidden."""
        out = formatted.copy()
        for column in out.columns.intersection(self.mask.columns):
            out[column] = out[column].astype(object).where(~self.mask[column], SUPPRESSED)
        return out


def public_view(
    table: pd.DataFrame,
    threshold: int | None = None,
    previous: pd.DataFrame | None = None,
    levels: Levels | None = None,
) -> PublicTable:
    """The Stadtteil table as the public may see it.

    table: one row per district with count columns (``population``, ``foreigners``, …) and any
    indicator columns of `indicators.shares` (shares, ``…_deviation_pp``, ``…_lq``, ``…_rank``,
    ``…_change``, ``…_change_pp``); optionally the municipality row (``district_id`` missing), else
    the municipality totals are taken as published. previous: the same counts at the previous
    Stichtag, if changes are shown (a change is hidden when either of its counts is). levels: the
    districts of the other levels (Stadtbezirke for a Stadtteil table and the reverse) at the same
    Stichtage, which readers see in another view: a Stadtbezirk = the sum of its Stadtteile, so both
    are protected together (`Levels`).
    Never mutates its input.
    """
    threshold = default_threshold() if threshold is None else threshold
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    hidden_counts = _count_mask(table, threshold, levels.now if levels else None, levels)
    for column in hidden_counts.columns:
        mask[column] = hidden_counts[column]
    if previous is not None and "district_id" in previous and "district_id" in table:
        before = _count_mask(previous, threshold, levels.before if levels else None, levels)
        before.index = previous["district_id"].to_numpy()
        for column in before.columns:
            hit = table["district_id"].map(before[column].to_dict()).fillna(False).astype(bool)
            if f"{column}_change" in mask:
                mask[f"{column}_change"] |= hit.to_numpy()
            for share, (num, den) in SHARES.items():
                stem = share.removesuffix("_pct")
                if column in (num, den) and f"{stem}_change_pp" in mask:
                    mask[f"{stem}_change_pp"] |= hit.to_numpy()
    for column in COUNTS:
        if f"{column}_change" in mask and column in mask:
            mask[f"{column}_change"] |= mask[column]
    for share, (num, den) in SHARES.items():
        if share not in mask:
            continue
        hit = mask.get(num, False) | mask.get(den, False)
        mask[share] |= hit
        stem = share.removesuffix("_pct")
        for derived in (f"{stem}_deviation_pp", f"{stem}_lq", f"{stem}_rank", f"{stem}_change_pp"):
            if derived in mask:
                mask[derived] |= mask[share]
    masked = table.copy()
    for column in mask.columns[mask.any()]:
        masked[column] = masked[column].mask(mask[column])
    for share in COMPARED_SHARES + tuple(s for s in SHARES if s not in COMPARED_SHARES):
        rank = share.removesuffix("_pct") + "_rank"
        if rank in masked and share in masked and mask[share].any():
            districts = _district_rows(masked)
            ranks = masked.loc[districts, share].rank(ascending=False, method="min")
            masked[rank] = masked[rank].astype("Int64")
            masked.loc[districts, rank] = ranks.astype("Int64")
    return PublicTable(masked, mask)


def _district_rows(table: pd.DataFrame) -> pd.Series:
    if "district_id" not in table:
        return pd.Series(True, index=table.index)
    return table["district_id"].notna()


def _count_mask(
    table: pd.DataFrame,
    threshold: int,
    context: pd.DataFrame | None = None,
    levels: Levels | None = None,
) -> pd.DataFrame:
    """True for the count cells to hide, with the municipality total and the implicit cells modelled;
    with `context` (the districts of the other levels), decided for all levels together."""
    counts = [c for c in COUNTS if c in table.columns]
    districts = _district_rows(table)
    own = table.loc[districts]
    ids = own["district_id"].astype(str).tolist() if "district_id" in own else [str(i) for i in own.index]
    rows = own[counts].reset_index(drop=True)
    label_of = dict(enumerate(table.index[districts]))
    if context is not None and not context.empty:
        extra = context.loc[~context["district_id"].astype(str).isin(ids)]
        ids += extra["district_id"].astype(str).tolist()
        rows = pd.concat([rows, extra.reindex(columns=counts)], ignore_index=True)
        # one order for every level's call: the same cells are hidden whichever level asks
        order = sorted(range(len(ids)), key=lambda i: ids[i])
        label_of = {new: label_of[old] for new, old in enumerate(order) if old in label_of}
        ids = [ids[i] for i in order]
        rows = rows.iloc[order].reset_index(drop=True)
    rows = rows.apply(pd.to_numeric).astype("Float64")
    rows = rows.to_numpy(dtype="float64", na_value=np.nan)
    known = set(ids)
    parents = {c: p for c, p in (levels.parents if levels else {}).items() if c in known and p in known}
    top = [i for i, d in enumerate(ids) if d not in parents]
    total_rows = table.index[~districts]
    if len(total_rows):
        total = table.loc[total_rows[0], counts].apply(pd.to_numeric).to_numpy(dtype="float64")
        total = np.array([np.nan if pd.isna(v) else v for v in total], dtype=float)
    else:
        total = rows[top].sum(axis=0) if len(rows) else np.full(len(counts), np.nan)
    if not _any_sensitive(rows, total, counts, threshold):
        return pd.DataFrame(False, index=table.index, columns=counts)  # as below, without the cell system
    n = len(rows)
    values: dict[Hashable, float] = {}
    published: list[Hashable] = []
    for j, column in enumerate(counts):
        for i in range(n):
            values[(i, column)] = rows[i, j]
            published.append((i, column))
        values[("total", column)] = total[j]
        published.append(("total", column))
    relations: list[Relation] = []
    for implicit, (whole, part) in IMPLICIT.items():
        if whole not in counts or part not in counts:
            continue
        diffs = [values[(i, whole)] - values[(i, part)] for i in [*range(n), "total"]]
        if any(d < 0 for d in diffs if not np.isnan(d)):
            continue  # the data do not obey this relation (e.g. MH counted another way): not modelled
        for i, diff in zip([*range(n), "total"], diffs, strict=True):
            values[(i, implicit)] = diff
            relations.append(Relation((i, whole), ((i, part), (i, implicit))))
    mask = pd.DataFrame(False, index=table.index, columns=counts)
    if not any(is_sensitive(v, threshold) for v in values.values()):
        return mask  # no count (shown or implicit) below the threshold: nothing to protect
    columns = {c for _, c in values}
    position = {d: i for i, d in enumerate(ids)}
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(position[parent], []).append(position[child])
    for column in columns:
        relations.append(Relation(("total", column), tuple((i, column) for i in top)))
        for parent, kids in children.items():
            cells = tuple((i, column) for i in kids)
            if abs(values[(parent, column)] - sum(values[c] for c in cells)) < 0.5:  # NaN: not modelled
                relations.append(Relation((parent, column), cells))
    locked = [] if len(total_rows) else [("total", c) for c in counts]
    hidden = protect(values, relations, threshold, published, locked)
    for i, column in hidden:
        if i == "total":
            mask.loc[total_rows[0], column] = True
        elif i in label_of:
            mask.loc[label_of[i], column] = True
    return mask


def _any_sensitive(rows: np.ndarray, total: np.ndarray, counts: list[str], threshold: int) -> bool:
    """Whether any cell `_count_mask` models is sensitive: a count of a district or of the total, or
    an implicit difference (modelled only where the data obey it: no negative difference). The same
    test as on its cell system, on the arrays (the system takes ~0.1 s to write down at Berlin size)."""
    if not counts:
        return False
    table = np.vstack([rows.reshape(-1, len(counts)), total.reshape(1, -1)])
    columns = [table]
    for whole, part in IMPLICIT.values():
        if whole in counts and part in counts:
            diff = table[:, counts.index(whole)] - table[:, counts.index(part)]
            if not (diff[~np.isnan(diff)] < 0).any():
                columns.append(diff.reshape(-1, 1))
    with np.errstate(invalid="ignore"):
        return any(((c >= 1) & (c < threshold)).any() for c in columns)


# --- other tables ----------------------------------------------------------------------------------


def suppress_crosstab(
    table: pd.DataFrame, threshold: int | None = None, total_label: str = "Insgesamt"
) -> PublicTable:
    """A two-way table of counts (rows × columns, e.g. age group × sex) published with its row, column
    and grand totals. Returns the table with a total row and column named ``total_label`` appended
    (hidden margins, too, are masked: a tiny table may need that) and the mask of the same shape."""
    threshold = default_threshold() if threshold is None else threshold
    numbers = table.apply(pd.to_numeric).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    r, c = numbers.shape
    full = np.full((r + 1, c + 1), np.nan)
    full[:r, :c] = numbers
    full[:r, c] = numbers.sum(axis=1)
    full[r, :c] = numbers.sum(axis=0)
    full[r, c] = numbers.sum()
    values: dict[Hashable, float] = {(i, j): full[i, j] for i in range(r + 1) for j in range(c + 1)}
    relations = [Relation((i, c), tuple((i, j) for j in range(c))) for i in range(r + 1)]
    relations += [Relation((r, j), tuple((i, j) for i in range(r))) for j in range(c + 1)]
    hidden = protect(values, relations, threshold)
    out = table.copy()
    out[total_label] = full[:r, c]
    out.loc[total_label] = full[r]
    mask = pd.DataFrame(False, index=out.index, columns=out.columns)
    for i, j in hidden:
        mask.iloc[i, j] = True
    return PublicTable(out.mask(mask), mask)


def suppress_parts(parts: pd.Series, total: float | None = None, threshold: int | None = None) -> PublicTable:
    """Parts of a published total (e.g. persons per nationality of all foreigners). Parts not listed
    form an implicit rest = total − Σ parts, protected when small. The total is taken as published
    (never hidden here). Returns the masked one-column frame and its mask."""
    threshold = default_threshold() if threshold is None else threshold
    numbers = pd.to_numeric(parts).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    values: dict[Hashable, float] = {i: v for i, v in enumerate(numbers)}
    keys: Sequence[Hashable] = list(values)
    total = float(np.nansum(numbers)) if total is None else float(total)
    values["total"] = total
    rest = total - float(np.nansum(numbers))
    if rest > 0:  # parts not listed: the reader knows their sum, so it is protected like a cell
        values["rest"] = rest
    relation = Relation("total", (*keys, "rest") if rest > 0 else tuple(keys))
    hidden = protect(values, [relation], threshold, published=[*keys, "total"], locked=["total"])
    frame = parts.to_frame()
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for i in hidden:
        if i != "total":
            mask.iloc[i, 0] = True
    return PublicTable(frame.mask(mask), mask)


def suppress_rows(
    parts: pd.DataFrame,
    threshold: int | None = None,
    implicit: dict[str, tuple[str, str]] | None = None,
    locked: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows of counts (e.g. facilities × occupants, Fehlbeleger) whose column totals are published —
    each the sum of the known values of its column, as the council papers print them.

    implicit: name -> (whole, part) for differences a reader can compute per row (occupants −
    Fehlbeleger), protected when small though never printed. locked: columns that are published
    elsewhere and never hidden here (they are not sensitive or already protected). Returns the mask
    of the columns of `parts` (True = hide); missing values are unknown and stay out of the sums.
    """
    threshold = default_threshold() if threshold is None else threshold
    implicit = implicit or {}
    columns = list(parts.columns)
    numbers = parts.apply(pd.to_numeric).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    values: dict[Hashable, float] = {}
    published: list[Hashable] = []
    for j, column in enumerate(columns):
        for i in range(len(parts)):
            if not np.isnan(numbers[i, j]):
                values[(i, column)] = numbers[i, j]
                published.append((i, column))
    relations: list[Relation] = []
    for name, (whole, part) in implicit.items():
        for i in range(len(parts)):
            if (i, whole) in values and (i, part) in values:
                values[(i, name)] = values[(i, whole)] - values[(i, part)]
                relations.append(Relation((i, whole), ((i, part), (i, name))))
    for column in [*columns, *implicit]:
        cells = tuple(k for k in values if k[1] == column)
        if cells:
            values[("total", column)] = float(sum(values[k] for k in cells))
            published.append(("total", column))
            relations.append(Relation(("total", column), cells))
    mask = pd.DataFrame(False, index=parts.index, columns=parts.columns)
    if not any(is_sensitive(v, threshold) for v in values.values()):
        return mask
    fixed = [k for k in published if k[0] == "total" or k[1] in locked]
    for i, column in protect(values, relations, threshold, published, fixed):
        if i != "total":
            mask.iloc[i, columns.index(column)] = True
    return mask


# --- detail tables across the levels ----------------------------------------------------------------

#: the key of the municipality as a whole in a tree of districts
ROOT = ""


def tree_children(parents: dict[str, str], nodes: Iterable[str]) -> dict[str, list[str]]:
    """Children per node of the tree made of `nodes` (Stadtteile with detail, their upper districts and
    `ROOT`): a node's parent is its upper district where that is a node, else `ROOT`."""
    nodes = set(nodes) - {ROOT}
    out: dict[str, list[str]] = {ROOT: []}
    for node in sorted(nodes):
        parent = parents.get(node)
        out.setdefault(parent if parent in nodes else ROOT, []).append(node)
    return out


def suppress_crosstab_tree(
    leaves: dict[str, pd.DataFrame],
    parents: dict[str, str],
    threshold: int | None = None,
    total_label: str = "Insgesamt",
) -> dict[str, pd.DataFrame]:
    """Two-way tables of counts (e.g. age group × sex and migration status) for every Stadtteil, and
    — as their sums — for every upper district and the municipality (`ROOT`), protected together:
    a reader sees the tables of all of them, and a Stadtbezirk's cell is the sum of its Stadtteile's.

    leaves: per Stadtteil its table (same rows and columns for all; missing cells count 0). Returns
    the mask (True = hidden) of every node's table (`ROOT`, the upper districts and the Stadtteile)
    with its margins (row, column and grand totals, labelled `total_label`): they are taken as
    published unless hidden, as with `suppress_crosstab`."""
    threshold = default_threshold() if threshold is None else threshold
    if not leaves:
        return {}
    rows = list(dict.fromkeys(r for t in leaves.values() for r in t.index))
    cols = list(dict.fromkeys(c for t in leaves.values() for c in t.columns))
    children = tree_children(parents, [*leaves, *(parents.get(n) for n in leaves if parents.get(n))])
    tables: dict[str, np.ndarray] = {}

    def build(node: str) -> np.ndarray:
        if node in leaves:
            grid = leaves[node].reindex(index=rows, columns=cols).apply(pd.to_numeric)
            table = grid.fillna(0).to_numpy(dtype=float)
        else:
            table = sum((build(child) for child in children.get(node, [])), np.zeros((len(rows), len(cols))))
        tables[node] = table
        return table

    build(ROOT)
    r, c = len(rows), len(cols)
    values: dict[Hashable, float] = {}
    relations: list[Relation] = []
    for node, table in tables.items():
        full = np.zeros((r + 1, c + 1))
        full[:r, :c] = table
        full[:r, c] = table.sum(axis=1)
        full[r, :c] = table.sum(axis=0)
        full[r, c] = table.sum()
        for (i, j), v in np.ndenumerate(full):
            values[(node, i, j)] = v
        relations += [Relation((node, i, c), tuple((node, i, j) for j in range(c))) for i in range(r + 1)]
        relations += [Relation((node, r, j), tuple((node, i, j) for i in range(r))) for j in range(c + 1)]
    for node, kids in children.items():
        if kids and node in tables:
            relations += [
                Relation((node, i, j), tuple((kid, i, j) for kid in kids))
                for i in range(r + 1)
                for j in range(c + 1)
            ]
    hidden = (
        protect(values, relations, threshold)
        if any(is_sensitive(v, threshold) for v in values.values())
        else set()
    )
    masks = {node: np.zeros((r + 1, c + 1), bool) for node in tables}
    for node, i, j in hidden:
        masks[node][i, j] = True
    return {
        node: pd.DataFrame(mask, index=[*rows, total_label], columns=[*cols, total_label])
        for node, mask in masks.items()
    }


def listable_tree(
    leaves: dict[str, pd.Series],
    parents: dict[str, str],
    threshold: int | None = None,
    unpublished: Iterable[str] = (),
) -> dict[str, set]:
    """Which parts (e.g. nationalities) each node of the tree may name, the others going into its
    residual group ("Übrige"), for the Stadtteile, their Stadtbezirke and the municipality (`ROOT`)
    together.

    This is cell suppression on the table node × part: a named part is a published cell, the
    residual is the sum of the hidden ones (all persons of the node, published as its foreigners,
    minus the named), and an upper node's cell is the sum of its children's. So `protect` decides:
    a part of 1 … threshold − 1 persons is never named, and further parts go into the residual
    wherever a reader could otherwise work one out ("Türkei: 400 in the city, 399 named in the
    Stadtteile" gives 1 away). Zeros are never named, and a reader does not know them.

    leaves: per Stadtteil the persons per part. unpublished: nodes whose persons (foreigners) the
    public counts hide (their charts are withheld); the others' persons count as published. Returns
    the set of named parts per node."""
    threshold = default_threshold() if threshold is None else threshold
    children = tree_children(parents, [*leaves, *(parents.get(n) for n in leaves if parents.get(n))])
    counts = tree_sums(leaves, parents)
    unpublished = set(unpublished)
    parts = list(counts[ROOT].index)
    values: dict[Hashable, float] = {}
    relations: list[Relation] = []
    for node, persons in counts.items():
        persons = persons.reindex(parts, fill_value=0)
        for part, value in persons.items():
            values[(node, part)] = float(value)
        values[(node, None)] = float(persons.sum())
        relations.append(Relation((node, None), tuple((node, part) for part in parts)))
    for node, kids in children.items():
        if kids:
            relations += [
                Relation((node, part), tuple((kid, part) for kid in kids)) for part in [*parts, None]
            ]
    # the persons of each node (its foreigners) are published with the counts and protected there
    # (where they are hidden, so is the node's chart). A part of 0 persons is never named: a reader
    # cannot tell it from one in the residual
    locked = [
        (node, None)
        for node in counts
        if node not in unpublished and not is_sensitive(values[(node, None)], threshold)
    ]
    named = [cell for cell in values if cell[1] is not None and values[cell] > 0]
    published = [*named, *locked]
    sensitive = any(is_sensitive(v, threshold) for v in values.values())
    hidden = protect(values, relations, threshold, published, locked) if sensitive else set()
    return {
        node: {part for part in parts if values[(node, part)] > 0 and (node, part) not in hidden}
        for node in counts
    }


def tree_sums(leaves: dict[str, pd.Series], parents: dict[str, str]) -> dict[str, pd.Series]:
    """Per node of the tree (`tree_children`) the sum of its Stadtteile's series (persons per part)."""
    children = tree_children(parents, [*leaves, *(parents.get(n) for n in leaves if parents.get(n))])
    sums: dict[str, pd.Series] = {}

    def total(node: str) -> pd.Series:
        if node in leaves:
            sums[node] = pd.to_numeric(leaves[node]).fillna(0).groupby(level=0).sum()
        else:
            sums[node] = _add([total(child) for child in children.get(node, [])])
        return sums[node]

    total(ROOT)
    return sums


def _add(parts: list[pd.Series]) -> pd.Series:
    """The sum of series over the union of their indexes (a part missing from one counts 0)."""
    return pd.concat(parts).groupby(level=0).sum() if parts else pd.Series(dtype=float)
