"""Output safety (issue 11): a job never touches a folder that is not a run, one job at a
time per folder, and a crash leaves nothing behind for long.

User-facing cases go through the real CLI in a subprocess (exit code, one message, no
traceback). Crashes are real: a subprocess kills itself with SIGKILL at the moment under
test, and the next job starts from what it left on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from linkage.contract import RUN_MARKER
from linkage.errors import ConfigError
from linkage.intake.partner_check import REPORT_COLUMNS
from linkage.outputs import marker_text, output_folder

#: What a leftover golden record could hold: must not survive the next job's start.
NAME, CNIC = "Zarghuna Bibi Qalandari", "3520298765432"


def cli(*args, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "linkage.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
    }


def refused(proc, folder) -> str:
    """The one-paragraph refusal: exit 2, no traceback, naming the folder."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(folder) in proc.stderr
    return proc.stderr


@pytest.fixture(scope="module")
def small(generated, first_run, tmp_path_factory):
    """(a 400-row wave, the first run's model): a job that runs in seconds."""
    folder = tmp_path_factory.mktemp("small")
    wave = pd.read_csv(generated / "wave_2021.csv", dtype=str, keep_default_na=False)
    wave.head(400).to_csv(folder / "wave.csv", index=False)
    return folder / "wave.csv", first_run[0] / "model.json"


def user_folder(root: Path, wave: Path) -> Path:
    """A user's data folder: their input, a truth file, notes and a subfolder."""
    data = root / "data"
    (data / "archive").mkdir(parents=True)
    shutil.copy(wave, data / "wave_2021.csv")
    (data / "truth.csv").write_text("record_id,person_id\nr1,p1\n")
    (data / "notes.txt").write_text("field notes: do not lose\n")
    (data / "archive" / "wave_2011.csv").write_text("record_id,household_id\n")
    return data


# --- 1. only empty folders and runs are replaced; never an input's folder --------------


def test_out_holding_the_input_is_refused_and_every_file_survives(small, tmp_path):
    data = user_folder(tmp_path, small[0])
    before = snapshot(data)
    message = refused(
        cli("dedupe", data / "wave_2021.csv", "--out", data, "--model", small[1]), data
    )
    assert "input of this job" in message
    assert snapshot(data) == before
    assert sorted(os.listdir(tmp_path)) == ["data"]  # no temp folder, no lock file left


@pytest.mark.parametrize("job", ["link-waves", "match-partner"])
def test_the_other_jobs_refuse_the_inputs_folder_too(job, small, tmp_path):
    data = user_folder(tmp_path, small[0])
    before = snapshot(data)
    wave = data / "wave_2021.csv"
    if job == "link-waves":
        args = ["link-waves", wave, small[0], "--out", data]
    else:
        args = ["match-partner", "--registry", small[0], "--partner", wave, "--out", data]
    assert "input of this job" in refused(cli(*args), data)
    assert snapshot(data) == before


def test_out_with_unrelated_files_is_refused_naming_a_few_entries(small, tmp_path):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "budget.xlsx").write_text(f"{NAME} {CNIC}")
    (mine / "letter.txt").write_text("private")
    before = snapshot(mine)
    message = refused(cli("dedupe", small[0], "--out", mine, "--model", small[1]), mine)
    assert "not an output folder of nser-link" in message
    assert "3 entries: budget.xlsx, letter.txt, sub/" in message
    assert NAME not in message and CNIC not in message and "private" not in message
    assert snapshot(mine) == before


def test_a_file_as_out_is_refused(small, tmp_path):
    path = tmp_path / "results"
    path.write_text("mine")
    assert "not a folder" in refused(
        cli("dedupe", small[0], "--out", path, "--model", small[1]), path
    )
    assert path.read_text() == "mine"


def test_an_empty_folder_is_used_and_marked_as_a_run(small, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    proc = cli("dedupe", small[0], "--out", out, "--model", small[1])
    assert proc.returncode == 0, proc.stderr
    marker = json.loads((out / RUN_MARKER).read_text())
    assert marker["tool"] == "nser-linkage" and marker["job"] == "dedupe"
    assert set(marker) == {"tool", "version", "job", "created_at"}  # no data in it
    assert (out / "clusters.parquet").exists()
    assert sorted(os.listdir(tmp_path)) == ["empty"]


def test_a_previous_run_is_replaced_whole(first_run, small, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(first_run[0], out)
    (out / "report.html").write_text("<html>old report</html>")
    before = pd.read_parquet(out / "clusters.parquet")
    proc = cli("dedupe", small[0], "--out", out, "--model", small[1])
    assert proc.returncode == 0, proc.stderr
    after = pd.read_parquet(out / "clusters.parquet")
    assert len(after) < len(before)  # the new, smaller run
    assert not (out / "report.html").exists()
    assert json.loads((out / RUN_MARKER).read_text())["job"] == "dedupe"
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_an_input_inside_a_previous_run_is_refused(first_run, small, tmp_path):
    """A run may be replaced, but not while it holds this job's input."""
    out = tmp_path / "run"
    shutil.copytree(first_run[0], out)
    shutil.copy(small[0], out / "wave.csv")
    before = snapshot(out)
    assert "input of this job" in refused(
        cli("dedupe", out / "wave.csv", "--out", out, "--model", small[1]), out
    )
    assert snapshot(out) == before


def test_a_model_inside_out_is_an_input_too(first_run, small, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(first_run[0], out)
    before = snapshot(out)
    with (
        pytest.raises(ConfigError, match="model.json, an input of this job"),
        output_folder(out, job="dedupe", inputs=[small[0], out / "model.json"]),
    ):
        pass
    assert snapshot(out) == before


def test_out_inside_an_input_folder_is_refused(tmp_path):
    """Parquet inputs can be folders: writing inside one would add to the dataset."""
    dataset = tmp_path / "wave.parquet"
    dataset.mkdir()
    with (
        pytest.raises(ConfigError, match="lies inside"),
        output_folder(dataset / "out", job="dedupe", inputs=[dataset]),
    ):
        pass
    assert os.listdir(dataset) == []


# --- 2. crash leftovers -----------------------------------------------------------------

CRASH = textwrap.dedent("""
    import os, signal, sys
    import pandas as pd
    import linkage.intake.io as lio
    from linkage import outputs

    out, moment = sys.argv[1], sys.argv[2]
    die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    if moment == "writing":          # killed after the first table is on disk
        real = lio._write_table
        lio._write_table = lambda df, path, fmt: (real(df, path, fmt), die())
    elif moment == "swap":           # killed between moving the old run aside and renaming
        real_rename = os.rename
        def rename(src, dst):
            if ".tmp-" in str(src):
                die()
            real_rename(src, dst)
        os.rename = rename
    elif moment == "cleanup":        # killed after the swap, before the old run is deleted
        outputs.discard = die
    golden = pd.DataFrame({"full_name": [sys.argv[3]], "cnic": [sys.argv[4]]})
    lio.write_outputs(out, {"golden_records": golden}, summary={"job": "dedupe"})
""")


def crash(out: Path, moment: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(out), moment, NAME, CNIC],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr  # really killed, not a clean failure


def leftovers(parent: Path, kind: str) -> list[Path]:
    return sorted(parent.glob(f".run.{kind}-*"))


def previous_run(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    (out / "clusters.parquet").write_text("previous results")
    (out / RUN_MARKER).write_text(marker_text("dedupe"))
    return out


def test_a_kill_while_writing_leaves_a_temp_folder_the_next_job_removes(small, tmp_path):
    out = previous_run(tmp_path)
    crash(out, "writing")
    [tmp] = leftovers(tmp_path, "tmp")
    assert (tmp / RUN_MARKER).exists() and (tmp / "golden_records.parquet").exists()
    assert (out / "clusters.parquet").read_text() == "previous results"
    # a folder of the same pattern that is not ours (no marker, not empty) is left alone
    foreign = tmp_path / f".run.tmp-{'0' * 32}"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("someone else's")

    proc = cli("dedupe", small[0], "--out", out, "--model", small[1])
    assert proc.returncode == 0, proc.stderr
    assert leftovers(tmp_path, "tmp") == [foreign]
    assert (foreign / "keep.txt").read_text() == "someone else's"
    assert (out / "clusters.parquet").stat().st_size > len("previous results")


def test_a_kill_between_the_renames_is_recovered_by_the_next_start(tmp_path):
    out = previous_run(tmp_path)
    crash(out, "swap")
    assert not out.exists()  # the state the issue describes: only .run.old-* is left
    [old] = leftovers(tmp_path, "old")
    assert (old / "clusters.parquet").read_text() == "previous results"

    with output_folder(out, job="dedupe"):
        assert (out / "clusters.parquet").read_text() == "previous results"
        assert leftovers(tmp_path, "old") == []
        assert leftovers(tmp_path, "tmp") == []  # the unfinished new run, names and all
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_a_kill_after_the_swap_leaves_an_old_run_the_next_start_removes(tmp_path):
    out = previous_run(tmp_path)
    crash(out, "cleanup")
    [old] = leftovers(tmp_path, "old")
    assert pd.read_parquet(out / "golden_records.parquet")["full_name"].tolist() == [NAME]

    with output_folder(out, job="dedupe"):
        assert leftovers(tmp_path, "old") == []
        assert (out / "golden_records.parquet").exists()  # the complete new run stays


# --- 2c. one job per folder ----------------------------------------------------------

HOLD = textwrap.dedent("""
    import sys
    from linkage.outputs import output_folder

    with output_folder(sys.argv[1], job="dedupe"):
        print("locked", flush=True)
        sys.stdin.read()
""")


def hold_lock(out: Path) -> subprocess.Popen:
    """Another process, holding ``out``'s lock until its stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_job_on_a_locked_folder_is_refused_at_once(small, tmp_path):
    out = tmp_path / "run"
    holder = hold_lock(out)
    try:
        message = refused(cli("dedupe", small[0], "--out", out, "--model", small[1]), out)
        assert "another nser-link job" in message
        assert f"pid {holder.pid}" in message
        assert not out.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    proc = cli("dedupe", small[0], "--out", out, "--model", small[1])  # released: runs
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["run"]  # the lock file went with the lock


def test_the_lock_of_a_killed_job_does_not_block(tmp_path):
    out = tmp_path / "run"
    holder = hold_lock(out)
    holder.kill()
    holder.wait(timeout=60)
    assert (tmp_path / ".run.lock").exists()  # left behind by the killed process
    with output_folder(out, job="dedupe"):
        pass
    assert not (tmp_path / ".run.lock").exists()


def test_the_lock_is_held_for_the_whole_job_in_the_same_process_too(tmp_path):
    out = tmp_path / "run"
    with (
        output_folder(out, job="dedupe"),
        pytest.raises(ConfigError, match="another nser-link job"),
        output_folder(out, job="link-waves"),
    ):
        pass
    with output_folder(out, job="link-waves"):  # released at the end of the first
        pass


# --- 3. validate-partner --out ------------------------------------------------------


@pytest.fixture
def partner_list(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "record_id,full_name,cnic,gender\np1,Ali Khan,35202-1234567-1,M\np2,,12,F\n",
        encoding="utf-8",
    )
    return path


def test_validate_partner_refuses_to_overwrite_an_unrelated_file(partner_list, tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("my,own\nfile,here\n")
    message = refused(cli("validate-partner", partner_list, "--out", notes), notes)
    assert "not a report of this command" in message
    assert notes.read_text() == "my,own\nfile,here\n"


def test_validate_partner_replaces_its_own_previous_report(partner_list, tmp_path):
    report = tmp_path / "list.problems.csv"
    old = pd.DataFrame(
        [["9", "old", "cnic", "stale problem", "x", "error"]], columns=list(REPORT_COLUMNS)
    )
    from linkage.intake.partner_check import write_excel_csv

    write_excel_csv(old, report)
    proc = cli("validate-partner", partner_list, "--out", report)
    assert proc.returncode == 0, proc.stderr
    fresh = pd.read_csv(report, dtype=str, encoding="utf-8-sig")
    assert list(fresh.columns) == list(REPORT_COLUMNS)
    assert len(fresh) and "stale problem" not in set(fresh["problem"])
    assert sorted(os.listdir(tmp_path)) == ["list.csv", "list.problems.csv"]  # no temp


def test_validate_partner_on_a_read_only_file_system_is_one_message(
    partner_list, tmp_path, monkeypatch, capsys
):
    """As root (the test machines) chmod does not stop writes, so the read-only file
    system is imitated where the kernel answers: writing fails with EROFS, and so does
    deleting, even a file that was never created."""
    import errno

    from linkage.cli import main

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "write_text", read_only)
    monkeypatch.setattr(Path, "unlink", read_only)
    monkeypatch.setattr(
        sys,
        "argv",
        ["nser-link", "validate-partner", str(partner_list), "--out", str(tmp_path / "report.csv")],
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Read-only file system" in err and "report.csv" in err
    assert "Traceback" not in err


# --- 4. the same rules on Spark ------------------------------------------------------


def _spark():
    pytest.importorskip("pyspark")
    from linkage.config import BackendConfig
    from linkage.engines.spark import java_major_version, spark_session

    if (java_major_version() or 0) < 17:
        pytest.skip("Java 17 is not installed")
    backend = BackendConfig(name="spark", spark_master="local[2]", spark_shuffle_partitions=2)
    return spark_session(backend), backend


@pytest.mark.spark
def test_spark_writer_refuses_a_folder_that_is_not_a_run_and_marks_its_runs(tmp_path):
    from linkage.engines.spark_frames import write_outputs

    spark, _ = _spark()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    table = {"clusters": spark.range(3)}
    with pytest.raises(ConfigError, match="not an output folder of nser-link"):
        write_outputs(spark, str(mine), table, texts={}, fmt="parquet", job="dedupe")
    assert os.listdir(mine) == ["notes.txt"]
    assert sorted(os.listdir(tmp_path)) == ["mine"]

    out = tmp_path / "run"
    write_outputs(spark, str(out), table, texts={"summary.json": "{}"}, fmt="parquet", job="dedupe")
    assert json.loads((out / RUN_MARKER).read_text())["job"] == "dedupe"
    write_outputs(
        spark, f"file://{out}", {"clusters": spark.range(5)}, texts={}, fmt="parquet", job="dedupe"
    )  # a run: replaced, whole
    assert len(pd.read_parquet(out / "clusters.parquet")) == 5
    assert not (out / "summary.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["mine", "run"]


@pytest.mark.spark
def test_spark_jobs_lock_local_folders_and_recover_like_duckdb(tmp_path):
    _, backend = _spark()
    out = previous_run(tmp_path)
    holder = hold_lock(out)
    try:
        with (
            pytest.raises(ConfigError, match="another nser-link job"),
            output_folder(f"file://{out}", job="dedupe", backend=backend),
        ):
            pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    crash(out, "swap")
    assert not out.exists()
    with output_folder(str(out), job="dedupe", backend=backend):
        assert (out / "clusters.parquet").read_text() == "previous results"
    assert sorted(os.listdir(tmp_path)) == ["run"]


@pytest.mark.spark
def test_hadoop_lock_refuses_a_live_holder_and_takes_over_a_dead_ones(tmp_path):
    """The lock used for hdfs:// and s3a:// folders, exercised through Hadoop's local
    file system (the same calls)."""
    from linkage.outputs import HadoopFS, _hadoop_lock

    spark, _ = _spark()
    fs = HadoopFS(spark, str(tmp_path))
    lock = fs.child(fs.path(str(tmp_path)), ".run.lock")
    with (
        _hadoop_lock(fs, lock, "run"),
        pytest.raises(ConfigError, match=f"pid {os.getpid()}"),
        _hadoop_lock(fs, lock, "run"),
    ):
        pass
    assert not fs.exists(lock)

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    import socket

    fs.write_text(
        lock,
        json.dumps(
            {"pid": int(dead), "host": socket.gethostname(), "since": "2020-01-01T00:00:00+00:00"}
        ),
    )
    with _hadoop_lock(fs, lock, "run"):
        assert str(os.getpid()) in fs.read_small(lock)
