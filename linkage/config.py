"""Typed configuration, with defaults that work; YAML only at the edge.

A job's YAML file may hold any subset of these fields; command-line flags override it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from linkage.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: A size as DuckDB reads one: a number and a unit, "6GB", "500MiB", "1.5 GB", "512M".
_SIZE = re.compile(
    r"\s*(\d+(?:\.\d+)?)\s*(b|bytes?|[kmgt]b?|[kmgt]ib|"
    r"(?:kilo|mega|giga|tera)bytes?)\s*",
    re.IGNORECASE,
)


def size_in_bytes(text: str) -> int:
    """Bytes in a DuckDB size ("6GB" = 6e9, "500MiB" = 500 * 2**20); ValueError if it is
    not one. Checked here so that a typo is a config error, not a DuckDB parser error."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a size: write a number and a unit, such as 6GB, 500MB or 2GiB"
        )
    number, unit = float(match.group(1)), match.group(2).lower()
    base = 1024 if unit.endswith("ib") else 1000
    power = "bkmgt".index(unit[0]) if unit not in ("b", "byte", "bytes") else 0
    return int(number * base**power)


def _positive_size(text: str) -> str:
    if size_in_bytes(text) <= 0:
        raise ValueError(f"{text!r} must be more than zero")
    return text


Size = Annotated[str, AfterValidator(_positive_size)]


class BackendConfig(_Strict):
    """Where the SQL runs: DuckDB, embedded (the default), or Spark (``spark`` extra)."""

    name: Literal["duckdb", "spark"] = "duckdb"
    #: DuckDB threads; None = all cores.
    threads: int | None = Field(None, ge=1)
    #: DuckDB memory limit such as "6GB"; None = DuckDB's default (80% of RAM).
    #: Beyond it DuckDB spills to ``temp_directory``.
    memory_limit: Size | None = None
    #: Where DuckDB spills; None = DuckDB's default (``.tmp`` in the working folder).
    temp_directory: str | None = None
    #: Most DuckDB may spill, such as "20GB"; None = the free space of temp_directory's disk.
    max_temp_directory_size: Size | None = None
    #: Spark master for a session started here; None = spark-submit's, else local[*].
    spark_master: str | None = None
    #: spark.sql.shuffle.partitions for a session started here.
    spark_shuffle_partitions: int = Field(8, ge=1)
    #: Where Splink breaks long lineages (checkpoints); None = a temporary folder.
    spark_checkpoint_dir: str | None = None
    #: Spark: about this many records per batch of whole components that the derive
    #: steps (lineage, golden records, updates) run on in one Python worker.
    derive_batch_rows: int = Field(50_000, ge=1)


class TrainingConfig(_Strict):
    """Unsupervised training: u by random sampling, m by EM, all seeded."""

    seed: int = 42
    #: Fewer usable records than this cannot train a model unsupervised: EM needs
    #: duplicates to learn from. Smaller inputs need a saved model (--model).
    min_records: int = Field(1000, ge=2)
    u_max_pairs: float = Field(1e6, ge=1)
    em_max_pairs: float = Field(3e5, ge=1)
    #: Recall assumed for the deterministic rules that estimate the match prior.
    prior_recall: float = Field(0.7, gt=0, le=1)
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
    max_comparisons: int = Field(50_000_000, ge=1)
    #: Blocking rules are taken in order while their comparisons stay within this many
    #: per record (and within max_comparisons): a small file can afford broad rules that
    #: a national wave cannot. 10 keeps blocking recall above 99.8% on generated waves
    #: and F1 the same as 20 at a million records (0.9899 against 0.9897), with half the
    #: comparisons to score.
    comparisons_per_record: float = Field(10.0, gt=0)
    #: ... but never less than this many comparisons in all.
    min_comparisons: int = Field(1_000_000, ge=0)
    #: Up to this many records comparisons are counted exactly; beyond, they are
    #: estimated from a sample of records (Splink's blocking analysis), about as many.
    exact_count_records: int = Field(200_000, ge=1)


#: clustering.threshold chosen by the job: (with guardians, without)
AUTO_THRESHOLDS = (0.95, 0.7)


class ClusteringConfig(_Strict):
    #: Pairs at or above this match probability join one person cluster. None (the
    #: default) lets the job choose from the file: 0.95 for a registry whose records
    #: carry guardians, 0.7 otherwise. A model that multiplies its comparisons as if
    #: independent is overconfident for namesakes in a registry, whose name, family
    #: name, guardian and place agree together more often than apart: there, pairs
    #: scored 0.7-0.95 are disproportionately two people, the more so the denser the
    #: population (README, "Accuracy": 0.95 is better than 0.7 at 20,000 households
    #: and much better at a million records). A person list without guardians (the
    #: FEBRL benchmark) has no such namesake families, and 0.7 keeps its recall.
    threshold: float | None = Field(None, gt=0, lt=1)
    #: Pairs at or above this probability are written to ``pairs`` (for review).
    pairs_threshold: float = Field(0.5, gt=0, lt=1)
    #: Two households share a household cluster when this share of the smaller
    #: household's members are the same people.
    household_overlap: float = Field(0.5, gt=0, le=1)
    #: Households as evidence (``linkage.resolve.household_evidence``): two rosters joined by
    #: ``min_anchors`` or more pairs at or above ``anchor_probability`` are one
    #: household, and their members are re-scored against each other with that prior
    #: and aligned one to one.
    household_evidence: bool = True
    anchor_probability: float = Field(0.9, gt=0, lt=1)
    min_anchors: int = Field(2, ge=1)

    @model_validator(mode="after")
    def _pairs_below_clusters(self) -> ClusteringConfig:
        if self.pairs_threshold > (self.threshold or AUTO_THRESHOLDS[1]):
            raise ValueError("pairs_threshold must not exceed threshold")
        return self


SurvivorshipRule = Literal["completeness", "source", "recency", "agreement"]
#: An order of rules: at least one, or survivorship would have nothing to decide by.
SurvivorshipRules = Annotated[list[SurvivorshipRule], Field(min_length=1)]


class GoldenConfig(_Strict):
    """Survivorship: which record's value a golden record keeps (``linkage.derive.golden``)."""

    #: Source prefixes from most to least trusted; door-to-door surveys beat self-report.
    source_priority: list[str] = ["survey", "dynamic", "partner"]
    #: Order of the rules for person fields; the smallest record id breaks last ties.
    rules: SurvivorshipRules = ["completeness", "source", "recency", "agreement"]
    #: Order of the rules for household fields (size, location, urban/rural, PMT).
    household_rules: SurvivorshipRules = ["source", "recency", "completeness", "agreement"]
    #: Per field, another order, e.g. {phone: [recency, completeness, source, agreement]}.
    field_rules: dict[str, SurvivorshipRules] = {}

    @model_validator(mode="after")
    def _known_fields(self) -> GoldenConfig:
        from linkage.derive.golden import FIELDS, HOUSEHOLD_FIELDS

        unknown = sorted(set(self.field_rules) - set(FIELDS) - set(HOUSEHOLD_FIELDS))
        if unknown:
            raise ValueError(
                f"field_rules names unknown fields {unknown}; known: "
                f"{sorted({*FIELDS, *HOUSEHOLD_FIELDS})}"
            )
        for name, rules in {
            "rules": self.rules,
            "household_rules": self.household_rules,
            **self.field_rules,
        }.items():
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


C = TypeVar("C", bound=BaseModel)

#: Where each command-line flag lands in a job's config. A flag is validated as the
#: setting it stands for, so ``--threshold 5`` fails as ``clustering: {threshold: 5}`` does.
FLAG_SETTINGS: dict[str, tuple[str, ...]] = {
    "threshold": ("clustering", "threshold"),
    "format": ("output_format",),
    "backend": ("backend", "name"),
    "memory_limit": ("backend", "memory_limit"),
    "match_threshold": ("matching", "match_threshold"),
    "review_threshold": ("matching", "review_threshold"),
}
#: Settings a flag lowers with it, so that a lower threshold keeps its pairs in order:
#: (flag, setting lowered to at most the flag's value).
_LOWERED_WITH = (
    ("threshold", ("clustering", "pairs_threshold")),
    ("review_threshold", ("matching", "pairs_threshold")),
)


def override(cfg: C, **flags: object) -> C:
    """A copy of ``cfg`` with the command-line flags given (``None``: not given) put in,
    validated as a whole like a config file; a bad flag is a ConfigError naming it."""
    given = {flag: value for flag, value in flags.items() if value is not None}
    if not given:
        return cfg
    data = cfg.model_dump()
    for flag, value in given.items():
        _put(data, FLAG_SETTINGS[flag], value)
    for flag, path in _LOWERED_WITH:
        if flag in given and isinstance(given[flag], int | float):
            _put(data, path, min(_get(data, path), given[flag]))
    try:
        return type(cfg).model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_flag_problems(exc, given)) from None


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        data = data[key]
    return data


def _put(data: dict, path: tuple[str, ...], value: object) -> None:
    *parents, key = path
    for name in parents:
        data = data[name]
    data[key] = value


def _flag_problems(exc: ValidationError, given: dict[str, object]) -> str:
    """The problems as the flags that caused them: a problem with a setting a flag sets
    (or lowers, or with the section holding it) belongs to that flag."""
    owners = {FLAG_SETTINGS[f]: f for f in given} | {
        path: f for f, path in _LOWERED_WITH if f in given
    }
    problems: dict[str, str] = {}
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        flag = owners.get(loc) or next(
            (f for f in given if FLAG_SETTINGS[f][: len(loc)] == loc), None
        )
        name = (
            f"--{flag.replace('_', '-')} {given[flag]} ({'.'.join(FLAG_SETTINGS[flag])})"
            if flag
            else ".".join(loc)
        )
        problems.setdefault(name, _message(err))
    return "invalid option: " + "; ".join(f"{k}: {v}" for k, v in problems.items()) + "."


def _message(err) -> str:
    return err["msg"].removeprefix("Value error, ")


def validation_problems(exc: ValidationError) -> str:
    """One ``setting.path: problem`` per error, as a config file's errors are shown."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {_message(err)}" for err in exc.errors()
    )


def load_config(path: str | Path | None, model: type[_Strict] = DedupeConfig) -> _Strict:
    """Read a YAML config, or return the defaults when no path is given."""
    if path is None:
        return model()
    path = Path(path)
    data = yaml_settings(path, "config file")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid settings: {validation_problems(exc)}.", file=str(path)
        ) from None


def yaml_settings(path: Path, what: str) -> dict:
    """A YAML mapping read from ``path``; anything else (a folder, a binary or UTF-16
    file, YAML that is not a mapping) is one ConfigError naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found.", file=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(f"is a folder, not a {what}.", file=str(path)) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the {what} ({exc.strerror or exc}).", file=str(path)
        ) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"is UTF-16 text; save the {what} as UTF-8.", file=str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(
            f"is not UTF-8 text (a binary file?); a {what} is YAML saved as UTF-8.", file=str(path)
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # the position and the kind of problem, never the text: it may not be a config
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"is not valid YAML{where}" + (f" ({problem})" if problem else "") + ".", file=str(path)
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("must be a YAML mapping of settings.", file=str(path))
    return data


class LineageConfig(_Strict):
    """How households of two waves are related (``linkage.derive.lineage``)."""

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
