"""A job replacing its output folder keeps the run's ``service/`` folder (tokens, the
portal's uploads and audit trail) and the clerk's decisions, and nothing else of the old
run; ``carry_over`` keeps more (``register`` keeps every table it does not rewrite)."""

from __future__ import annotations

import pandas as pd

from linkage.intake.io import write_outputs
from linkage.service.tokens import TokenStore


def test_rewrite_keeps_service_and_decisions_only(tmp_path):
    out = tmp_path / "run"
    write_outputs(
        out,
        {"clusters": pd.DataFrame({"a": [1]}), "old": pd.DataFrame({"b": [2]})},
        summary={"job": "dedupe"},
    )
    token = TokenStore(out).add("desk-1", "desk")
    (out / "service" / "uploads").mkdir()
    (out / "service" / "uploads" / "list.csv").write_text("x\n1\n")
    (out / "clerical_decisions.csv").write_text("record_id_l,record_id_r,decision\n")
    write_outputs(out, {"clusters": pd.DataFrame({"a": [3]})}, summary={"job": "dedupe"})
    assert TokenStore(out).authenticate(token).name == "desk-1"
    assert (out / "service" / "uploads" / "list.csv").read_text() == "x\n1\n"
    assert (out / "clerical_decisions.csv").exists()
    assert not (out / "old.parquet").exists()  # the rest of the old run is replaced
    assert pd.read_parquet(out / "clusters.parquet")["a"].tolist() == [3]
    write_outputs(
        out,
        {"clusters": pd.DataFrame({"a": [4]})},
        summary={"job": "dedupe"},
        carry_over=["clusters.parquet", "nothing-here"],
    )
    assert pd.read_parquet(out / "clusters.parquet")["a"].tolist() == [4]  # new wins
