"""What a model file may hold: a model is data, never a program.

A Splink ``model.json`` carries SQL (each comparison level's ``sql_condition``, each
blocking rule) that the engine runs as it is. A model from elsewhere could read files
(``read_text``, ``read_csv``), attach databases or query tables. So a loaded model is
checked before any of it runs:

- its shape and numbers (:class:`SplinkModel`): known keys only, m and u probabilities
  numbers in [0, 1], the prior in (0, 1), plain names, columns of ``MODEL_COLUMNS``;
- its SQL: each condition must parse (sqlglot, in the model's dialect) as one
  expression built only from ``MODEL_COLUMNS`` (``given_name_l``,
  ``given_name_r`` in comparisons; ``l.given_name``, ``r.given_name`` in blocking
  rules), literals, operators, ``IN`` lists, ``CASE``, and the functions in
  :data:`ALLOWED_FUNCTIONS`. Anything else is refused, naming the comparison or rule
  and what was found.

When the project's comparisons gain a function, add it to :data:`ALLOWED_FUNCTIONS`
(the tests check that every model the project writes, on both dialects, passes).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import sqlglot
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlglot import exp
from sqlglot.errors import SqlglotError

from linkage.errors import ConfigError
from models.settings import MODEL_COLUMNS

#: Functions a model's SQL may call, by the name sqlglot gives them (lower case): it
#: reads DuckDB's ``list_contains`` as ``array_contains``, ``str_split`` as ``split``,
#: ``array_length`` as ``array_size``, ``substr`` as ``substring``; Spark's ``month(x)``
#: as ``month(ts_or_ds_to_date(x))``. Pure functions of their arguments only: nothing
#: that reads files, the environment or tables.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # written by models.comparisons, on DuckDB and on Spark (models.store.for_dialect)
        "abs",
        "array_contains",
        "array_intersect",
        "array_size",
        "concat",
        "damerau_levenshtein",
        "day",
        "least",
        "left",
        "length",
        "levenshtein",
        "month",
        "regexp_split",
        "replace",
        "right",
        "split",
        "ts_or_ds_to_date",
        # Splink's other similarity and date levels, and plain string helpers
        "coalesce",
        "greatest",
        "jaro_similarity",
        "jaro_winkler_similarity",
        "jarowinkler_similarity",
        "lower",
        "substring",
        "year",
    }
)

#: The SQL shapes a condition may have besides column references and function calls.
ALLOWED_EXPRESSIONS: tuple[type[exp.Expression], ...] = (
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.Like,
    exp.In,
    exp.Between,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.BitwiseAnd,  # the address signature (models.comparisons._address)
    exp.Case,
    exp.If,
)

#: Words for what is refused, where a class name would not tell a user much.
_CONSTRUCTS = {
    exp.Subquery: "a subquery",
    exp.Select: "a subquery",
    exp.Exists: "a subquery",
    exp.Table: "a table reference",
    exp.From: "a table reference",
    exp.Star: "*",
    exp.Placeholder: "a parameter",
    exp.Parameter: "a parameter",
    exp.Cast: "a cast",
    exp.TryCast: "a cast",
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UID = re.compile(r"[A-Za-z0-9_]+")


def _name(text: str) -> str:
    if not _NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain name (letters, digits, _)")
    return text


def _uid(text: str) -> str:
    if not _UID.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain id (letters, digits, _)")
    return text


def _known_column(text: str) -> str:
    if text not in MODEL_COLUMNS:
        raise ValueError(f"{text!r} is not a column of the records")
    return text


Name = Annotated[str, AfterValidator(_name)]
Column = Annotated[str, AfterValidator(_known_column)]
Probability = Annotated[float, Field(ge=0, le=1, strict=True)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Level(_Data):
    sql_condition: str
    label_for_charts: str | None = None
    is_null_level: bool = False
    m_probability: Probability | None = None
    u_probability: Probability | None = None
    tf_adjustment_column: Column | None = None
    tf_adjustment_weight: Probability = 1.0
    tf_minimum_u_value: Probability = 0.0
    disable_tf_exact_match_detection: bool = False
    fix_m_probability: bool = False
    fix_u_probability: bool = False


class Comparison(_Data):
    output_column_name: Name
    comparison_levels: list[Level] = Field(min_length=2)
    comparison_description: str | None = None


class BlockingRule(_Data):
    blocking_rule: str
    sql_dialect: Literal["duckdb", "spark"] | None = None
    arrays_to_explode: Annotated[list[Column], Field(max_length=0)] | None = None


class SplinkModel(_Data):
    """The keys of a Splink settings dict that this project reads and writes."""

    link_type: Literal["dedupe_only", "link_only", "link_and_dedupe"]
    comparisons: list[Comparison] = Field(min_length=1)
    blocking_rules_to_generate_predictions: list[BlockingRule | str] = Field(min_length=1)
    probability_two_random_records_match: Annotated[float, Field(gt=0, lt=1, strict=True)]
    unique_id_column_name: Literal["record_id"]
    sql_dialect: Literal["duckdb", "spark"] = "duckdb"
    #: Carried through to the scored pairs by name (a job may keep columns of its own).
    additional_columns_to_retain: list[Name] = []
    retain_matching_columns: bool = True
    retain_intermediate_calculation_columns: bool = False
    source_dataset_column_name: Name = "source_dataset"
    match_weight_column_prefix: Name = "mw_"
    term_frequency_adjustment_column_prefix: Name = "tf_"
    comparison_vector_value_column_prefix: Name = "gamma_"
    em_convergence: Annotated[float, Field(gt=0, strict=True)] = 0.0001
    max_iterations: Annotated[int, Field(ge=1, strict=True)] = 25
    linker_uid: Annotated[str, AfterValidator(_uid)] | None = None


def validate_model(settings: Any, *, file: str | None = None) -> dict:
    """``settings`` if it is a model this project could have written; else a ConfigError
    naming the comparison (or blocking rule) and what is wrong with it."""
    if not isinstance(settings, dict) or "comparisons" not in settings:
        raise ConfigError("is not a Splink model (it has no 'comparisons').", file=file)
    try:
        model = SplinkModel.model_validate(settings)
    except ValidationError as exc:
        raise ConfigError(_shape_problems(exc, settings), file=file) from None
    for comparison in model.comparisons:
        for i, level in enumerate(comparison.comparison_levels, start=1):
            if level.sql_condition.strip().upper() != "ELSE":
                where = f"comparison '{comparison.output_column_name}', level {i}" + (
                    f' "{level.label_for_charts}"' if level.label_for_charts else ""
                )
                check_sql(
                    level.sql_condition, model.sql_dialect, where=where, blocking=False, file=file
                )
    for i, rule in enumerate(model.blocking_rules_to_generate_predictions, start=1):
        sql, dialect = (
            (rule, model.sql_dialect)
            if isinstance(rule, str)
            else (rule.blocking_rule, rule.sql_dialect or model.sql_dialect)
        )
        check_sql(sql, dialect, where=f"blocking rule {i}", blocking=True, file=file)
    return settings


def check_sql(
    sql: str, dialect: str, *, where: str, blocking: bool, file: str | None = None
) -> None:
    """Refuse ``sql`` unless it is one condition of allowed columns, shapes and functions."""

    def refuse(what: str) -> ConfigError:
        return ConfigError(
            f"{where} {what}. A model is data: its SQL may only compare the "
            "records' columns, with the functions of nser-linkage's own "
            "comparisons (models/validation.py).",
            file=file,
        )

    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
        statements = sqlglot.parse(sql, read=dialect)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{where} is not valid SQL ({first}).", file=file) from None
    if any(t.comments for t in tokens):
        raise refuse("holds an SQL comment, which is not allowed")
    if len(statements) != 1 or statements[0] is None:
        raise refuse("holds several SQL statements" if len(statements) > 1 else "is empty")
    for node in statements[0].walk():
        problem = _refused(node, blocking=blocking)
        if problem:
            raise refuse(problem)


def _refused(node: exp.Expression, *, blocking: bool) -> str | None:
    """What is wrong with ``node`` in a model's condition, or None when it is allowed."""
    if isinstance(node, exp.Column):
        return _column_problem(node, blocking=blocking)
    if isinstance(node, exp.Identifier) and isinstance(node.parent, exp.Column):
        return None  # checked with its column
    if isinstance(node, ALLOWED_EXPRESSIONS):
        return None
    for kind, words in _CONSTRUCTS.items():  # before functions: sqlglot's casts are ones
        if isinstance(node, kind):
            return f"holds {words}, which is not allowed"
    if isinstance(node, exp.Func):
        name = node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
        return (
            None
            if name in ALLOWED_FUNCTIONS
            else f"calls the function {name}, which is not allowed"
        )
    return f"holds the SQL construct {type(node).__name__}, which is not allowed"


def _column_problem(column: exp.Column, *, blocking: bool) -> str | None:
    known = MODEL_COLUMNS
    name, table = column.name, column.table
    if column.args.get("db") or column.args.get("catalog"):
        return f"refers to {column.sql()}, a column of another table"
    if blocking:
        if table not in ("l", "r") or name not in known:
            return (
                f"refers to {column.sql()}, which is not a column of the records (a "
                "blocking rule compares l.<column> with r.<column>)"
            )
        return None
    if table or not (name.endswith(("_l", "_r")) and name[:-2] in known):
        return (
            f"refers to {column.sql()}, which is not a column of the records (a "
            "comparison level compares <column>_l with <column>_r)"
        )
    return None


def _shape_problems(exc: ValidationError, settings: dict) -> str:
    """The problems in the model's own words: comparison names rather than list indexes."""
    problems = []
    for err in exc.errors():
        if "str" in err["loc"] and isinstance(err.get("input"), dict):
            continue  # a rule given as a mapping: its errors come from the other branch
        loc = [p for p in err["loc"] if p not in ("BlockingRule", "str")]
        where = _where(loc, settings)
        value, msg = err.get("input"), err["msg"].removeprefix("Value error, ")
        shown = (
            ""
            if isinstance(value, dict | list) or repr(value) in msg
            else f" (found {value!r:.60})"
        )
        problems.append(f"{where}: {msg}{shown}")
    return (
        "is not a model nser-linkage can use: "
        + "; ".join(problems[:5])
        + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        + "."
    )


def _where(loc: list, settings: dict) -> str:
    if len(loc) >= 2 and loc[0] == "comparisons" and isinstance(loc[1], int):
        comparison = settings["comparisons"][loc[1]]
        name = comparison.get("output_column_name") if isinstance(comparison, dict) else None
        where = f"comparison '{name}'" if name else f"comparison {loc[1] + 1}"
        rest = loc[2:]
        if len(rest) >= 2 and rest[0] == "comparison_levels" and isinstance(rest[1], int):
            where += f", level {rest[1] + 1}"
            rest = rest[2:]
        return where + "".join(f" {p}" for p in rest)
    if len(loc) >= 2 and loc[0] == "blocking_rules_to_generate_predictions":
        return f"blocking rule {loc[1] + 1}" + "".join(f" {p}" for p in loc[2:])
    return ".".join(str(p) for p in loc) or "the model"
