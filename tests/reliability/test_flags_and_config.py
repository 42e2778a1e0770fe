"""Flags and config files (issue 11, items 5, 9 and 11): every flag is validated as the
setting it stands for, and a config file that cannot be read or holds a bad setting is
one message and exit 2, never a traceback.

Each case runs the real command line in this process (``linkage.cli.main``, with the
error handling a user gets), so a traceback would fail the test as an exception.
"""

import codecs

import pytest

from linkage.cli import main
from linkage.config import DedupeConfig, load_config, override, size_in_bytes
from linkage.engines.duckdb import duckdb_connection
from linkage.errors import ConfigError
from linkage.partner_config import MatchPartnerConfig


def nser_link(capsys, *args) -> tuple[int, str]:
    """Exit code and everything printed by ``nser-link ARGS``."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    printed = capsys.readouterr()
    return info.value.code, printed.out + printed.err


def assert_refused(code: int, printed: str, *needles: str) -> None:
    assert code == 2, printed
    assert "Traceback" not in printed
    for needle in needles:
        assert needle in printed, (needle, printed)


# --- flags --------------------------------------------------------------------------------


@pytest.mark.parametrize("job", ["dedupe", "link-waves"])
@pytest.mark.parametrize("value", ["5", "0", "-1", "1"])
def test_a_threshold_the_config_refuses_is_refused_as_a_flag(
    capsys, generated, tmp_path, job, value
):
    out = tmp_path / "run"
    code, printed = nser_link(
        capsys, job, generated / "wave_2021.csv", "--out", out, f"--threshold={value}"
    )
    assert_refused(code, printed, "--threshold", "clustering.threshold")
    assert not out.exists()  # refused before anything ran


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--match-threshold", "2"], "--match-threshold 2.0 (matching.match_threshold)"),
        (["--review-threshold=-0.5"], "--review-threshold -0.5 (matching.review_threshold)"),
        # below the review threshold of the defaults (0.3): the order the config checks
        (["--match-threshold", "0.2"], "pairs_threshold <= review_threshold <= match_threshold"),
        (["--memory-limit", "lots"], "--memory-limit lots (backend.memory_limit)"),
    ],
)
def test_match_partner_flags_are_checked_as_its_settings(
    capsys, generated, tmp_path, flags, needle
):
    out = tmp_path / "run"
    code, printed = nser_link(
        capsys,
        "match-partner",
        "--registry",
        generated / "wave_2021.csv",
        "--partner",
        generated / "partner_flood_2022.csv",
        "--out",
        out,
        *flags,
    )
    assert_refused(code, printed, needle)
    assert not out.exists()


@pytest.mark.parametrize("job", ["dedupe", "link-waves"])
@pytest.mark.parametrize("value", ["lots", "0GB", "6 XB", "1000"])
def test_a_memory_limit_duckdb_cannot_read_is_refused_as_a_flag(
    capsys, generated, tmp_path, job, value
):
    code, printed = nser_link(
        capsys, job, generated / "wave_2021.csv", "--out", tmp_path / "run", "--memory-limit", value
    )
    assert_refused(code, printed, "--memory-limit", "backend.memory_limit")


def test_flags_keep_the_rest_of_the_config_file(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("training: {seed: 7}\nclustering: {pairs_threshold: 0.6}\n")
    cfg = override(load_config(path), threshold=0.4, memory_limit="500MiB", format="csv")
    assert (cfg.training.seed, cfg.clustering.threshold, cfg.output_format) == (7, 0.4, "csv")
    assert cfg.clustering.pairs_threshold == 0.4  # lowered with the threshold, as before
    assert cfg.backend.memory_limit == "500MiB"
    partner = override(MatchPartnerConfig(), review_threshold=0.1)
    assert (partner.matching.review_threshold, partner.matching.pairs_threshold) == (0.1, 0.1)


def test_override_returns_a_validated_copy_and_leaves_the_original():
    cfg = DedupeConfig()
    with pytest.raises(ConfigError, match="--threshold"):
        override(cfg, threshold=1.5)
    assert cfg.clustering.threshold is None  # left to the job, as before the flag
    assert override(cfg) is cfg


# --- config files -------------------------------------------------------------------------


def _config(tmp_path, content: bytes | str, name: str = "job.yaml"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "content, needle",
    [
        (codecs.BOM_UTF16_LE + "clustering: {threshold: 0.8}\n".encode("utf-16-le"), "UTF-16"),
        (bytes(range(256)) * 4, "not UTF-8 text"),
        (b"clustering:\x00 {threshold: 0.8}\n", "not valid YAML"),
        ("clustering: [0.8\n", "not valid YAML at line 2"),
    ],
)
def test_a_config_file_that_is_not_yaml_text_is_one_message(
    capsys, generated, tmp_path, content, needle
):
    path = _config(tmp_path, content)
    code, printed = nser_link(
        capsys, "dedupe", generated / "wave_2021.csv", "--out", tmp_path / "run", "--config", path
    )
    assert_refused(code, printed, str(path), needle)


def test_a_config_that_is_a_folder_is_one_message(capsys, generated, tmp_path):
    code, printed = nser_link(
        capsys,
        "dedupe",
        generated / "wave_2021.csv",
        "--out",
        tmp_path / "run",
        "--config",
        tmp_path,
    )
    assert_refused(code, printed, str(tmp_path), "is a folder, not a config file")


def test_a_utf8_config_with_a_bom_is_read(tmp_path):
    path = _config(tmp_path, codecs.BOM_UTF8 + b"clustering: {threshold: 0.8}\n")
    assert load_config(path).clustering.threshold == 0.8


@pytest.mark.parametrize(
    "text, needle",
    [
        ("backend: {threads: -3}\n", "backend.threads"),
        ("backend: {threads: 0}\n", "backend.threads"),
        ("backend: {memory_limit: lots}\n", "backend.memory_limit: 'lots' is not a size"),
        ("backend: {memory_limit: 0MB}\n", "backend.memory_limit: '0MB' must be more than zero"),
        ("backend: {max_temp_directory_size: much}\n", "backend.max_temp_directory_size"),
        ("golden: {rules: []}\n", "golden.rules"),
        ("golden: {household_rules: []}\n", "golden.household_rules"),
        ("golden: {field_rules: {phone: []}}\n", "golden.field_rules.phone"),
        ("blocking: {max_comparisons: 0}\n", "blocking.max_comparisons"),
        ("training: {prior_recall: 0}\n", "training.prior_recall"),
    ],
)
def test_a_bad_setting_is_one_message_naming_it(capsys, generated, tmp_path, text, needle):
    path = _config(tmp_path, text)
    code, printed = nser_link(
        capsys, "dedupe", generated / "wave_2021.csv", "--out", tmp_path / "run", "--config", path
    )
    assert_refused(code, printed, str(path), needle)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("6GB", 6 * 10**9),
        ("500MiB", 500 * 2**20),
        ("1.5 GB", 1.5 * 10**9),
        ("512M", 512e6),
        ("2 gigabytes", 2e9),
        ("100KB", 10**5),
    ],
)
def test_sizes_are_read_as_duckdb_reads_them(text, expected):
    assert size_in_bytes(text) == expected
    con = duckdb_connection(DedupeConfig().backend.model_copy(update={"memory_limit": text}))
    duck = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.close()
    value, unit = duck.split()  # such as "5.5 GiB": cut to one decimal
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]
    assert float(value) * scale <= expected < (float(value) + 0.1) * scale


def test_backend_settings_reach_duckdb(tmp_path):
    path = _config(
        tmp_path,
        f"backend: {{threads: 1, memory_limit: 500MiB, temp_directory: "
        f"{tmp_path / 'spill'}, max_temp_directory_size: 2GiB}}\n",
    )
    con = duckdb_connection(load_config(path).backend)
    got = con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit'), "
        "current_setting('temp_directory'), "
        "current_setting('max_temp_directory_size')"
    ).fetchone()
    con.close()
    assert got == (1, "500.0 MiB", str(tmp_path / "spill"), "2.0 GiB")
