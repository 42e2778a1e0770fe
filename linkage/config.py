"""Typed configuration, with defaults that work; YAML only at the edge.

A job's YAML file may hold any subset of these fields; command-line flags override it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from linkage.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BackendConfig(_Strict):
    """Where the SQL runs: DuckDB, embedded (the default), or Spark (``spark`` extra)."""

    name: Literal["duckdb", "spark"] = "duckdb"
    #: DuckDB threads; None = all cores.
    threads: int | None = None
    #: DuckDB memory limit such as "6GB"; None = DuckDB's default (80% of RAM).
    memory_limit: str | None = None
    #: Where DuckDB spills; None = a temporary folder.
    temp_directory: str | None = None
    #: Spark master for a session started here; None = spark-submit's, else local[*].
    spark_master: str | None = None
    #: spark.sql.shuffle.partitions for a session started here.
    spark_shuffle_partitions: int = Field(8, ge=1)
    #: Where Splink breaks long lineages (checkpoints); None = a temporary folder.
    spark_checkpoint_dir: str | None = None


class TrainingConfig(_Strict):
    """Unsupervised training: u by random sampling, m by EM, all seeded."""

    seed: int = 42
    #: Fewer usable records than this cannot train a model unsupervised: EM needs
    #: duplicates to learn from. Smaller inputs need a saved model (--model).
    min_records: int = Field(1000, ge=2)
    u_max_pairs: float = 1e6
    em_max_pairs: float = 3e5
    #: Recall assumed for the deterministic rules that estimate the match prior.
    prior_recall: float = 0.7
    #: Smallest m probability any level keeps after EM, so that no single disagreement
    #: (a gender typo, an age misreported by years) is an absolute veto.
    m_floor: float = Field(0.001, ge=0, lt=0.1)
    #: No level weighs more than log2(1/against_floor) bits against a match: m is at
    #: least this share of u (0.01: about 6.6 bits). EM trains on blocks whose records
    #: agree on the blocking keys and so underestimates how often duplicates disagree.
    against_floor: float = Field(0.01, ge=0, lt=1)
    #: EM stops after this many iterations of a round, converged or not (the summary
    #: says which), so training time is bounded on any data.
    max_iterations: int = Field(25, ge=1, le=500)
    #: An EM round is used only when its rule finds at least this many pairs.
    min_em_pairs: int = Field(100, ge=1)


class BlockingConfig(_Strict):
    #: Refuse to score more comparisons than this (counted before predicting).
    max_comparisons: int = 50_000_000
    #: Blocking rules are taken in order while their comparisons stay within this many
    #: per record (and within max_comparisons): a small file can afford broad rules that
    #: a national wave cannot.
    comparisons_per_record: float = Field(20.0, gt=0)
    #: ... but never less than this many comparisons in all.
    min_comparisons: int = Field(1_000_000, ge=0)
    #: Up to this many records comparisons are counted exactly; beyond, they are
    #: estimated from a sample of records (Splink's blocking analysis), about as many.
    exact_count_records: int = Field(200_000, ge=1)


class ClusteringConfig(_Strict):
    #: Pairs at or above this match probability join one person cluster. 0.7 gave the
    #: best F1 on generated data of two seeds (README, "Accuracy"); raise it to trade
    #: recall for precision.
    threshold: float = Field(0.7, gt=0, lt=1)
    #: Pairs at or above this probability are written to ``pairs`` (for review).
    pairs_threshold: float = Field(0.5, gt=0, lt=1)
    #: Two households share a household cluster when this share of the smaller
    #: household's members are the same people.
    household_overlap: float = Field(0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _pairs_below_clusters(self) -> ClusteringConfig:
        if self.pairs_threshold > self.threshold:
            raise ValueError("pairs_threshold must not exceed threshold")
        return self


Rule = Literal["completeness", "source", "recency", "agreement"]


class GoldenConfig(_Strict):
    """Survivorship: which record's value a golden record keeps (``linkage.golden``)."""

    #: Source prefixes from most to least trusted; door-to-door surveys beat self-report.
    source_priority: list[str] = ["survey", "dynamic", "partner"]
    #: Order of the rules for person fields; the smallest record id breaks last ties.
    rules: list[Rule] = ["completeness", "source", "recency", "agreement"]
    #: Order of the rules for household fields (size, location, urban/rural, PMT).
    household_rules: list[Rule] = ["source", "recency", "completeness", "agreement"]
    #: Per field, another order, e.g. {phone: [recency, completeness, source, agreement]}.
    field_rules: dict[str, list[Rule]] = {}

    @model_validator(mode="after")
    def _known_fields(self) -> GoldenConfig:
        from linkage.golden import FIELDS, HOUSEHOLD_FIELDS

        unknown = sorted(set(self.field_rules) - set(FIELDS) - set(HOUSEHOLD_FIELDS))
        if unknown:
            raise ValueError(f"field_rules names unknown fields {unknown}; known: "
                             f"{sorted({*FIELDS, *HOUSEHOLD_FIELDS})}")
        for name, rules in {"rules": self.rules, "household_rules": self.household_rules,
                            **self.field_rules}.items():
            if len(set(rules)) != len(rules):
                raise ValueError(f"{name} lists a rule twice: {rules}")
        return self


class DatesConfig(_Strict):
    #: Birth years before this are out of range and dropped (counted on the console).
    #: The default suits a registry of the living; a historical register sets earlier.
    min_year: int = Field(1900, ge=1000, le=2100)


class JobConfig(_Strict):
    """What every job that scores people needs; paths may also come from the command
    line, which wins. Paths are strings: on Spark they may be hdfs://, s3a://, abfss://."""

    out: str | None = None
    model: str | None = None
    mapping: str | None = None

    backend: BackendConfig = BackendConfig()
    training: TrainingConfig = TrainingConfig()
    blocking: BlockingConfig = BlockingConfig()
    dates: DatesConfig = DatesConfig()
    golden: GoldenConfig = GoldenConfig()
    output_format: Literal["parquet", "csv"] = "parquet"


class DedupeConfig(JobConfig):
    """The dedupe job: one input wave, people clustered at ``clustering.threshold``."""

    input: str | None = None
    clustering: ClusteringConfig = ClusteringConfig()


def override(cfg: JobConfig, *, format: str | None = None, backend: str | None = None,
             memory_limit: str | None = None, threshold: float | None = None) -> None:
    """Command-line flags win over the config file (``None``: not given)."""
    if threshold is not None:
        cfg.clustering.threshold = threshold
        cfg.clustering.pairs_threshold = min(cfg.clustering.pairs_threshold, threshold)
    if format is not None:
        cfg.output_format = format
    if backend is not None:
        cfg.backend.name = backend
    if memory_limit is not None:
        cfg.backend.memory_limit = memory_limit


def load_config(path: str | Path | None, model: type[_Strict] = DedupeConfig) -> _Strict:
    """Read a YAML config, or return the defaults when no path is given."""
    if path is None:
        return model()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("config file not found.", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"is not valid YAML ({exc}).", file=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("must be a YAML mapping of settings.", file=str(path))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}.", file=str(path)) from None


class LineageConfig(_Strict):
    """How households of two waves are related (``linkage.lineage``)."""

    #: An old household none of whose descendants continues it counts as ``merged``
    #: into the newer household holding at least this share of its members.
    merge_share: float = Field(0.5, gt=0, le=1)


class UpdatesConfig(_Strict):
    """Which changes between waves are flagged for checking before they are applied."""

    #: Flag a household size that changes by more than this many people.
    max_size_change: int = Field(4, ge=0)
    #: Flag a reported household size that differs from the members listed by more.
    max_size_vs_roster: int = Field(1, ge=0)
    #: Flag a head of household younger than this (years, at the newer wave).
    min_head_age: int = Field(15, ge=0)


class LinkWavesConfig(DedupeConfig):
    """The link-waves job: the dedupe settings plus lineage and update rules."""

    waves: list[str] = []
    lineage: LineageConfig = LineageConfig()
    updates: UpdatesConfig = UpdatesConfig()
