"""The configured combined index, as in Berlin's Monitoring Soziale Stadtentwicklung (MSS): pure pandas.

No combined index exists unless a municipality configures its weights (`settings.index_weights`).
Where it does, two indices, kept apart and never added:

- **status index**: per district, the weighted mean of the z-scores of the chosen share indicators at
  the Stichtag, z = (value − mean) / standard deviation across the districts;
- **dynamics index**: the same for the change of each share in percentage points against the previous
  Stichtag.

The mean and the standard deviation (population form, ddof=0) are taken over the districts that have
every chosen value; a district missing one (not delivered, or hidden from readers) gets no index and
leaves the others' z-scores untouched, so an index never carries a hidden value. A higher index means
higher values of the chosen indicators ("höherer Wert"), nothing more. The classes are relative to the
spread of the index across the districts (its standard deviation).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from indicators.indicator import PERCENT, Indicator

#: class names from the highest index down; the boundaries in standard deviations of the index
CLASSES = ("hoch", "eher hoch", "eher niedrig", "niedrig")
CLASS_TEXT = (
    "hoch: mehr als eine Standardabweichung über dem Mittel; eher hoch: bis zu einer darüber; "
    "eher niedrig: bis zu einer darunter; niedrig: mehr als eine darunter"
)


def check_weights(
    weights: Mapping[str, float], catalogue: Mapping[str, Indicator], municipality: str
) -> list[str]:
    """German messages, one per problem: a key not in the municipality's catalogue, a key that is not
    a share (unit %), a weight that is not a positive number. Empty when the weights are usable."""
    problems = []
    if not weights:
        problems.append(f"Gesamtindex für {municipality}: keine Kennzahlen mit Gewichten angegeben.")
    for key, weight in weights.items():
        indicator = catalogue.get(key)
        if indicator is None:
            known = ", ".join(k for k, i in catalogue.items() if i.unit == PERCENT)
            problems.append(
                f"Gesamtindex für {municipality}: unbekannte Kennzahl „{key}“ (bekannte Anteile: {known})."
            )
        elif indicator.unit != PERCENT:
            problems.append(
                f"Gesamtindex für {municipality}: „{key}“ ({indicator.label}) ist kein Anteil in %; "
                "nur Anteile können gewichtet werden."
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            problems.append(
                f"Gesamtindex für {municipality}: das Gewicht von „{key}“ muss eine positive Zahl sein, "
                f"nicht {weight!r}."
            )
    return problems


def z_scores(values: pd.DataFrame) -> pd.DataFrame:
    """z-scores of every column across the rows that have all values (other rows stay NaN); a column
    without spread gives 0. Does not change its input."""
    numbers = values.apply(pd.to_numeric, errors="coerce").astype(float)
    complete = numbers.notna().all(axis=1)
    use = numbers[complete]
    spread = use.std(ddof=0).replace(0.0, np.nan)
    z = (use - use.mean()) / spread
    z = z.fillna(0.0)  # no spread: every complete district is at the mean
    return z.reindex(numbers.index)


def weighted_index(values: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """The weighted mean of the z-scores of `values[weights]` per row; NaN where a value is missing."""
    keys = list(weights)
    z = z_scores(values[keys])
    w = pd.Series({k: float(weights[k]) for k in keys})
    return (z * w).sum(axis=1, min_count=len(keys)) / w.sum()


def index_classes(index: pd.Series) -> pd.Series:
    """The class of every index value relative to the spread of all (standard deviation, ddof=0);
    None where there is no index."""
    spread = float(index.std(ddof=0)) if index.notna().sum() > 1 else 0.0
    centre = float(index.mean()) if index.notna().any() else 0.0

    def klass(value: float) -> str | None:
        if pd.isna(value):
            return None
        step = (value - centre) / spread if spread > 0 else 0.0
        if step > 1:
            return CLASSES[0]
        if step >= 0:
            return CLASSES[1]
        return CLASSES[2] if step >= -1 else CLASSES[3]

    return index.map(klass).astype(object)


def composite_index(
    now: pd.DataFrame,
    weights: Mapping[str, float],
    before: pd.DataFrame | None = None,
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status and dynamics index per district.

    now, before: district_id and the share columns named in `weights`, at the Stichtag and at the
    previous one (None: no dynamics). hidden: district_id and the same columns, True where a value
    (now or its change) is hidden from the reader; such a district gets no index and is marked.
    Returns district_id, status, status_rank, status_class, dynamics, dynamics_rank, dynamics_class,
    hidden (rank 1 = highest index; ranks only among districts with an index)."""
    keys = list(weights)
    ids = now["district_id"].astype(str)
    current = now[keys].set_axis(ids, axis=0).astype(float)
    secret = pd.Series(False, index=ids)
    if hidden is not None:
        flags = hidden.set_axis(hidden["district_id"].astype(str), axis=0)
        secret = flags.reindex(ids)[keys].fillna(False).astype(bool).any(axis=1)
    current = current.mask(secret, np.nan, axis=0)
    out = pd.DataFrame({"district_id": ids.to_numpy()}, index=ids)
    out["status"] = weighted_index(current, weights)
    if before is not None:
        earlier = before.set_axis(before["district_id"].astype(str), axis=0)[keys].reindex(ids).astype(float)
        out["dynamics"] = weighted_index(current - earlier, weights)
    else:
        out["dynamics"] = np.nan
    for name in ("status", "dynamics"):
        out[f"{name}_rank"] = out[name].rank(ascending=False, method="min").astype("Int64")
        out[f"{name}_class"] = index_classes(out[name])
    out["hidden"] = secret.to_numpy()
    columns = ["district_id", "status", "status_rank", "status_class", "dynamics", "dynamics_rank",
               "dynamics_class", "hidden"]  # fmt: skip
    return out[columns].reset_index(drop=True)
