"""Saving and loading trained models as Splink JSON (``model.json``)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from splink import Linker

from linkage.errors import ConfigError
from models.validation import validate_model


def model_json(linker: Linker) -> str:
    """The trained model as Splink's settings JSON, stable for identical models: without
    the random id Splink gives each linker, so two runs that train one model write one
    file, with one fingerprint."""
    settings = linker.misc.save_model_to_json()
    settings.pop("linker_uid", None)
    return json.dumps(settings, indent=2, sort_keys=True)


def load_model(path: str | Path) -> dict:
    """A saved ``model.json``, checked (``models.validation``) before any of its SQL can
    run; a file that is not such a model is a ConfigError naming what is wrong."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
        settings = json.loads(text)
    except FileNotFoundError:
        raise ConfigError("model file not found.", file=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(
            "is a folder, not a model file (give its model.json).", file=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the model file ({exc.strerror or exc}).", file=str(path)
        ) from None
    except UnicodeDecodeError:
        raise ConfigError("is not a JSON model file (not UTF-8 text).", file=str(path)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" ({exc.msg}, line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ConfigError(f"is not a JSON model file{where}.", file=str(path)) from None
    return validate_model(settings, file=str(path))


def fingerprint(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Parameters a trained level carries; everything else (SQL) is rebuilt per dialect.
_TRAINED_KEYS = (
    "m_probability",
    "u_probability",
    "fix_m_probability",
    "fix_u_probability",
    "tf_adjustment_weight",
    "tf_minimum_u_value",
)


def model_columns(model: dict) -> set[str]:
    """The record columns a saved model's comparisons read."""
    text = " ".join(
        lv.get("sql_condition", "") for c in model["comparisons"] for lv in c["comparison_levels"]
    )
    return set(re.findall(r"\b([a-z_]+)_[lr]\b", text))


def for_dialect(model: dict, dialect: str) -> dict:
    """The model with its SQL written for ``dialect`` (a DuckDB model used on Spark).

    A saved model's comparison SQL is in the dialect it was trained on (DuckDB quotes
    names with "", Spark with ``, and their similarity functions differ), so the
    comparisons are rebuilt from ``models.comparisons`` for the target dialect, with the
    levels the saved model has (they depend on the columns it was trained on), and the
    trained parameters copied across, level by level.
    """
    source = model.get("sql_dialect")
    if source in (None, dialect):
        return model
    from splink import SettingsCreator

    from models.comparisons import by_name  # here: comparisons import Splink's libraries

    fields, present = by_name(), model_columns(model)
    comparisons = []
    for comparison in model["comparisons"]:
        field = fields.get(comparison["output_column_name"])
        labels = [lv.get("label_for_charts") for lv in comparison["comparison_levels"]]
        built = field.build(present, only=labels) if field else None
        if built is None or labels != [
            lv.get("label_for_charts")
            for lv in built.get_comparison(dialect).as_dict()["comparison_levels"]
        ]:
            raise ConfigError(
                f"the model was trained on {source} and its comparison "
                f"'{comparison['output_column_name']}' is not one of nser-linkage's, so it "
                f"cannot be moved to {dialect}. Train the model on {dialect}."
            )
        comparisons.append(built)
    rebuilt = SettingsCreator(
        link_type=model["link_type"],
        unique_id_column_name="record_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=model["blocking_rules_to_generate_predictions"],
    ).create_settings_dict(dialect)
    for old_c, new_c in zip(model["comparisons"], rebuilt["comparisons"], strict=True):
        for old, new in zip(old_c["comparison_levels"], new_c["comparison_levels"], strict=True):
            new.update({k: old[k] for k in _TRAINED_KEYS if k in old})
    rebuilt["sql_dialect"] = dialect
    for key in (
        "probability_two_random_records_match",
        "additional_columns_to_retain",
        "retain_intermediate_calculation_columns",
        "retain_matching_columns",
        "max_iterations",
    ):
        if key in model:
            rebuilt[key] = model[key]
    return rebuilt
