"""Reading and writing at the edges, with real files in tmp_path."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import linkage.intake.io as lio
from linkage.contract import RUN_MARKER
from linkage.errors import ConfigError, InputError
from linkage.intake.io import read_raw, read_table, write_outputs
from linkage.intake.mapping import ColumnMapping, guess_mapping
from linkage.outputs import marker_text

CNIC = "3520212345671"
CNIC_DASHED = "35202-1234567-1"


def write_bytes(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def write_csv(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    return write_bytes(tmp_path, name, text.encode(encoding))


def assert_no_cnic(message: str) -> None:
    assert CNIC not in message and CNIC_DASHED not in message
    assert not re.search(r"\d{5}-?\d{7}-?\d", message), message


REGISTRY = (
    "record_id,household_id,full_name,cnic,date_of_birth\n"
    f"r1,007,Muhammad Ali,{CNIC_DASHED},1987\n"
    "r2,007,,0123456789012,\n"
)


# --- reading: encodings ----------------------------------------------------------------


def test_utf8_keeps_text_and_leading_zeros(tmp_path):
    df = read_table(write_csv(tmp_path, "wave_2011.csv", REGISTRY))
    assert df["household_id"].tolist() == ["007", "007"]
    assert df["cnic"].tolist() == [CNIC_DASHED, "0123456789012"]
    assert df["date_of_birth"].tolist() == ["1987", None]  # empty -> None, not NaN or ""
    assert df["full_name"].tolist() == ["Muhammad Ali", None]
    assert df["input_row"].tolist() == [1, 2]
    assert df["source"].tolist() == ["wave_2011", "wave_2011"]  # from the file name


def test_utf8_with_bom_crlf_and_urdu(tmp_path):
    # What Excel's "CSV UTF-8" writes: a BOM and CRLF line ends.
    text = "record_id,household_id,full_name\r\nr1,h1,محمد علی\r\n"
    path = write_bytes(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    df = read_table(path)
    assert list(df.columns[:3]) == ["input_row", "record_id", "household_id"]
    assert df["full_name"].tolist() == ["محمد علی"]


def test_windows_1252_names_file_and_position(tmp_path):
    text = f"record_id,household_id,full_name,cnic\nr1,h1,Ali,{CNIC}\nr2,h1,José,{CNIC}\n"
    path = write_csv(tmp_path, "partner.csv", text, encoding="cp1252")
    with pytest.raises(InputError) as err:
        read_table(path)
    msg = str(err.value)
    offset = text.encode("cp1252").index(b"\xe9")
    assert msg.startswith(f"{path}:")
    assert f"byte offset {offset} (line 3)" in msg
    assert "UTF-8" in msg and "Re-save" in msg
    assert_no_cnic(msg)


def test_bad_byte_after_the_first_chunk_is_located(tmp_path, monkeypatch):
    monkeypatch.setattr(lio, "_CHUNK", 16)  # force several chunks and a split character
    text = "record_id,household_id\n" + "".join(f"r{i},ہ{i}\n" for i in range(20))
    data = text.encode("utf-8") + b"r99,\xff\n"
    path = write_bytes(tmp_path, "chunks.csv", data)
    with pytest.raises(InputError) as err:
        read_table(path)
    assert f"byte offset {len(data) - 2} (line 22)" in str(err.value)


def test_multibyte_characters_split_across_chunks_are_fine(tmp_path, monkeypatch):
    monkeypatch.setattr(lio, "_CHUNK", 7)
    text = "record_id,household_id,full_name\n" + "".join(f"r{i},h,محمد علی\n" for i in range(5))
    df = read_table(write_csv(tmp_path, "ok.csv", text))
    assert df["full_name"].tolist() == ["محمد علی"] * 5


def test_utf16_with_bom_is_refused_clearly(tmp_path):
    path = write_csv(tmp_path, "u16.csv", REGISTRY, encoding="utf-16")
    with pytest.raises(InputError) as err:
        read_table(path)
    assert "UTF-16" in str(err.value) and str(path) in str(err.value)
    assert_no_cnic(str(err.value))


def test_utf16_without_bom_is_refused_clearly(tmp_path):
    path = write_csv(tmp_path, "u16le.csv", REGISTRY, encoding="utf-16-le")
    with pytest.raises(InputError, match="NUL bytes .*UTF-16"):
        read_table(path)


# --- reading: shape problems -----------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_empty_file(tmp_path, data):
    path = write_bytes(tmp_path, "empty.csv", data)
    with pytest.raises(InputError, match="is empty"):
        read_table(path)


def test_header_only_file(tmp_path):
    path = write_csv(tmp_path, "header.csv", "record_id,household_id\n")
    with pytest.raises(InputError) as err:
        read_table(path)
    assert str(err.value) == f"{path}: has a header but no rows."


@pytest.mark.parametrize("ragged", [False, True])
def test_rows_keep_their_excel_numbers_around_empty_lines(tmp_path, ragged):
    # Without a ragged row the header is dropped in Arrow; with one, the records are put
    # back in place: both number rows as Excel shows them.
    extra = "r9,h9,x,y\n" if ragged else ""
    text = f"\nrecord_id,household_id,full_name\nr1,h1,A\n\n\nr2,h2,B\n{extra}r3,h3,C\n"
    df = read_raw(write_csv(tmp_path, "gaps.csv", text), rows_with_problems="mark")
    rows = dict(zip(df["record_id"], df.index + 2, strict=True))
    assert {k: rows[k] for k in ("r1", "r2", "r3")} == {"r1": 3, "r2": 6, "r3": 8 if ragged else 7}
    assert df["full_name"].tolist()[0] == "A" and df["reason"].tolist()[0] is None


def test_missing_required_column_suggests_a_mapping(tmp_path):
    path = write_csv(tmp_path, "wave.csv", "Record ID,HH ID,name\n1,h,a\n")
    with pytest.raises(InputError) as err:
        read_table(path)
    msg = str(err.value)
    assert "missing required column(s): record_id" in msg
    assert "Columns found: 'Record ID', 'HH ID', 'name'" in msg
    assert "'Record ID' for record_id" in msg
    assert "use a column mapping" in msg
    assert err.value.column == "record_id"


def test_no_file_needs_a_household(tmp_path):
    # A registry without household_id is one household per record (issue 12).
    path = write_csv(tmp_path, "partner.csv", f"record_id,cnic\np1,{CNIC}\n")
    df = read_table(path, kind="partner", source="partner_flood_2022")
    assert df["source"].tolist() == ["partner_flood_2022"]
    assert read_table(path, kind="registry")["record_id"].tolist() == ["p1"]


def test_semicolon_file_gets_a_separator_hint(tmp_path):
    path = write_csv(tmp_path, "semi.csv", "record_id;household_id\n1;2\n")
    with pytest.raises(InputError, match="semicolons"):
        read_table(path)


def test_duplicate_record_ids_mark_every_row_naming_rows_not_ids(tmp_path):
    # Some partners use the CNIC as their id: the reason must not echo it.
    text = f"record_id,cnic\n{CNIC},x\np2,y\n{CNIC},z\np4,w\np2,v\n"
    df = read_table(write_csv(tmp_path, "partner.csv", text), kind="partner")
    assert df["reason"].tolist() == [
        "record_id also on Excel row 4",
        "record_id also on Excel row 6",
        "record_id also on Excel row 2",
        None,
        "record_id also on Excel row 3",
    ]
    for reason in df["reason"].dropna():
        assert_no_cnic(reason)


def test_blank_record_ids_are_not_duplicates(tmp_path):
    # They are rejected row by row in validation, not fatal here.
    df = read_table(write_csv(tmp_path, "p.csv", "record_id,cnic\n,1\n,2\n"), kind="partner")
    assert df["record_id"].tolist() == [None, None]


def test_source_column_is_filled_per_row(tmp_path):
    path = write_csv(tmp_path, "w.csv", "record_id,household_id,source\n1,h,survey_2011\n2,h,\n")
    assert read_table(path)["source"].tolist() == ["survey_2011", "w"]
    assert read_table(path, source="dyn")["source"].tolist() == ["survey_2011", "dyn"]
    m = ColumnMapping(source="from_mapping")
    assert read_table(path, mapping=m, source="dyn")["source"].tolist() == [
        "survey_2011",
        "from_mapping",
    ]


def test_ragged_rows_are_marked_not_fatal(tmp_path):
    path = write_csv(tmp_path, "r.csv", "record_id,household_id\n1,h\n2,h,Lahore, Punjab\n3\n")
    df = read_table(path)
    assert df["input_row"].tolist() == [1, 2, 3]
    assert df["reason"].tolist() == [
        None,
        "has 4 fields, the header has 2",
        "has 1 fields, the header has 2",
    ]
    assert df["household_id"].tolist() == ["h", "h", None]


def test_ragged_row_stops_a_plain_read_naming_the_excel_row(tmp_path):
    path = write_csv(tmp_path, "r.csv", "record_id,household_id\n1,h\n2,h,Lahore, Punjab\n")
    with pytest.raises(InputError) as err:
        read_raw(path)
    assert "row 3 has 4 fields, the header has 2" in str(err.value)
    assert "Excel" in str(err.value)


def test_duplicate_header_names(tmp_path):
    path = write_csv(tmp_path, "d.csv", "record_id,household_id,cnic, cnic\n1,h,2,3\n")
    with pytest.raises(InputError, match="duplicate column names: 'cnic'"):
        read_table(path)


def test_reserved_columns_are_refused(tmp_path):
    path = write_csv(tmp_path, "rej.csv", "input_row,record_id,household_id,reason\n1,a,h,x\n")
    with pytest.raises(InputError, match="'input_row', 'reason'.*engine adds itself"):
        read_table(path)


def test_missing_file_folder_and_extension(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_table(tmp_path)
    with pytest.raises(InputError, match="extension '.xls'"):
        read_table(write_bytes(tmp_path, "a.xls", b"x"))


def test_mapping_from_a_guess_end_to_end(tmp_path):
    text = (
        "Sr No,NAME,Father/Husband Name,CNIC No.,DOB,District\n"
        f"1,Ayesha Bibi,Muhammad Aslam,{CNIC_DASHED},12/03/1990,Lahore\n"
        "2,Bilal,Aslam,,1985,Kasur\n"
    )
    path = write_csv(tmp_path, "partner_flood.csv", text)
    mapping = guess_mapping(list(pd.read_csv(path, nrows=0).columns))
    mapping = mapping.model_copy(update={"date_format": "%d/%m/%Y"})
    df = read_table(path, mapping=mapping, kind="partner")
    assert df["record_id"].tolist() == ["1", "2"]
    assert df["guardian_name"].tolist() == ["Muhammad Aslam", "Aslam"]
    assert df["date_of_birth"].tolist() == ["1990-03-12", "1985"]
    assert df["source"].tolist() == ["partner_flood"] * 2


# --- reading: parquet ------------------------------------------------------------------


def test_parquet_is_read_as_text(tmp_path):
    table = pa.table(
        {
            "record_id": ["a", "b", "c"],
            "household_id": ["007", "007", None],
            "household_size": pa.array([5, None, 12], pa.int64()),
            "pmt_score": [12.5, 3.0, None],
            "dob": pa.array([pd.Timestamp("1987-01-02")] * 3, pa.timestamp("ns")),
            "when": pa.array([pd.Timestamp("2020-01-01 10:30")] * 3, pa.timestamp("us")),
        }
    )
    path = tmp_path / "wave.parquet"
    pq.write_table(table, path)
    df = read_raw(path)
    assert df["household_id"].tolist() == ["007", "007", None]
    assert df["household_size"].tolist() == ["5", None, "12"]
    assert df["pmt_score"].tolist() == ["12.5", "3", None]
    assert df["dob"].tolist() == ["1987-01-02"] * 3
    assert df["when"].iloc[0].startswith("2020-01-01 10:30")


def test_parquet_without_rows_and_broken_parquet(tmp_path):
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"record_id": pa.array([], pa.string())}), path)
    with pytest.raises(InputError, match="header but no rows"):
        read_table(path)
    broken = write_bytes(tmp_path, "broken.parquet", b"not parquet at all")
    with pytest.raises(InputError, match="cannot be read as Parquet"):
        read_table(broken)


# --- writing ---------------------------------------------------------------------------


def tables():
    clusters = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3"],
            "source": ["s", "s", "s"],
            "cluster_id": ["c1", "c1", "c2"],
            "household_cluster_id": ["h1", "h1", "h1"],
        }
    )
    rejected = pd.DataFrame({"input_row": [4], "record_id": [None], "reason": ["empty record_id"]})
    return {"clusters": clusters, "rejected": rejected}


SUMMARY = {
    "rows_read": np.int64(4),
    "rows_used": 3,
    "threshold": np.float32(0.5),
    "missing": float("nan"),
    "sources": {"b", "a"},
    "arr": np.arange(2),
}


def test_write_parquet_round_trips_with_summary_and_model(tmp_path):
    out = write_outputs(tmp_path / "run", tables(), summary=SUMMARY, model_json='{"m": 1}')
    assert out == tmp_path / "run"
    assert sorted(p.name for p in out.iterdir()) == [
        RUN_MARKER,
        "clusters.parquet",
        "model.json",
        "rejected.parquet",
        "summary.json",
    ]
    assert json.loads((out / RUN_MARKER).read_text())["tool"] == "nser-linkage"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "clusters.parquet"), tables()["clusters"])
    text = (out / "summary.json").read_text()
    assert json.loads(text) == {
        "arr": [0, 1],
        "missing": None,
        "rows_read": 4,
        "rows_used": 3,
        "sources": ["a", "b"],
        "threshold": 0.5,
    }
    assert text.index('"arr"') < text.index('"threshold"')  # sorted keys
    assert '\n  "rows_read": 4' in text  # indent 2
    assert (out / "model.json").read_text() == '{"m": 1}'


def test_write_csv(tmp_path):
    out = write_outputs(tmp_path / "run", tables(), summary={}, fmt="csv")
    assert sorted(p.name for p in out.iterdir()) == [
        RUN_MARKER,
        "clusters.csv",
        "rejected.csv",
        "summary.json",
    ]
    back = pd.read_csv(out / "clusters.csv", dtype=str)
    pd.testing.assert_frame_equal(back, tables()["clusters"])
    assert not (out / "clusters.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_parquet_output_is_deterministic(tmp_path):
    a = write_outputs(tmp_path / "a", tables(), summary={})
    b = write_outputs(tmp_path / "b", tables(), summary={})
    for name in ("clusters.parquet", "rejected.parquet", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_existing_run_folder_is_replaced(tmp_path):
    out = old_run(tmp_path)
    (out / "stale.parquet").write_text("old")
    write_outputs(out, tables(), summary={})
    assert not (out / "stale.parquet").exists()
    assert (out / "clusters.parquet").exists()
    assert os.listdir(tmp_path) == ["run"]  # no temp or old folder left


def old_run(tmp_path):
    """A previous run: its results and the marker that makes it replaceable."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "clusters.parquet").write_text("previous results")
    (out / RUN_MARKER).write_text(marker_text("dedupe"))
    return out


def test_existing_folder_that_is_not_a_run_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an output folder of nser-link"):
        write_outputs(out, tables(), summary={})
    assert os.listdir(out) == ["notes.txt"]
    assert os.listdir(tmp_path) == ["run"]


def test_failure_mid_write_keeps_old_folder_and_leaves_no_temp(tmp_path, monkeypatch):
    out = old_run(tmp_path)
    real_write = lio._write_table
    written = []

    def failing_write(df, path, fmt):
        if written:
            raise RuntimeError("disk unplugged")
        written.append(path)
        real_write(df, path, fmt)

    monkeypatch.setattr(lio, "_write_table", failing_write)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        write_outputs(out, tables(), summary={})
    assert written, "the first table was written before the failure"
    assert os.listdir(tmp_path) == ["run"]
    assert sorted(os.listdir(out)) == [RUN_MARKER, "clusters.parquet"]
    assert (out / "clusters.parquet").read_text() == "previous results"


def test_failure_without_old_folder_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(lio, "summary_json", lambda s: (_ for _ in ()).throw(TypeError("bad")))
    with pytest.raises(TypeError):
        write_outputs(tmp_path / "run", tables(), summary={})
    assert os.listdir(tmp_path) == []


def test_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = old_run(tmp_path)
    real_rename = os.rename

    def rename(src, dst):
        if str(dst) == str(out) and ".tmp-" in str(src):
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(lio.NserLinkError, match="could not write the outputs"):
        write_outputs(out, tables(), summary={})
    assert os.listdir(tmp_path) == ["run"]
    assert (out / "clusters.parquet").read_text() == "previous results"


def test_out_dir_that_is_a_file(tmp_path):
    path = tmp_path / "run"
    path.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        write_outputs(path, tables(), summary={})


def test_table_names_must_be_plain(tmp_path):
    with pytest.raises(ValueError):
        write_outputs(tmp_path / "run", {"../evil": pd.DataFrame()}, summary={})
    assert os.listdir(tmp_path) == []


def test_large_tables_are_written_in_row_groups_with_one_schema(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from linkage.intake import io

    monkeypatch.setattr(io, "ROW_GROUP", 4)
    df = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(10)],
            "late": [None] * 6 + ["a", "b", None, "c"],
            "n": pd.array(range(10), dtype="Int64"),
        }
    )
    io.write_outputs(tmp_path / "out", {"t": df}, summary={})
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert pq.ParquetFile(tmp_path / "out" / "t.parquet").num_row_groups == 3
    pd.testing.assert_frame_equal(back, df, check_dtype=False)


def test_tables_encoded_ahead_are_written_byte_for_byte_as_frames_are(tmp_path, monkeypatch):
    monkeypatch.setattr(lio, "ROW_GROUP", 3)  # several row groups, as a large table has
    frame = pd.DataFrame(
        {"a": pd.array(["x", None, "ü", "d", "e"], dtype="string[pyarrow]"), "n": range(5)}
    )
    write_outputs(tmp_path / "plain", {"t": frame}, summary={"job": "dedupe"})
    ahead = lio.encode_ahead({"t": frame}, "parquet")
    assert isinstance(ahead["t"], lio.EncodedAhead)
    write_outputs(tmp_path / "ahead", ahead, summary={"job": "dedupe"})
    assert (tmp_path / "ahead" / "t.parquet").read_bytes() == (
        tmp_path / "plain" / "t.parquet"
    ).read_bytes()
    assert lio.encode_ahead({"t": frame}, "csv")["t"] is frame  # CSV is written as before


def test_a_table_that_fails_to_encode_ahead_fails_the_write_and_leaves_nothing(tmp_path):
    bad = pd.DataFrame({"a": [object(), object()]})  # nothing Arrow can hold
    ahead = lio.encode_ahead({"t": bad}, "parquet")
    with pytest.raises(pa.ArrowException):
        write_outputs(tmp_path / "out", ahead, summary={"job": "dedupe"})
    assert not (tmp_path / "out").exists()
