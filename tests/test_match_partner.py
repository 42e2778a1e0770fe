"""match-partner: one-to-one resolution, newest record, duplicates, statuses, the
partner-facing file, accounting, errors, accuracy, and DuckDB = Spark."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from evaluation.partner_metrics import score_matches
from linkage.config import load_config
from linkage.derive.partner_matching import (
    assign_one_to_one,
    matches_table,
    person_candidates,
    registry_people,
    same_listing,
    status_of,
)
from linkage.derive.unregistered import by_place, rank_unregistered
from linkage.engines.spark import java_major_version
from linkage.errors import ConfigError, InputError
from linkage.partner_config import MatchingConfig, MatchPartnerConfig
from linkage.pipelines.match_partner import run_match_partner

ROOT = Path(__file__).resolve().parents[1]
ACCURACY_FLOOR = 0.95  # 1,500 households train a noisier model than the 20k measurement
REGISTRY_COLUMNS = [
    "record_id",
    "household_id",
    "source",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "relation_to_head",
    "district",
    "address",
]
PARTNER_COLUMNS = [
    "record_id",
    "full_name",
    "guardian_name",
    "cnic",
    "gender",
    "date_of_birth",
    "district",
    "address",
    "poverty_flag",
]


# --- pure resolution, on hand-made pairs ---------------------------------------------


def _pairs(rows):
    """Partner-registry pairs: (partner id, registry id, probability, source, household)."""
    frame = pd.DataFrame(
        rows,
        columns=["record_id_l", "record_id_r", "match_probability", "source_r", "household_id_r"],
    )
    frame["match_weight"] = 10.0
    frame["roster_key_r"] = frame["source_r"] + "|" + frame["household_id_r"]
    frame["wave_order_r"] = frame["source_r"].map({"survey_2011": 0, "survey_2021": 1})
    return frame


def _no_same_person():
    cols = {
        f"{c}_{s}": pd.Series(dtype=object)
        for c in ("record_id", "source", "roster_key", "household_id", "wave_order")
        for s in "lr"
    }
    return pd.DataFrame({**cols, "match_probability": pd.Series(dtype=float)})


def _partner(ids, cnics=None, years=None, names=None):
    n = len(ids)
    return pd.DataFrame(
        {
            "record_id": ids,
            "input_row": range(1, n + 1),
            "person_cnic": cnics or [None] * n,
            "dob_year": years or [1990] * n,
            "given_name_key": names or ["AYS"] * n,
        }
    )


def _resolve(pairs, partner, same=None, **matching):
    config = MatchPartnerConfig(matching=MatchingConfig(**matching))
    people = registry_people(
        pairs, _no_same_person() if same is None else same, config.matching.same_person_threshold
    )
    return matches_table(partner, person_candidates(pairs, people), people, config).set_index(
        "record_id"
    )


def test_two_rows_competing_for_one_person_the_stronger_wins():
    pairs = _pairs(
        [("p1", "r1", 0.99, "survey_2021", "H1"), ("p2", "r1", 0.40, "survey_2021", "H1")]
    )
    m = _resolve(pairs, _partner(["p1", "p2"]))
    assert m.loc["p1", "registry_record_id"] == "r1" and m.loc["p1", "status"] == "matched"
    assert m.loc["p2", "status"] == "unmatched" and pd.isna(m.loc["p2", "registry_record_id"])
    assert pd.isna(m.loc["p2", "partner_duplicate_of"])


def test_the_loser_falls_back_to_its_next_free_person():
    pairs = _pairs(
        [
            ("p1", "r1", 0.99, "survey_2021", "H1"),
            ("p2", "r1", 0.45, "survey_2021", "H1"),
            ("p2", "r2", 0.42, "survey_2021", "H2"),
        ]
    )
    m = _resolve(pairs, _partner(["p1", "p2"]))
    assert m.loc["p2", "registry_record_id"] == "r2" and m.loc["p2", "status"] == "review"


def test_a_person_listed_twice_is_a_partner_duplicate_not_dropped():
    pairs = _pairs(
        [("p1", "r1", 0.99, "survey_2021", "H1"), ("p2", "r1", 0.97, "survey_2021", "H1")]
    )
    m = _resolve(pairs, _partner(["p1", "p2"]))
    assert m.loc["p2", "status"] == "matched" and m.loc["p2", "registry_record_id"] == "r1"
    assert m.loc["p2", "partner_duplicate_of"] == "p1"
    assert m.loc["p2", "duplicate_reason"] == "same registry person"


def test_rows_sharing_a_cnic_are_one_listing():
    pairs = _pairs([("p1", "r1", 0.99, "survey_2021", "H1")])
    partner = _partner(
        ["p1", "p2", "p3"],
        cnics=["3520212345672"] * 3,
        years=[1990, 1990, 1961],
        names=["AYS", "AYS", "KLT"],
    )
    m = _resolve(pairs, partner)
    assert m.loc["p2", "partner_duplicate_of"] == "p1"
    assert m.loc["p2", "duplicate_reason"] == "same CNIC"
    assert m.loc["p2", "registry_record_id"] == "r1" and m.loc["p2", "status"] == "matched"
    # same CNIC, but another birth year and name: another person (a mistyped CNIC)
    assert pd.isna(m.loc["p3", "partner_duplicate_of"]) and m.loc["p3", "status"] == "unmatched"


def test_same_listing_ignores_rows_without_a_cnic():
    listing = same_listing(_partner(["a", "b"]))
    assert listing.to_dict() == {"a": "a", "b": "b"}


def test_a_match_points_to_the_newest_record_of_the_person():
    pairs = _pairs(
        [("p1", "r11", 0.99, "survey_2011", "H11"), ("p1", "r21", 0.60, "survey_2021", "H21")]
    )
    same = pd.DataFrame(
        {
            "record_id_l": ["r11"],
            "record_id_r": ["r21"],
            "match_probability": [0.98],
            "source_l": ["survey_2011"],
            "source_r": ["survey_2021"],
            "roster_key_l": ["survey_2011|H11"],
            "roster_key_r": ["survey_2021|H21"],
            "household_id_l": ["H11"],
            "household_id_r": ["H21"],
            "wave_order_l": [1],
            "wave_order_r": [0],  # given newest first: the year decides
        }
    )
    m = _resolve(pairs, _partner(["p1"]), same)
    assert m.loc["p1", "registry_record_id"] == "r21"
    assert m.loc["p1", "registry_household_id"] == "H21"
    assert m.loc["p1", "scored_record_id"] == "r11"  # the score is the best pair's
    assert m.loc["p1", "match_probability"] == pytest.approx(0.99)


def test_thresholds_give_three_statuses():
    p = pd.Series([0.95, 0.5, 0.49, 0.3, 0.1, None])
    status = status_of(p, review_threshold=0.3, match_threshold=0.5)
    assert status.tolist() == ["matched", "matched", "review", "review", "unmatched", "unmatched"]


def test_one_to_one_is_deterministic_under_ties():
    candidates = pd.DataFrame(
        {
            "record_id": ["b", "a"],
            "person_id": ["x", "x"],
            "match_probability": [0.6, 0.6],
            "match_weight": [1.0, 1.0],
            "scored_record_id": ["x", "x"],
        }
    )
    listing = pd.Series({"a": "a", "b": "b"})
    chosen = assign_one_to_one(candidates, listing, review_threshold=0.3, match_threshold=0.9)
    assert list(chosen) == ["a"]


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="pairs_threshold <= review_threshold"):
        MatchingConfig(match_threshold=0.4, review_threshold=0.6)


def test_example_config_loads():
    cfg = load_config(ROOT / "jobs/examples/match_partner.yaml", MatchPartnerConfig)
    assert cfg.backend.name == "spark" and len(cfg.registry) == 2
    assert cfg.matching.match_threshold == MatchingConfig().match_threshold


# --- ranking the unregistered ------------------------------------------------------------


def test_unregistered_rank_poorest_first_and_by_place_adds_up():
    partner = pd.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e"],
            "input_row": [1, 2, 3, 4, 5],
            "poverty_flag": ["0", "1", None, None, "1"],
            "province_std": [None] * 5,
            "district_std": ["lahore", "lahore", "tharparkar", "lahore", "lahore"],
            "tehsil_std": [None] * 5,
            "uc_std": [None] * 5,
        }
    )
    matches = pd.DataFrame({"record_id": list("abcde"), "status": ["unmatched"] * 4 + ["matched"]})
    ranked = rank_unregistered(partner, matches)
    # flagged poor first; then unknown flag, by district rural share (Tharparkar is
    # rural, Lahore mostly urban); flagged not poor last
    assert ranked["record_id"].tolist() == ["b", "c", "d", "a"]
    assert ranked["poverty_basis"].tolist() == [
        "poverty_flag",
        "district_proxy",
        "district_proxy",
        "poverty_flag",
    ]
    assert ranked.loc[1, "province"] == "Sindh"  # filled from the district
    places = by_place(partner, matches, pd.Series({"lahore": 1000}))
    assert places["partner_rows"].sum() == 5
    lahore = places.set_index("district").loc["lahore"]
    assert (lahore["matched"], lahore["unmatched"]) == (1, 3)
    assert lahore["matched_share"] == 0.25
    assert lahore["registry_coverage"] == pytest.approx(
        1000 / lahore["census_population_2023"], abs=1e-4
    )


# --- end to end on generated data -------------------------------------------------------


@pytest.fixture(scope="module")
def partner_run(generated, tmp_path_factory):
    """The generated partner list (plus two unusable rows) against both waves."""
    data = tmp_path_factory.mktemp("partner-data")
    partner = pd.read_csv(generated / "partner_flood_2022.csv", dtype=str, keep_default_na=False)
    bad = partner.head(2).copy()
    bad["record_id"] = ["bad-1", ""]
    bad.loc[bad.index[0], ["full_name", "cnic"]] = ["", ""]  # nothing to match on
    pd.concat([partner, bad]).to_csv(data / "partner.csv", index=False)
    out = tmp_path_factory.mktemp("partner-runs") / "run"
    result = run_match_partner(
        [str(generated / "wave_2021.csv"), str(generated / "wave_2011.csv")],
        str(data / "partner.csv"),
        out,
        MatchPartnerConfig(),
    )
    return out, result, data


def test_accuracy_floor_on_generated_data(generated, partner_run):
    out, result, _ = partner_run
    scores = score_matches(
        pd.read_parquet(out / "matches.parquet"), pd.read_csv(generated / "truth.csv", dtype=str)
    )
    assert scores.accuracy >= ACCURACY_FLOOR, scores
    assert scores.review_share < 0.03, scores
    assert scores.precision >= 0.98, scores


def test_every_partner_row_is_accounted_for(partner_run):
    out, result, data = partner_run
    rows = len(pd.read_csv(data / "partner.csv", dtype=str))
    matches = pd.read_parquet(out / "matches.parquet")
    rejected = pd.read_parquet(out / "rejected.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert len(matches) + len(rejected) == rows == summary["input"]["rows_read"]
    assert len(rejected) == summary["input"]["rows_rejected"] == 2
    assert set(rejected["reason"]) == {
        "empty record_id",
        "no name and no CNIC (nothing to match on)",
    }
    assert sum(summary["statuses"].values()) == len(matches)
    assert matches["record_id"].is_unique
    feedback = pd.read_csv(out / "partner_feedback.csv", dtype=str, keep_default_na=False)
    assert len(feedback) == rows and feedback["input_row"].astype(int).is_monotonic_increasing
    assert summary["thresholds"]["match_threshold"] == MatchingConfig().match_threshold


def test_one_registry_person_per_partner_listing(partner_run):
    out, _, _ = partner_run
    m = pd.read_parquet(out / "matches.parquet")
    firsts = m[m["status"].isin(["matched", "review"]) & m["partner_duplicate_of"].isna()]
    assert firsts["registry_record_id"].is_unique
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert pairs["record_id_l"].str.startswith("p-").all()  # partner left, never
    assert not pairs["record_id_r"].str.startswith("p-").any()  # partner against partner


def test_partner_duplicates_are_reported(generated, partner_run):
    out, _, _ = partner_run
    m = pd.read_parquet(out / "matches.parquet").set_index("record_id")
    truth = pd.read_csv(generated / "truth.csv", dtype=str).set_index("record_id")["person_id"]
    dups = m[m["partner_duplicate_of"].notna()]
    assert len(dups) > 0
    same = dups.index.map(truth) == dups["partner_duplicate_of"].map(truth)
    assert same.mean() >= 0.9


def test_the_partner_file_holds_no_registry_pii(generated, partner_run):
    out, _, _ = partner_run
    registry = pd.concat(
        [pd.read_csv(generated / f"{w}.csv", dtype=str) for w in ("wave_2011", "wave_2021")]
    )
    matched = set(pd.read_parquet(out / "matches.parquet")["registry_record_id"].dropna())
    registry = registry[registry["record_id"].isin(matched)]
    pii = set()
    for col in ("full_name", "guardian_name", "cnic", "address", "phone", "date_of_birth"):
        values = registry[col].dropna().str.strip()
        pii |= set(values[values.str.len() >= 4])
    pii |= {c.replace("-", "") for c in registry["cnic"].dropna()}
    assert len(pii) > 1000
    for name in ("partner_feedback.csv", "partner_feedback.parquet"):
        path = out / name
        frame = (
            pd.read_csv(path, dtype=str, keep_default_na=False)
            if name.endswith(".csv")
            else pd.read_parquet(path).astype(str)
        )
        cells = {str(v).strip() for v in frame.to_numpy().ravel()}
        assert not cells & pii
        text = path.read_text(encoding="utf-8") if name.endswith(".csv") else ""
        assert not any(c in text for c in registry["cnic"].dropna().str.replace("-", ""))
        assert set(frame.columns) == {
            "record_id",
            "input_row",
            "status",
            "registry_household_id",
            "match_probability",
            "partner_duplicate_of",
            "reason",
        }


def test_women_under_their_husbands_cnic_match_the_woman(generated, partner_run):
    out, _, data = partner_run
    partner = pd.read_csv(data / "partner.csv", dtype=str)
    digit = partner["cnic"].fillna("").str.replace("-", "").str[-1:]
    husbands = partner[(partner["gender"] == "Female") & digit.isin(list("13579"))]
    assert len(husbands) >= 5
    m = pd.read_parquet(out / "matches.parquet")
    m = m[m["record_id"].isin(husbands["record_id"])]
    scores = score_matches(m, pd.read_csv(generated / "truth.csv", dtype=str))
    assert scores.accuracy >= 0.9 and scores.wrong_person == 0, scores


def test_unregistered_outputs(partner_run):
    out, _, _ = partner_run
    m = pd.read_parquet(out / "matches.parquet")
    ranked = pd.read_parquet(out / "unregistered.parquet")
    assert len(ranked) == (m["status"] == "unmatched").sum()
    assert ranked["poverty_rank"].tolist() == list(range(1, len(ranked) + 1))
    flags = ranked["poverty_flag"].tolist()
    assert flags == sorted(flags, key=lambda f: {1: 0, 0: 2}.get(f, 1))
    places = pd.read_parquet(out / "unregistered_by_place.parquet")
    assert places["partner_rows"].sum() == len(m)
    assert places["unmatched"].sum() == len(ranked)
    assert places["registry_coverage"].dropna().between(0, 1).all()
    assert "rural share" in json.loads((out / "summary.json").read_text())["poverty_proxy"]


# --- hand-made registry, the generated model ------------------------------------------


def _write(path, rows, columns):
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def hand_made(partner_run, tmp_path_factory):
    out, _, _ = partner_run
    d = tmp_path_factory.mktemp("hand")
    addr = "House 12, Street 4, Mohalla Noorpur, Shahdara"
    w11 = _write(
        d / "w11.csv",
        [
            [
                "r11-1",
                "H11-1",
                "survey_2011",
                "Ayesha Bibi",
                "Muhammad Aslam",
                "",
                "F",
                "1990-05-01",
                "Daughter",
                "Lahore",
                addr,
            ],
            [
                "r11-2",
                "H11-1",
                "survey_2011",
                "Sana Bibi",
                "Muhammad Aslam",
                "",
                "F",
                "1993-08-15",
                "Daughter",
                "Lahore",
                addr,
            ],
        ],
        REGISTRY_COLUMNS,
    )
    w21 = _write(
        d / "w21.csv",
        [
            [
                "r21-1",
                "H21-1",
                "survey_2021",
                "Ayesha Bibi",
                "Muhammad Aslam",
                "3520298765432",
                "F",
                "1990-05-01",
                "Daughter",
                "Lahore",
                addr,
            ],
            [
                "r21-3",
                "H21-2",
                "survey_2021",
                "Kamran Ali",
                "Nadeem Ali",
                "3410155555551",
                "M",
                "1984-07-21",
                "Head",
                "Gujranwala",
                "Mohalla Islampura, Kamoke",
            ],
            [
                "r21-4",
                "H21-2",
                "survey_2021",
                "Rukhsana Bibi",
                "Kamran Ali",
                "",
                "F",
                "1988-03-03",
                "Spouse",
                "Gujranwala",
                "Mohalla Islampura, Kamoke",
            ],
        ],
        REGISTRY_COLUMNS,
    )
    partner = _write(
        d / "partner.csv",
        [
            [
                "p1",
                "AYESHA BIBI",
                "MUHAMMAD ASLAM",
                "35202-9876543-2",
                "Female",
                "01/05/1990",
                "LAHORE",
                "Mohalla Noorpur, Shahdara",
                "1",
            ],
            [
                "p2",
                "AYESHA BIBI",
                "MUHAMMAD ASLAM",
                "",
                "Female",
                "01/05/1990",
                "LAHORE",
                "Mohalla Noorpur, Shahdara",
                "1",
            ],
            [
                "p3",
                "SANA BIBI",
                "MUHAMMAD ASLAM",
                "",
                "Female",
                "15/08/1993",
                "LAHORE",
                "Mohalla Noorpur, Shahdara",
                "1",
            ],
            [
                "p4",
                "RUKHSANA BIBI",
                "W/O KAMRAN ALI",
                "34101-5555555-1",
                "Female",
                "03/03/1988",
                "GUJRANWALA",
                "Mohalla Islampura, Kamoke",
                "1",
            ],
            [
                "p5",
                "ZAINAB NOOR",
                "W/O FAROOQ HAIDER",
                "",
                "Female",
                "1975",
                "THARPARKAR",
                "Village Mithi",
                "1",
            ],
        ],
        PARTNER_COLUMNS,
    )
    result = run_match_partner(
        [w21, w11], partner, d / "out", MatchPartnerConfig(), model_path=out / "model.json"
    )
    return result.tables["matches"].set_index("record_id")


def test_hand_made_newest_record_duplicate_and_husbands_cnic(hand_made):
    m = hand_made
    assert m.loc["p1", "registry_record_id"] == "r21-1"  # 2011 and 2021: the 2021 record
    assert m.loc["p1", "status"] == "matched"
    assert m.loc["p2", "partner_duplicate_of"] == "p1"  # Ayesha listed twice
    assert m.loc["p2", "registry_record_id"] == "r21-1"
    assert m.loc["p3", "registry_record_id"] == "r11-2"  # only in the 2011 wave
    assert m.loc["p4", "registry_record_id"] == "r21-4"  # the wife, not her husband
    assert m.loc["p5", "status"] == "unmatched"


# --- errors ---------------------------------------------------------------------------


def test_missing_registry_file_is_a_clear_error(partner_run, tmp_path):
    _, _, data = partner_run
    with pytest.raises(InputError, match="file not found"):
        run_match_partner(
            [str(tmp_path / "nope.csv")],
            str(data / "partner.csv"),
            tmp_path / "out",
            MatchPartnerConfig(),
        )
    assert not (tmp_path / "out").exists()


def test_a_partner_list_with_no_usable_row_is_refused(generated, tmp_path):
    path = _write(
        tmp_path / "p.csv", [["p1", "", "", "-", "Female", "", "", "", ""]], PARTNER_COLUMNS
    )
    with pytest.raises(InputError, match="none of its 1 rows can be matched"):
        run_match_partner(
            [str(generated / "wave_2021.csv")], path, tmp_path / "out", MatchPartnerConfig()
        )


def test_cli_exit_2_and_one_sentence(partner_run, tmp_path):
    _, _, data = partner_run
    proc = subprocess.run(
        [
            sys.executable,
            "jobs/match_partner.py",
            "--registry",
            str(tmp_path / "nope.csv"),
            "--partner",
            str(data / "partner.csv"),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_prints_counts_and_accuracy(generated, partner_run, tmp_path):
    from linkage.cli.partner import register

    out, _, data = partner_run
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a group, so the command is addressed by name
    result = CliRunner().invoke(
        app,
        [
            "match-partner",
            "--registry",
            str(generated / "wave_2021.csv"),
            "--registry",
            str(generated / "wave_2011.csv"),
            "--partner",
            str(data / "partner.csv"),
            "--out",
            str(tmp_path / "cli"),
            "--model",
            str(out / "model.json"),
            "--truth",
            str(generated / "truth.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "matched" in result.output
    partner = pd.read_csv(data / "partner.csv", dtype=str)
    assert not any(n in result.output for n in partner["full_name"].dropna())
    with pytest.raises(ConfigError):
        CliRunner().invoke(
            app, ["match-partner", "--partner", "x.csv", "--out", "o"], catch_exceptions=False
        )


def test_cli_guesses_the_partners_own_headers_and_prints_the_mapping(
    generated, partner_run, tmp_path
):
    from linkage.cli import app

    out, _, data = partner_run
    partner = pd.read_csv(data / "partner.csv", dtype=str)
    own = partner.rename(
        columns={
            "record_id": "S.No",
            "full_name": "Name",
            "guardian_name": "Father/Husband Name",
            "cnic": "CNIC No.",
            "date_of_birth": "DOB",
            "district": "District",
        }
    )
    own.to_excel(tmp_path / "flood.xlsx", index=False)
    result = CliRunner().invoke(
        app,
        [
            "match-partner",
            "--registry",
            str(generated / "wave_2021.csv"),
            "--partner",
            str(tmp_path / "flood.xlsx"),
            "--out",
            str(tmp_path / "run"),
            "--model",
            str(out / "model.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Column mapping guessed from the header" in result.output
    assert "CNIC No.: cnic" in result.output and "Name: full_name" in result.output
    matches = pd.read_parquet(tmp_path / "run" / "matches.parquet")
    assert len(matches) + len(pd.read_parquet(tmp_path / "run" / "rejected.parquet")) == len(own)
    assert (matches["status"] == "matched").mean() > 0.5


# --- Spark gives DuckDB's answers -------------------------------------------------------


@pytest.mark.spark
@pytest.mark.skipif((java_major_version() or 0) < 17, reason="Java 17 is not installed")
def test_spark_gives_duckdbs_matches(tmp_path):
    pytest.importorskip("pyspark")
    from evaluation.synthetic import generate
    from linkage.config import BackendConfig

    generate(households=300, seed=5, out=tmp_path / "data")
    waves = [str(tmp_path / "data" / f"{w}.csv") for w in ("wave_2021", "wave_2011")]
    partner = str(tmp_path / "data" / "partner_flood_2022.csv")
    duck = run_match_partner(waves, partner, tmp_path / "duck", MatchPartnerConfig())
    config = MatchPartnerConfig(
        backend=BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=4)
    )
    spark = run_match_partner(
        waves, partner, str(tmp_path / "spark"), config, model_path=tmp_path / "duck" / "model.json"
    )
    a = duck.tables["matches"].set_index("record_id")
    b = spark.tables["matches"].set_index("record_id").loc[a.index]
    assert (a["status"] == b["status"]).all()
    assert (a["registry_record_id"].fillna("") == b["registry_record_id"].fillna("")).all()
    assert (a["match_probability"] - b["match_probability"]).abs().max() <= 1e-6
    assert (tmp_path / "spark" / "partner_feedback.csv").exists()
    written = pd.read_parquet(tmp_path / "spark" / "matches.parquet")
    assert len(written) == len(a)
