"""The peers nser-linkage is measured against, run on the same wave_2021.csv.

Two peers are what a capable newcomer would write from the tool's own tutorial, with no
registry knowledge: raw columns lower-cased, no transliteration, no household roster.
They measure what the registry-specific work buys over a first attempt:

* ``plain_splink``: Splink 5 on DuckDB, ``splink.comparison_library`` comparisons,
  three ``block_on`` rules, the tutorial's training recipe, clustering at 0.95.
* ``recordlinkage_toolkit``: the recordlinkage package (pandas, pair by pair in
  Python): blocking and sorted-neighbourhood indexing, string and exact comparisons,
  the unsupervised ECM classifier, connected components.

The third is the bar issue 13 sets: what a *skilled* Splink user would build for
NSER-like data, still without any Pakistan-specific table (no engine standardiser, no
reference data), so it measures what the engine's own tables and models buy:

* ``strong_splink`` (``strong_splink_dedupe`` on a frame): names as token sets with
  metaphone codes, typo levels and term frequencies, stop tokens found in the data;
  birth dates by precision; guardian, address and place as one household comparison;
  several independent blocking keys; the prior from deterministic rules; EM only on
  blocks that are nearly all one person; every m floored.

All return ``(cluster id per record_id, comparisons scored)`` and time their stages
through ``stages`` (a ``linkage.progress.Stages``).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

#: The raw columns the peers use.
COLUMNS = ["record_id", "full_name", "cnic", "gender", "date_of_birth", "district"]


def read_lightly_cleaned(path: str) -> pd.DataFrame:
    """The raw CSV columns, lower-cased and trimmed; given name = first token of the name."""
    df = pd.read_csv(path, dtype=str, usecols=COLUMNS)
    for col in COLUMNS[1:]:
        df[col] = df[col].str.strip().str.lower()
    df["given_name"] = df["full_name"].str.split().str[0]
    return df


def plain_splink(path: str, stages) -> tuple[pd.Series, int]:
    """Splink 5 as its tutorial configures a dedupe job."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    with stages.stage("read and clean"):
        df = read_lightly_cleaned(path)
    rules = [
        block_on("cnic"),
        block_on("full_name", "district"),
        block_on("date_of_birth", "district"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.NameComparison("full_name"),
            cl.NameComparison("given_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("cnic"),
            cl.ExactMatch("gender"),
            cl.ExactMatch("district"),
        ],
        blocking_rules_to_generate_predictions=rules,
    )
    db_api = DuckDBAPI()
    table = db_api.register(df, table_name="records")
    with stages.stage("count comparisons"):
        counts = count_comparisons_from_blocking_rules(
            table,
            blocking_rules=rules,
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            record_sample_proportion=1.0,
        )
        comparisons = int(counts[-1]["cumulative_comparison_count"])
    linker = Linker(table, settings, log_level=logging.ERROR)
    with stages.stage("train model (u sampling, EM)"):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("cnic"), block_on("full_name", "date_of_birth")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("cnic"))
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth", "district")
        )
    with stages.stage("score pairs"):
        predictions = linker.inference.predict(threshold_match_probability=0.2)
    with stages.stage("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=0.95
        ).as_pandas_dataframe()
    labels = pd.Series(
        clusters["cluster_id"].to_numpy(), index=clusters["record_id"].astype(str).to_numpy()
    )
    return labels, comparisons


def recordlinkage_toolkit(path: str, stages) -> tuple[pd.Series, int]:
    """The recordlinkage toolkit's documented dedupe flow, unsupervised (ECM)."""
    import recordlinkage as rl
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    with stages.stage("read and clean"):
        df = read_lightly_cleaned(path).set_index("record_id")
    with stages.stage("index pairs"):
        indexer = rl.Index()
        indexer.add(rl.index.Block("cnic"))
        indexer.add(rl.index.Block(["date_of_birth", "district"]))
        indexer.add(rl.index.SortedNeighbourhood("full_name", window=5, block_on="district"))
        pairs = indexer.index(df)
    with stages.stage("score pairs"):
        compare = rl.Compare()
        compare.string(
            "full_name", "full_name", method="jarowinkler", threshold=0.85, label="full_name"
        )
        compare.string(
            "given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name"
        )
        for col in ("date_of_birth", "cnic", "gender", "district"):
            compare.exact(col, col, label=col)
        features = compare.compute(pairs, df)
    with stages.stage("classify (ECM)"):
        matches = rl.ECMClassifier(binarize=None).fit_predict(features)
    with stages.stage("cluster"):
        codes = pd.Index(df.index)
        left = codes.get_indexer(matches.get_level_values(0))
        right = codes.get_indexer(matches.get_level_values(1))
        graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(df), len(df)))
        _, component = connected_components(graph, directed=False)
    return pd.Series(component, index=df.index.astype(str)), int(len(pairs))


# --- the strong generic Splink peer (issue 13) -----------------------------------------
#
# What a skilled Splink user would build for NSER-like data with no Pakistan-specific
# table: only generic cleaning (lower case, punctuation, the digits of a CNIC or phone),
# jellyfish's metaphone and Splink. Everything the model knows about names, places and
# addresses it learns from the file in hand: which phonetic codes are too common to tell
# people apart (more than STOP_SHARE of the names), term frequencies, m and u.

#: A phonetic code in more than this share of names (or guardians, or addresses) is a
#: stop token: it found "Muhammad" and "Bibi" by itself on NSER-like data.
STOP_SHARE = 0.05
#: Every m is at least this: no single disagreement is an absolute veto.
STRONG_M_FLOOR = 1e-3
#: Pairs more likely the same person than not (the Bayes decision), then their closure.
STRONG_PREDICT_THRESHOLD = 0.5
STRONG_CLUSTER_THRESHOLD = 0.5
STRONG_U_MAX_PAIRS = 2e6
STRONG_EM_MAX_PAIRS = 1e6


_NOT_WORD = re.compile(r"[\W_]+")


def _objects(items) -> np.ndarray:
    """A one-dimensional object array, even of lists or tuples of equal length."""
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _per_value(series: pd.Series, func) -> np.ndarray:
    """``func`` of each row's value, computed once per distinct value (registries repeat
    names, places and addresses thousands of times); a null gives ``func(None)``."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    return _objects([*(func(value) for value in uniques), func(None)])[codes]


def _words(value, min_len: int = 1) -> tuple[str, ...]:
    """Lower-case words of a text; anything but letters and digits separates them."""
    if not isinstance(value, str):
        return ()
    return tuple(w for w in _NOT_WORD.sub(" ", value.lower()).split() if len(w) >= min_len)


def _frequent(token_lists: np.ndarray) -> set:
    """Items in more than STOP_SHARE of the non-empty tuples (each counted once per tuple)."""
    counts: dict = {}
    filled = 0
    for items, n in pd.Series(token_lists, dtype=object).value_counts(sort=False).items():
        if items:
            filled += n
            for item in set(items):
                counts[item] = counts.get(item, 0) + n
    return {item for item, n in counts.items() if n > STOP_SHARE * filled}


def _name_columns(prefix: str, series: pd.Series) -> dict[str, np.ndarray]:
    """Sorted core tokens (for Jaro-Winkler and term frequencies) and sorted distinct
    metaphone codes (word order free), the first and last code as blocking keys. Codes in
    more than STOP_SHARE of the names are stop tokens, left out unless nothing else is
    left; so are words of one or two letters (initials, particles, "Bi Bi")."""
    import jellyfish

    words = _per_value(series, lambda v: _words(v, min_len=3))
    code = {w: (jellyfish.metaphone(w) or w) for w in {w for ws in set(words) for w in ws}}
    stop = _frequent(_per_value(pd.Series(words), lambda ws: tuple(code[w] for w in ws or ())))

    def describe(ws: tuple[str, ...] | None) -> tuple:
        ws = ws or ()
        core = [w for w in ws if code[w] not in stop] or list(ws)
        codes = sorted({code[w] for w in core})
        if not codes:
            return (None, None, None, None, None, None)
        tokens = sorted(set(core))
        return (" ".join(tokens), tokens, codes, " ".join(codes), codes[0], codes[-1])

    described = _per_value(pd.Series(words), describe)
    names = ("sorted", "tokens", "codes", "code_str", "code_first", "code_last")
    return {f"{prefix}_{name}": _objects(d[i] for d in described) for i, name in enumerate(names)}


#: Date layouts tried after ISO 8601, day before month as most of the world writes it.
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%d %B %Y")


def _date(value) -> tuple:
    """(ISO date or None, year or None, precision): 'year' for a year alone or 1 January
    (most often a default), 'day' otherwise."""
    from datetime import date, datetime

    text = value.strip() if isinstance(value, str) else ""
    if re.fullmatch(r"\d{4}", text):
        return (None, int(text), "year")
    try:
        parsed = date.fromisoformat(text[:10])
    except ValueError:
        parsed = None
    for layout in () if parsed else _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, layout).date()
            break
        except ValueError:
            continue
    if parsed is None:
        return (None, None, None)
    if parsed.month == 1 and parsed.day == 1:
        return (None, parsed.year, "year")
    return (parsed.isoformat(), parsed.year, "day")


def _union_council(value) -> str | None:
    """Union council key: its number when it has one, else its last word, so "UC-16",
    "U.C. No. 16" and "16" are one key, and so are "Union Council Madina" and "Madina"."""
    if not isinstance(value, str):
        return None
    digits = re.findall(r"\d+", value)
    if digits:
        return str(int(digits[-1]))
    words = _words(value)
    return words[-1] if words else None


def _squeezed(value) -> str | None:
    """A place name as a key, every space and mark removed: "Gujran Wala" is "gujranwala"."""
    return "".join(_words(value)) or None


def strong_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the strong peer compares and blocks on, from raw contract columns."""

    def get(column: str) -> pd.Series:
        return frame[column] if column in frame else pd.Series([None] * len(frame))

    out = {
        "record_id": frame["record_id"].astype(str).to_numpy(),
        "household_id": get("household_id").astype(object).to_numpy(),
    }
    for prefix, column in (("name", "full_name"), ("guardian", "guardian_name")):
        out.update(_name_columns(prefix, get(column)))
    dates = _per_value(get("date_of_birth"), _date)
    for i, name in enumerate(("dob_date", "dob_year", "dob_precision")):
        out[name] = _objects(d[i] for d in dates)
    out["dob_year"] = pd.array(out["dob_year"], dtype="Int64")

    def digits(value) -> str:
        return re.sub(r"\D+", "", value) if isinstance(value, str) else ""

    # A CNIC has 13 digits; a phone number its last 10 (country and trunk prefixes vary).
    out["cnic"] = _per_value(get("cnic"), lambda v: d if len(d := digits(v)) == 13 else None)
    out["phone"] = _per_value(
        get("phone"), lambda v: d[-10:] if len(d := digits(v)) >= 10 else None
    )
    out["gender"] = _per_value(
        get("gender"), lambda v: next((w[0] for w in _words(v) if w[0] in "mf"), None)
    )
    # The tehsil on its own, not under its district: a district spelt another way ("Fsd")
    # must not move a record out of its tehsil.
    out["district"] = _per_value(get("district"), _squeezed)
    out["tehsil"] = _per_value(get("tehsil"), _squeezed)
    council = _per_value(get("union_council"), _union_council)
    out["locality"] = _objects(
        f"{t}|{c}" if t and c else None for t, c in zip(out["tehsil"], council, strict=True)
    )
    words = _per_value(get("address"), _words)
    common = _frequent(words)
    out["address_tokens"] = _per_value(
        pd.Series(words), lambda ws: sorted({w for w in ws or () if w not in common}) or None
    )
    return pd.DataFrame(out)


def _strong_comparisons() -> list:
    """Name, birth date, household (guardian, address, place), CNIC, phone, gender.

    Random pairs (u sampling) fall through every level, so the costly list operations
    come after a cheap condition that random pairs seldom pass (DuckDB evaluates the
    right side of an AND only where the left holds).
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def level(sql: str, label: str):
        return cll.CustomLevel(sql, label, base_dialect_str="duckdb")

    def shares_code(prefix: str) -> str:  # first or last code in common (cheap)
        first, last = f"{prefix}_code_first", f"{prefix}_code_last"
        return f"({first}_l IN ({first}_r, {last}_r) OR {last}_l IN ({first}_r, {last}_r))"

    def all_codes_in_other(prefix: str) -> str:
        codes = f"{prefix}_codes"
        return f"len(list_intersect({codes}_l, {codes}_r)) = least(len({codes}_l), len({codes}_r))"

    def jaro_winkler(column: str, at_least: float) -> str:
        return f"jaro_winkler_similarity({column}_l, {column}_r) >= {at_least}"

    def tokens_matched(side: str, other: str) -> str:
        """Every token of one side is within a typo of a token of the other."""
        return (
            f"list_bool_and(list_transform(name_tokens_{side}, lambda x: list_bool_or("
            f"list_transform(name_tokens_{other}, lambda y: jaro_winkler_similarity(x, y) "
            f">= 0.88))))"
        )

    # A cheap guard: random pairs seldom pass it, so the token lists are rarely walked.
    near = "jaro_winkler_similarity(name_sorted_l, name_sorted_r) >= 0.85"
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_code_str"),
            cll.ExactMatchLevel("name_sorted").configure(tf_adjustment_column="name_sorted"),
            level("name_code_str_l = name_code_str_r", "same phonetic tokens, any order"),
            level(
                f"{near} AND len(name_tokens_l) = len(name_tokens_r) AND "
                f"{tokens_matched('l', 'r')} AND {tokens_matched('r', 'l')}",
                "same tokens up to typos, any order",
            ),
            level(
                f"{shares_code('name')} AND {all_codes_in_other('name')}",
                "one name's phonetic tokens all in the other",
            ),
            level(shares_code("name"), "a phonetic token in common"),
            cll.ElseLevel(),
        ],
    )
    both_day = "(dob_precision_l = 'day' AND dob_precision_r = 'day')"
    parts_equal = " + ".join(
        f"CAST(substr(dob_date_l, {i}, {n}) = substr(dob_date_r, {i}, {n}) AS INTEGER)"
        for i, n in ((1, 4), (6, 2), (9, 2))
    )
    swapped = (
        "(dob_year_l = dob_year_r AND substr(dob_date_l, 6, 2) = substr(dob_date_r, 9, 2)"
        " AND substr(dob_date_l, 9, 2) = substr(dob_date_r, 6, 2))"
    )
    dob = cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("dob_year"),
            level(f"{both_day} AND dob_date_l = dob_date_r", "same day"),
            level(
                f"{both_day} AND ({parts_equal} >= 2 OR {swapped})",
                "two of year, month and day agree, or day and month swapped",
            ),
            level(
                f"dob_year_l = dob_year_r AND NOT {both_day}",
                "same year, one known to the year only",
            ),
            level("dob_year_l = dob_year_r", "same year, different days"),
            level("abs(dob_year_l - dob_year_r) <= 1", "years one apart"),
            level("abs(dob_year_l - dob_year_r) <= 3", "years up to three apart"),
            cll.ElseLevel(),
        ],
    )
    guardian = (
        f"(guardian_code_str_l = guardian_code_str_r OR {jaro_winkler('guardian_sorted', 0.9)})"
    )
    shared_tokens = "len(list_intersect(address_tokens_l, address_tokens_r))"
    address = (
        f"({shared_tokens} >= 2 AND {shared_tokens} * 2 >= "
        "least(len(address_tokens_l), len(address_tokens_r)))"
    )
    same_council = "locality_l = locality_r"
    same_district = "district_l = district_r"
    household = cl.CustomComparison(
        output_column_name="household",
        comparison_levels=[
            level(
                f"{same_council} AND {guardian} AND {address}",
                "union council, guardian and address",
            ),
            level(f"{same_council} AND {guardian}", "union council and guardian"),
            level(
                f"{same_district} AND {guardian} AND {address}", "district, guardian and address"
            ),
            level(f"{same_council} AND {address}", "union council and address"),
            level(f"{same_district} AND {guardian}", "district and guardian"),
            level(guardian, "guardian only (moved?)"),
            level(
                f"{same_council} AND {shares_code('guardian')}",
                "union council and part of the guardian's name",
            ),
            level(same_council, "union council only"),
            level(f"tehsil_l = tehsil_r OR {same_district}", "tehsil or district only"),
            cll.ElseLevel(),
        ],
    )
    return [
        name,
        dob,
        household,
        cl.CustomComparison(
            output_column_name="cnic",
            comparison_levels=[
                cll.NullLevel("cnic"),
                cll.ExactMatchLevel("cnic"),
                # A typed digit wrong, or two swapped (hamming is cheap; CNICs are 13 digits).
                level("hamming(cnic_l, cnic_r) <= 2", "one or two digits differ"),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("phone"),
        cl.ExactMatch("gender"),
    ]


def _equal(*columns: str) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in columns)


def _strong_rules() -> list[str]:
    """Several independent keys, so that one bad field leaves another key; and never two
    members of one household roster (two rows of one roster are two people)."""
    rules = [
        _equal("cnic"),
        _equal("phone", "name_code_first"),
        _equal("name_code_first", "dob_date"),
        _equal("name_code_last", "dob_date"),
        _equal("locality", "name_code_first"),  # first or last code of the sorted codes:
        _equal("locality", "name_code_last"),  # word order free
        _equal("tehsil", "name_code_str"),
        _equal("guardian_code_str", "name_code_str"),
        # Keys without the person's own name: a typo in its first letters, or a name in
        # another script, still leaves the guardian, the birth date and the place.
        _equal("guardian_code_first", "dob_year", "tehsil"),
        _equal("dob_date", "locality"),
        # Records with no tehsil: district, a name code and the birth year.
        _equal("district", "name_code_first", "dob_year")
        + " AND (l.tehsil IS NULL OR r.tehsil IS NULL)",
    ]
    return [_other_roster(rule) for rule in rules]


def _other_roster(rule: str) -> str:
    return f"{rule} AND (l.household_id IS NULL OR l.household_id <> r.household_id)"


def _with_floors(model: dict, m_floor: float, u_floor: float) -> dict:
    """Every m at least ``m_floor`` (no single disagreement is an absolute veto), and a u
    that random sampling never saw (two strangers with one CNIC) at ``u_floor``, the
    sampling's resolution, rather than unset."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            level["m_probability"] = max(level.get("m_probability") or 0.0, m_floor)
            level["u_probability"] = max(level.get("u_probability") or 0.0, u_floor)
        for key in ("m_probability", "u_probability"):
            total = sum(level[key] for level in levels)
            for level in levels:
                level[key] /= total
    return model


def strong_settings(rules: list[str] | None = None):
    """The strong peer's Splink settings (comparisons and prediction blocking rules)."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=_strong_comparisons(),
        blocking_rules_to_generate_predictions=rules if rules is not None else _strong_rules(),
    )


def strong_trained_linker(table, settings, seed: int = 1):
    """A Linker on ``table`` with every parameter estimated from the data and m floored."""
    from splink import Linker
    from splink.internals.exceptions import EMTrainingException

    linker = Linker(table, settings, log_level=logging.ERROR)
    training = linker.training
    # The prior from rules that find almost only true pairs.
    training.estimate_probability_two_random_records_match(
        [
            _other_roster(_equal("cnic", "dob_year")),
            _other_roster(_equal("name_code_str", "dob_date", "tehsil")),
        ],
        recall=0.7,
    )
    training.estimate_u_using_random_sampling(max_pairs=STRONG_U_MAX_PAIRS, seed=seed)
    # EM only on blocks that are nearly all one person; never on locality blocks, which
    # would learn "same household", not "same person".
    for rule in (
        _equal("cnic"),
        _equal("phone", "name_code_first"),
        _equal("name_code_str", "dob_date", "tehsil"),
    ):
        rule = _other_roster(rule)
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=STRONG_EM_MAX_PAIRS, record_sample_proportion=0.1
            )
        except EMTrainingException:  # a file without repeated CNICs or phones
            continue
    model = _with_floors(linker.misc.save_model_to_json(), STRONG_M_FLOOR, 1 / STRONG_U_MAX_PAIRS)
    return Linker(table, model, log_level=logging.ERROR)


def strong_splink_dedupe(frame: pd.DataFrame, stages=None, seed: int = 1) -> tuple[pd.Series, int]:
    """Cluster id per record_id of raw contract columns, and the comparisons scored."""
    from contextlib import nullcontext

    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    stage = stages.stage if stages is not None else (lambda _name: nullcontext())
    with stage("clean and key"):
        features = strong_features(frame)
    rules = _strong_rules()
    settings = strong_settings(rules)
    db_api = DuckDBAPI()
    table = db_api.register(features, table_name="records")
    with stage("count comparisons"):
        counts = count_comparisons_from_blocking_rules(
            table,
            blocking_rules=rules,
            link_type="dedupe_only",
            unique_id_column_name="record_id",
            record_sample_proportion=1.0,
        )
        comparisons = int(counts[-1]["cumulative_comparison_count"])
    with stage("train model (prior, u sampling, EM)"):
        linker = strong_trained_linker(table, settings, seed)
    with stage("score pairs"):
        predictions = linker.inference.predict(threshold_match_probability=STRONG_PREDICT_THRESHOLD)
    with stage("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=STRONG_CLUSTER_THRESHOLD
        ).as_pandas_dataframe()
    labels = pd.Series(
        clusters["cluster_id"].to_numpy(), index=clusters["record_id"].astype(str).to_numpy()
    )
    return labels, comparisons


def strong_splink(path: str, stages) -> tuple[pd.Series, int]:
    """The strong generic Splink peer on a CSV of contract columns (``benchmarks/run.py``)."""
    with stages.stage("read"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return strong_splink_dedupe(frame, stages)
