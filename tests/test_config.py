import pytest

from linkage.config import AUTO_THRESHOLDS, DedupeConfig, load_config
from linkage.errors import ConfigError


def test_defaults_without_a_file():
    cfg = load_config(None)
    assert isinstance(cfg, DedupeConfig)
    # the job chooses the threshold from the file (linkage.config.AUTO_THRESHOLDS)
    assert cfg.clustering.threshold is None
    assert 0 < cfg.clustering.pairs_threshold <= min(AUTO_THRESHOLDS) < 1


def test_yaml_overrides_a_nested_setting(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("clustering:\n  threshold: 0.9\ntraining:\n  seed: 7\n")
    cfg = load_config(path)
    assert cfg.clustering.threshold == 0.9
    assert cfg.training.seed == 7


@pytest.mark.parametrize(
    "text, needle",
    [
        ("clustering:\n  threshhold: 0.9\n", "clustering.threshhold"),
        ("clustering:\n  threshold: 2\n", "clustering.threshold"),
        ("clustering: [\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
    ],
)
def test_bad_config_names_the_problem(tmp_path, text, needle):
    path = tmp_path / "job.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert needle in str(info.value)
    assert str(path) in str(info.value)
