"""The split of reference spellings between the engine and the generator
(``linkage.reference.holdout``), and the generator's lists kept apart from the engine's.

A generator that writes the variants the engine's tables undo measures the tables; these
tests hold the line: the split is deterministic and stable, the engine keeps every
group's canonical spelling and never loads a held-out one, and nothing the generator
lists or draws is found by the engine's exact lookups.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
import zlib

import pytest

from evaluation import synthetic_vocab, variant_audit
from evaluation.synthetic_vocab import (
    DISTRICT_VARIANTS,
    MUHAMMAD_FORMS,
    PROVINCE_VARIANTS,
    geography,
    name_pools,
)
from linkage import reference
from linkage.reference import holdout
from linkage.reference.holdout import HOLDOUT_PERCENT, is_held_out, spelling_key, split_spellings
from linkage.standardise import gazetteer, place_keys
from linkage.standardise.name_rules import ABBREVIATIONS, latin_tokens
from linkage.standardise.name_variants import (
    _PROTECTED,
    _preferred,
    _single_token,
    canonical_map,
    engine_spellings,
    plainest,
)


def _groups() -> list[set[str]]:
    """Single-token spellings of every reference group, as the engine tokenises them."""
    out = []
    for table in (reference.name_variants_urdu(), reference.name_variants_arabic()):
        for variants in table["latin_variants"]:
            members = {_single_token(v) for v in variants.split("|")} - {None} - _PROTECTED
            if len(members) >= 2:
                out.append(members)
    return out


# --- the split ---------------------------------------------------------------------------


def test_docstring_examples_hold():
    for module in (holdout, synthetic_vocab):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_split_ignores_case_spacing_punctuation_and_accents():
    assert spelling_key("Abdul-Rehman") == spelling_key(" abdul rehman ") == "abdulrehman"
    for a, b in (("Naveed", "NAVEED"), ("Abdul Rehman", "abdul-rehman"), ("Zoë", "zoe")):
        assert is_held_out(a) == is_held_out(b)
    assert not is_held_out("") and not is_held_out(" .-")


def test_split_is_crc32_of_the_key_so_it_is_the_same_in_every_process():
    spellings = sorted({s for g in _groups() for s in g})[:3000]
    here = [is_held_out(s) for s in spellings]
    assert here == [zlib.crc32(spelling_key(s).encode()) % 100 < HOLDOUT_PERCENT for s in spellings]
    code = (
        "import sys; from linkage.reference.holdout import is_held_out; "
        "print(''.join('1' if is_held_out(w) else '0' for w in sys.stdin.read().split()))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=" ".join(spellings),
        text=True,
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )  # unlike hash()
    assert other.stdout.strip() == "".join("1" if h else "0" for h in here)


def test_about_the_stated_share_of_reference_spellings_is_held_out():
    spellings = {s for g in _groups() for s in g}
    share = sum(map(is_held_out, spellings)) / len(spellings)
    assert abs(share - HOLDOUT_PERCENT / 100) < 0.05


def test_split_spellings_keeps_what_it_is_told_and_partitions_the_rest():
    group = ["yousaf", "yusuf", "yousuf", "yusef", "yosef", "yousef", "yusof"]
    engine, held = split_spellings(group, keep=["Yousaf"])
    assert "yousaf" in engine and "yousaf" not in held
    assert sorted(engine + held) == sorted(group)
    assert all(is_held_out(s) for s in held)
    assert not any(is_held_out(s) for s in engine if s != "yousaf")
    assert split_spellings(group, keep=["yousaf"]) == split_spellings(group, keep=["yousaf"])


def test_engine_keeps_every_groups_canonical_spelling():
    known = engine_spellings()
    for group in _groups():
        canonical = plainest(group)
        assert canonical in known, group
        engine, held = split_spellings(sorted(group), keep=[canonical])
        assert canonical in engine and canonical not in held


def test_engine_tables_hold_no_held_out_spelling():
    """Every spelling the canonical map knows is on the engine side of the split: not
    held out, or kept as a group's canonical or curated (pk_names, top forenames)
    spelling, or one of the hand-written abbreviations."""
    pk, top, _ = _preferred()
    canonicals = {plainest(g) for g in _groups()}
    mapping = canonical_map()
    leaked = [
        s
        for s in {*mapping, *mapping.values()}
        if is_held_out(s)
        and s not in canonicals
        and s not in pk | top
        and s not in ABBREVIATIONS
        and s not in ABBREVIATIONS.values()
    ]
    assert leaked == []
    held = {
        s
        for g in _groups()
        for s in g
        if is_held_out(s) and s not in canonicals and s not in pk | top
    }
    assert len(held) > 1000  # the split holds out a real share, not a token few
    assert held.isdisjoint(mapping)


# --- the generator's lists and draws --------------------------------------------------


def _raw_tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def test_attested_variants_the_generator_draws_are_unknown_to_the_engine():
    variants = name_pools().variants
    known = engine_spellings()
    pairs = [(tok, v) for tok, vs in variants.items() if tok != "muhammad" for v in vs]
    assert len(pairs) > 300
    for tok, v in pairs:
        assert is_held_out(v), (tok, v)
        assert not set(latin_tokens(v)) & known, (tok, v)
        assert not {t for t in _raw_tokens(v) if ABBREVIATIONS.get(t, t) != t}, (tok, v)
    collapse = variant_audit.variant_pair_collapse(variants)
    assert collapse["share"] < 0.03  # was 0.77 when drawn from the engine's tables


def test_muhammad_forms_are_not_in_the_engines_lists():
    known = engine_spellings()
    for form in MUHAMMAD_FORMS:
        assert not any(t in ABBREVIATIONS for t in _raw_tokens(form)), form
        assert not set(latin_tokens(form)) & known, form


def _district_alias_keys() -> set[str]:
    keys = {place_keys.place_key(a) for a in gazetteer.all_aliases()}
    return keys | {k.replace(" ", "") for k in keys}


def test_district_misspellings_are_disjoint_from_the_engines_lookups():
    aliases = _district_alias_keys()
    districts = set(geography().district)
    for district, spellings in DISTRICT_VARIANTS.items():
        assert district in districts
        for spelling in spellings:
            key = place_keys.admin_key(spelling)
            assert key not in aliases and key.replace(" ", "") not in aliases, spelling
            # the engine's hand aliases never find it; its own rules may (initials...)
            found = gazetteer.exact_district(spelling)
            assert found is None or found.method != "alias", spelling
    assert variant_audit.district_list_overlap()["alias_keys"] == 0


def test_place_initials_the_generator_writes_are_not_the_engines_aliases():
    import numpy as np

    from evaluation.synthetic_errors import place_abbreviation

    written = 0
    for district in sorted(set(geography().district)):
        for seed in range(8):
            form = place_abbreviation(
                np.array([district], dtype=object), np.random.default_rng(seed), 1.0
            )[0]
            if form != district:
                written += 1
                found = gazetteer.exact_district(form)
                assert found is None or found.method != "alias", (district, form)
    assert written > 500


def test_province_misspellings_are_disjoint_from_the_engines_aliases():
    aliases = {
        place_keys.place_key(a) for p, al in place_keys._PROVINCE_ALIASES.items() for a in (p, *al)
    }
    aliases |= {k.replace(" ", "") for k in aliases}
    for spellings in PROVINCE_VARIANTS.values():
        for spelling in spellings:
            key = place_keys.place_key(spelling)
            assert key not in aliases and key.replace(" ", "") not in aliases, spelling


@pytest.mark.parametrize("word", ["muhammad", "naveed", "ahmad", "fatima", "khan", "zainab"])
def test_urdu_is_written_by_rule_not_copied_from_the_engines_list(word):
    urdu = synthetic_vocab.urdu_spelling(word)
    assert urdu and all("\u0600" <= ch <= "\u06ff" for ch in urdu)
    # the rules, not a lookup: a misspelt Latin word still gets an Urdu spelling
    assert synthetic_vocab.urdu_spelling(word + "x") != urdu
