"""Running out (issue 11, item 9): of memory, of spill space, of a writable disk. Each is
one line saying what ran out and which setting helps, and exit 2, on every job; before,
out-of-memory was about 240 lines of Splink and DuckDB trace.

The memory cases are real: DuckDB given a few megabytes on the session's generated wave.
The full and read-only disks are real too, where the machine lets an unprivileged user
mount a small tmpfs in a namespace of its own (``unshare``); elsewhere they are skipped.
"""

import shutil
import subprocess
import sys

import pytest

from linkage.cli import main


def nser_link(capsys, *args) -> tuple[int, str]:
    """Exit code and everything printed by ``nser-link ARGS``."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    printed = capsys.readouterr()
    return info.value.code, printed.out + printed.err


def one_message(code: int, printed: str, *needles: str) -> None:
    assert code == 2, printed
    assert "Traceback" not in printed and "SplinkException" not in printed, printed
    lines = [line for line in printed.splitlines() if line.strip()]
    # one error line (match-partner prints the mapping it used before it starts)
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], printed
    assert len(lines) <= 2, printed
    for needle in needles:
        assert needle in printed, (needle, printed)


def _config(tmp_path, **backend) -> str:
    path = tmp_path / "job.yaml"
    path.write_text("backend: {" + ", ".join(f"{k}: {v}" for k, v in backend.items()) + "}\n")
    return str(path)


JOBS = {
    "dedupe": lambda data: ["dedupe", data / "wave_2021.csv"],
    "link-waves": lambda data: ["link-waves", data / "wave_2011.csv", data / "wave_2021.csv"],
    "match-partner": lambda data: [
        "match-partner",
        "--registry",
        data / "wave_2021.csv",
        "--partner",
        data / "partner_flood_2022.csv",
    ],
}


@pytest.mark.parametrize("job", JOBS)
def test_out_of_memory_is_one_line_saying_what_to_set(capsys, generated, tmp_path, job):
    code, printed = nser_link(
        capsys, *JOBS[job](generated), "--out", tmp_path / "run", "--memory-limit", "10MB"
    )
    one_message(
        code,
        printed,
        "DuckDB ran out of memory",
        "--memory-limit",
        "backend.memory_limit",
        "blocking.max_comparisons",
    )


def test_a_full_spill_allowance_is_one_line_saying_what_to_set(capsys, generated, tmp_path):
    config = _config(
        tmp_path,
        memory_limit="30MB",
        threads=1,
        max_temp_directory_size="1MB",
        temp_directory=tmp_path / "spill",
    )
    code, printed = nser_link(
        capsys, "dedupe", generated / "wave_2021.csv", "--out", tmp_path / "run", "--config", config
    )
    one_message(
        code,
        printed,
        "DuckDB ran out of room to spill to disk",
        "backend.temp_directory",
        "backend.max_temp_directory_size",
        "blocking.max_comparisons",
    )


# --- real full and read-only disks, in a mount namespace -----------------------------------


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="cannot mount a tmpfs (unshare -rm)")


def nser_link_on(mount: str, options: str, *args) -> subprocess.CompletedProcess:
    """``nser-link ARGS`` in a process that sees a fresh tmpfs at ``mount``."""
    script = f'mount -t tmpfs -o {options} tmpfs "{mount}" && exec "$@"'
    return subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            "-m",
            "linkage.cli",
            *map(str, args),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_mount
def test_a_full_spill_disk_is_one_line_saying_what_to_set(generated, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    config = _config(tmp_path, memory_limit="30MB", threads=1, temp_directory=spill)
    proc = nser_link_on(
        spill,
        "size=1m",
        "dedupe",
        generated / "wave_2021.csv",
        "--out",
        tmp_path / "run",
        "--config",
        config,
    )
    one_message(proc.returncode, proc.stdout + proc.stderr, "spill", "backend.temp_directory")


@needs_mount
def test_validate_partner_on_a_read_only_disk_is_one_message(generated, tmp_path):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    proc = nser_link_on(
        readonly,
        "ro",
        "validate-partner",
        generated / "partner_flood_2022.csv",
        "--out",
        readonly / "report.csv",
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        f"{readonly / 'report.csv'}: cannot write the report here (Read-only file system)"
        in proc.stderr
    )


# --- other files that cannot be written ---------------------------------------------------


def test_a_review_sample_that_cannot_be_written_is_one_message(capsys, run, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, printed = nser_link(
        capsys, "review", "sample", run[1], "--out", blocker / "sample.csv", "--n", "5"
    )
    one_message(code, printed, str(blocker))


def test_a_report_onto_a_folder_is_one_message(capsys, run, tmp_path):
    code, printed = nser_link(capsys, "report", run[1], "--out", tmp_path)
    one_message(code, printed, f"{tmp_path}: Is a directory")
