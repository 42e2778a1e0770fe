"""``link-waves --previous RUN``: a re-run keeps the person ids and a clerk's rejections."""

from __future__ import annotations

import shutil

import pandas as pd

from linkage.config import LinkWavesConfig
from linkage.pipelines.link_waves import run_link_waves
from linkage.progress import Stages
from linkage.register import keep_decisions
from linkage.run_folder import open_run


def test_rerun_keeps_person_ids_and_rejections(generated, tmp_path):
    waves = [generated / "wave_2011.csv", generated / "wave_2021.csv"]
    run = tmp_path / "run"
    run_link_waves(waves, run, LinkWavesConfig(), stages=Stages(show=False))
    before = open_run(run).clusters.set_index("record_id")["cluster_id"]
    sizes = before.groupby(before).size()
    pair = before[before.isin(sizes.index[sizes == 2])]
    a, b = pair[pair == pair.iloc[0]].index
    keep_decisions(
        run, pd.DataFrame({"record_id_l": [a], "record_id_r": [b], "decision": ["non-match"]})
    )
    shutil.copy(run / "model.json", tmp_path / "model.json")  # an input may not be in --out
    run_link_waves(
        waves,
        run,
        LinkWavesConfig(),
        model_path=tmp_path / "model.json",
        previous=run,
        stages=Stages(show=False),
    )
    after = open_run(run).clusters.set_index("record_id")["cluster_id"]
    assert after[a] != after[b]
    assert (after.loc[before.index] == before).mean() > 0.99
    assert after[a] == before[a] or after[b] == before[b]  # one side keeps the old id
    assert (run / "clerical_decisions.csv").exists()
