"""The peers nser-linkage is measured against, run on the same wave_2021.csv.

Each peer is what a capable newcomer would write from the tool's own tutorial, with no
registry knowledge: raw columns lower-cased, no transliteration, no household roster.
That is the point of the comparison: it measures what the registry-specific work buys.

* ``plain_splink``: Splink 5 on DuckDB, ``splink.comparison_library`` comparisons,
  three ``block_on`` rules, the tutorial's training recipe, clustering at 0.95.
* ``recordlinkage_toolkit``: the recordlinkage package (pandas, pair by pair in
  Python): blocking and sorted-neighbourhood indexing, string and exact comparisons,
  the unsupervised ECM classifier, connected components.

Both return ``(cluster id per record_id, comparisons scored)`` and time their stages
through ``stages`` (a ``linkage.progress.Stages``).
"""

from __future__ import annotations

import logging

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
    rules = [block_on("cnic"), block_on("full_name", "district"),
             block_on("date_of_birth", "district")]
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
            table, blocking_rules=rules, link_type="dedupe_only",
            unique_id_column_name="record_id", record_sample_proportion=1.0)
        comparisons = int(counts[-1]["cumulative_comparison_count"])
    linker = Linker(table, settings, log_level=logging.ERROR)
    with stages.stage("train model (u sampling, EM)"):
        linker.training.estimate_probability_two_random_records_match(
            [block_on("cnic"), block_on("full_name", "date_of_birth")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("cnic"))
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth", "district"))
    with stages.stage("score pairs"):
        predictions = linker.inference.predict(threshold_match_probability=0.2)
    with stages.stage("cluster"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=0.95).as_pandas_dataframe()
    labels = pd.Series(clusters["cluster_id"].to_numpy(),
                       index=clusters["record_id"].astype(str).to_numpy())
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
        compare.string("full_name", "full_name", method="jarowinkler", threshold=0.85,
                       label="full_name")
        compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85,
                       label="given_name")
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
