"""Splink comparisons for person records, built from the columns a file has.

Why these comparisons (see ``shared/NOTES-baseline.md``): the wrong links generic tools
make on a registry join members of one family, who share guardian, address, phone,
place and family name. So:

* ``name`` compares given and family name *together*, in levels that say which part
  agrees: the same family name with another given name is a sibling, not a spelling
  variant, and a married woman keeps her given name while her family name changes.
  Two comparisons (given, family) would count a shared family name as independent
  evidence on top of the household it already implies;
* the fields that only say *same family* (guardian, place, address, phone) are one
  ``household_context`` comparison: five correlated family-level agreements counted as
  five pieces of evidence would outvote a different given name;
* date of birth, gender and identifiers (CNIC, any other id) have sharp levels.

A comparison is a :class:`Field`: an ordered list of :class:`Level` makers, each of
which knows the columns it reads. ``Field.build(present)`` keeps the levels whose columns
a file has (a file without guardians gets a household context of place, address and
phone; one without households or guardians, such as the FEBRL benchmark, a context of
address and locality), so the model adapts to the file in hand instead of carrying
levels that can never fire. Each level is a Splink level object, so every comparison
runs on every backend Splink supports.

Similarity is edit distance, not Jaro-Winkler: DuckDB's and the Spark jar's
Jaro-Winkler disagree in the second decimal on long names, which would give the two
backends different clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink.internals.comparison_level_creator import ComparisonLevelCreator

Maker = Callable[[frozenset[str]], ComparisonLevelCreator | None]


@dataclass(frozen=True)
class Level:
    """One level of a comparison: its chart label and a maker that returns the Splink
    level for the columns present, or None when it cannot apply."""

    label: str
    make: Maker
    tf: str | None = None  # term-frequency adjustment column

    def build(self, present: frozenset[str]) -> ComparisonLevelCreator | None:
        if self.tf is not None and self.tf not in present:
            return None
        level = self.make(present)
        if level is None:
            return None
        options = {"label_for_charts": self.label}
        if self.tf is not None:
            options["tf_adjustment_column"] = self.tf
        return level.configure(**options)


@dataclass(frozen=True)
class Field:
    """A comparison: ordered levels (strongest first), a null rule and an else level.

    ``columns`` are what the comparison reads; a pair with, for every one of them, a
    null on one side has nothing to compare (the null level, weight 0). ``rare_else``
    fixes the else level's m to the floor given at build time: EM drives the m of a
    strong disagreement (another gender, another CNIC) towards zero, a veto no
    data-entry error deserves.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]
    rare_else: bool = False
    fixed_u: dict[str, float] = field(default_factory=dict)  # label -> u (not sampled)

    def applies(self, present: Collection[str]) -> bool:
        present = frozenset(present)
        return any(level.build(present) is not None for level in self.levels)

    def labels(self, present: Collection[str]) -> list[str]:
        """Labels of the levels this field would build for ``present`` (no null/else)."""
        present = frozenset(present)
        return [lv.label for lv in self.levels if lv.build(present) is not None]

    def build(
        self,
        present: Collection[str],
        *,
        rare_m: float | None = None,
        only: Sequence[str] | None = None,
    ) -> cl.CustomComparison:
        """The Splink comparison for the columns ``present``; ``only`` keeps exactly the
        levels with those labels (rebuilding a saved model for another dialect)."""
        present = frozenset(present)
        built = []
        for level in self.levels:
            if only is not None and level.label not in only:
                continue
            made = level.build(present)
            if made is None:
                continue
            if level.label in self.fixed_u:
                made.configure(u_probability=self.fixed_u[level.label], fix_u_probability=True)
            built.append(made)
        cols = [c for c in self.columns if c in present]
        unknown = " AND ".join(f"({c}_l IS NULL OR {c}_r IS NULL)" for c in cols)
        null = cll.CustomLevel(unknown, label_for_charts="Nothing to compare").configure(
            is_null_level=True
        )
        other = cll.ElseLevel()
        if self.rare_else and rare_m is not None:
            other.configure(m_probability=rare_m, fix_m_probability=True)
        return cl.CustomComparison(
            output_column_name=self.name,
            comparison_levels=[null, *built, other],
            comparison_description=self.description,
        )

    def with_fixed_u(self, fixed: dict[str, float]) -> Field:
        return Field(
            self.name,
            self.description,
            self.columns,
            self.levels,
            self.rare_else,
            {**self.fixed_u, **fixed},
        )


# --- level makers -----------------------------------------------------------------------


def _needs(*columns: str) -> Callable[[Callable[[], ComparisonLevelCreator]], Maker]:
    """A maker that applies only when every one of ``columns`` is present."""

    def wrap(make: Callable[[], ComparisonLevelCreator]) -> Maker:
        def maker(present: frozenset[str]) -> ComparisonLevelCreator | None:
            return make() if set(columns) <= present else None

        return maker

    return wrap


def _sql(condition: str) -> ComparisonLevelCreator:
    return cll.CustomLevel(condition, base_dialect_str="duckdb")


def typo(column: str) -> ComparisonLevelCreator:
    """Two spellings a typo apart: one edit, or two in words of six letters or more.

    Written so the engine computes one edit distance, and none for lengths that differ
    by more than two (the distance is at least the difference): scoring evaluates this
    for millions of pairs, several times per pair.
    """
    return _sql(_typo_sql(f"{column}_l", f"{column}_r"))


def _typo_sql(a: str, b: str) -> str:
    """``typo``'s condition on two SQL expressions."""
    return (
        f"abs(length({a}) - length({b})) <= 2 AND levenshtein({a}, {b}) <= "
        f"CASE WHEN length({a}) >= 6 AND length({b}) >= 6 THEN 2 ELSE 1 END"
    )


def _begins_sql(column: str) -> str:
    """One value (four letters at least) begins the other: "Abdul" for "Abdul Rehman", a
    name cut short on a form, or a given name run together with the next word."""
    a, b = f"{column}_l", f"{column}_r"
    return (
        f"(length({a}) >= 4 AND substr({b}, 1, length({a})) = {a}) OR "
        f"(length({b}) >= 4 AND substr({a}, 1, length({b})) = {b})"
    )


def one_edit_identifier(column: str) -> ComparisonLevelCreator:
    """One character off, or two adjacent characters transposed (Damerau-Levenshtein 1).

    For identifiers of 13 characters or more, one edit leaves either the first seven or
    the last five characters as they were, which two string comparisons check before
    the dear distance is computed for the few pairs left (shorter values get the
    distance directly); the level is exactly ``damerau_levenshtein <= 1``.
    """
    a, b = f"{column}_l", f"{column}_r"
    return _sql(
        f"(least(length({a}), length({b})) < 13 OR left({a}, 7) = left({b}, 7) OR "
        f"right({a}, 5) = right({b}, 5)) AND damerau_levenshtein({a}, {b}) <= 1"
    )


def _alike(column: str, key: str) -> ComparisonLevelCreator:
    """Same phonetic key (a transliteration variant) or a typo apart."""
    return cll.Or(cll.ExactMatchLevel(key), typo(column))


def _tokens(side: str, column: str) -> str:
    return f"str_split({column}_{side}, ' ')"


# --- identifiers ------------------------------------------------------------------------


def cnic() -> Field:
    """CNIC: exact / one digit off or two transposed / different.

    Its u is counted, not sampled (``models.training.identifier_u``), and fixed with
    ``Field.with_fixed_u``: random samples never meet two records sharing a CNIC.
    """
    return Field(
        "cnic",
        "CNIC (13 digits, standardised)",
        ("person_cnic",),
        (
            Level(
                "Exact match on person_cnic",
                _needs("person_cnic")(lambda: cll.ExactMatchLevel("person_cnic")),
            ),
            Level(
                "One digit off or two digits transposed",
                _needs("person_cnic")(lambda: one_edit_identifier("person_cnic")),
            ),
        ),
        rare_else=True,
    )


def other_id() -> Field:
    """Another identifier (a programme or social-security number): exact or not."""
    return Field(
        "other_id",
        "Other identifier (person_id_other)",
        ("id_other_std",),
        (
            Level(
                "Exact match on id_other_std",
                _needs("id_other_std")(lambda: cll.ExactMatchLevel("id_other_std")),
            ),
        ),
        rare_else=True,
    )


# --- names ------------------------------------------------------------------------------


def name() -> Field:
    """Given and family name together: which part agrees, and how closely.

    ``given_name`` is the first given name after Muhammad-style prefixes, ``family_name``
    the last core token (or the surname column); keys are phonetic, so a transliteration
    variant agrees as a "key" and an unseen typo as an edit. A given name found among the
    other record's tokens is a changed word order ("Mazhar Muhammad Aqeel").
    """
    given_same = lambda: cll.ExactMatchLevel("given_name")  # noqa: E731
    family_same = lambda: cll.ExactMatchLevel("family_name")  # noqa: E731
    given_alike = lambda: _alike("given_name", "given_name_key")  # noqa: E731
    family_alike = lambda: _alike("family_name", "family_name_key")  # noqa: E731
    family_missing = lambda: _sql("family_name_l IS NULL OR family_name_r IS NULL")  # noqa: E731
    given_missing = lambda: _sql("given_name_l IS NULL OR given_name_r IS NULL")  # noqa: E731
    swapped = (
        f"list_contains({_tokens('r', 'name_tokens_key')}, given_name_key_l) OR "
        f"list_contains({_tokens('l', 'name_tokens_key')}, given_name_key_r)"
    )
    g, f = "given_name", "family_name"
    gk, fk, tk = "given_name_key", "family_name_key", "name_tokens_key"
    compact = "name_compact"
    begins = _begins_sql("given_name")
    return Field(
        "name",
        "Name: given and family name",
        (g, f),
        (
            Level(
                "Same name tokens in any order", _needs(tk)(lambda: cll.ExactMatchLevel(tk)), tf=tk
            ),
            Level(
                "Same given and family name",
                _needs(g, f)(lambda: cll.And(given_same(), family_same())),
                tf=g,
            ),
            Level(
                "Given and family name alike",
                _needs(g, f, gk, fk)(lambda: cll.And(given_alike(), family_alike())),
            ),
            Level(
                "Same name, spaces ignored",
                _needs(compact)(lambda: cll.Or(cll.ExactMatchLevel(compact), typo(compact))),
            ),
            Level(
                "Same letters, words in another order",
                _needs("name_letters")(lambda: cll.ExactMatchLevel("name_letters")),
            ),
            Level(
                "Same given name, a family name missing",
                _needs(g, f)(lambda: cll.And(given_same(), family_missing())),
                tf=g,
            ),
            Level(
                "Given name alike, a family name missing",
                _needs(g, f, gk)(lambda: cll.And(given_alike(), family_missing())),
            ),
            Level("Same given name, another family name", _needs(g)(given_same), tf=g),
            Level("Given name alike, another family name", _needs(g, gk)(given_alike)),
            Level("Given name elsewhere in the other name", _needs(gk, tk)(lambda: _sql(swapped))),
            Level("One given name begins the other", _needs(g)(lambda: _sql(begins))),
            Level(
                "Family name alike, a given name missing",
                _needs(g, f, fk)(lambda: cll.And(family_alike(), given_missing())),
            ),
            Level("Family name alike, another given name", _needs(f, fk)(family_alike)),
        ),
    )


# --- date of birth and gender -------------------------------------------------------------


def date_of_birth() -> Field:
    """Date of birth compared by its precision.

    A year-only or 1 January date agrees with any date of that year, but says less
    than an exact day. Two exact dates that differ only by a typo (the year mistyped,
    day and month swapped) are their own levels: siblings almost never share a day and
    month. A birth year several years off rules a pair out (siblings, parents).
    """
    both_exact = "dob_precision_l = 'day' AND dob_precision_r = 'day'"
    imprecise = "(dob_precision_l <> 'day' OR dob_precision_r <> 'day')"
    sql_levels = [
        (f"{both_exact} AND dob_l = dob_r", "Same day"),
        (f"dob_year_l = dob_year_r AND {imprecise}", "Same year, one side year-only or 1 January"),
        (
            f"{both_exact} AND dob_year_l = dob_year_r AND month(dob_l) = day(dob_r) "
            "AND day(dob_l) = month(dob_r)",
            "Day and month swapped",
        ),
        (
            f"{both_exact} AND month(dob_l) = month(dob_r) AND day(dob_l) = day(dob_r) "
            "AND abs(dob_year_l - dob_year_r) <= 10",
            "Same day and month, year mistyped",
        ),
        ("dob_year_l = dob_year_r", "Same year, different day"),
    ]
    dated = ("dob", "dob_year", "dob_precision")
    levels = [Level(label, _needs(*dated)(lambda sql=sql: _sql(sql))) for sql, label in sql_levels]
    levels += [
        Level(
            "Birth year one apart",
            _needs("dob_year")(lambda: cll.AbsoluteDifferenceLevel("dob_year", 1)),
        ),
        Level(
            "Birth year two or three apart",
            _needs("dob_year")(lambda: cll.AbsoluteDifferenceLevel("dob_year", 3)),
        ),
    ]
    return Field("date_of_birth", "Date of birth by precision", ("dob_year",), tuple(levels))


def gender() -> Field:
    return Field(
        "gender",
        "Gender (stated, else from the CNIC)",
        ("gender_std",),
        (
            Level(
                "Exact match on gender_std",
                _needs("gender_std")(lambda: cll.ExactMatchLevel("gender_std")),
            ),
        ),
        rare_else=True,
    )


# --- household context ------------------------------------------------------------------

_CONTEXT = (
    "guardian_std",
    "district_std",
    "tehsil_std",
    "postcode_std",
    "address_tokens",
    "phone_std",
    "relation_std",
)
# (district_confidence is read, never compared on its own: it is not part of the null rule)


def _any(*makers: Callable[[], ComparisonLevelCreator]) -> ComparisonLevelCreator:
    return makers[0]() if len(makers) == 1 else cll.Or(*(m() for m in makers))


def _all(*makers: Callable[[], ComparisonLevelCreator]) -> ComparisonLevelCreator:
    return makers[0]() if len(makers) == 1 else cll.And(*(m() for m in makers))


def _guardian() -> ComparisonLevelCreator:
    # The whole guardian name: namesakes' fathers often share a first name (Yousuf
    # Rajput, Yousuf Abbasi). Sorted phonetic tokens make "Randhawa Muhammad Ali" and
    # "Muhammad Ali Randhawa", or "Zarar Anas" and "Mohammad Zarar Anas", one guardian.
    # A typo in the whole name counts only when the guardians' given names agree:
    # "Baqir Rajput" and "Basim Rajput" are two edits apart and two fathers. The typo
    # is counted on ``guardian_compact``: spaces ignored ("Salmanawan" and "Salman
    # Awan", "Abdool Aziz" and "Abdulaziz" are one name) and no leading title ("Muhammad
    # Ghazanfar Abdul Wasit" and "Ghazanfar Abdul Basit" are one typo apart, not nine
    # letters); or one begins the other: the guardian in full on one form, his given
    # name alone or a title moved to the end on the other ("Saqib", "Saqib Chaudhry").
    compact = (
        f"{_typo_sql('guardian_compact_l', 'guardian_compact_r')} OR "
        f"{_begins_sql('guardian_compact')}"
    )
    return cll.Or(
        cll.ExactMatchLevel("guardian_tokens_key"),
        cll.And(
            cll.Or(
                cll.ExactMatchLevel("guardian_key"),
                cll.LevenshteinLevel("guardian_given", 1),
                _sql(_begins_sql("guardian_given")),
            ),  # "salmanawan" begins "salman"
            _sql(compact),
        ),
    )


def _address(signed: bool) -> ComparisonLevelCreator:
    """Half of the shorter address's distinctive tokens shared (at least two).

    With ``signed`` (``address_signature`` present), pairs whose signatures share no bit
    share no token and are ruled out before any address is split.
    """
    tokens_l, tokens_r = _tokens("l", "address_tokens"), _tokens("r", "address_tokens")
    shared = f"array_length(array_intersect({tokens_l}, {tokens_r}))"
    some = "(address_signature_l & address_signature_r) <> 0 AND " if signed else ""
    return _sql(
        f"address_tokens_l = address_tokens_r OR ({some}{shared} >= 2 AND {shared} * 2 >= "
        f"least(array_length({tokens_l}), array_length({tokens_r})))"
    )


def _locality_makers(present: frozenset[str]) -> list[Callable[[], ComparisonLevelCreator]]:
    """Same tehsil (where the districts do not differ: a district that could not be
    resolved is no contradiction) or same postcode."""
    makers = []
    if "tehsil_std" in present:
        if {"district_std", "district_confidence"} <= present:
            makers.append(
                lambda: _sql(
                    "tehsil_std_l = tehsil_std_r AND (district_std_l = district_std_r OR "
                    "coalesce(district_confidence_l, 0) = 0 OR "
                    "coalesce(district_confidence_r, 0) = 0)"
                )
            )
        elif "district_std" in present:
            makers.append(
                lambda: _sql(
                    "tehsil_std_l = tehsil_std_r AND (district_std_l = district_std_r OR "
                    "district_std_l IS NULL OR district_std_r IS NULL)"
                )
            )
        else:
            makers.append(lambda: cll.ExactMatchLevel("tehsil_std"))
    if "postcode_std" in present:
        makers.append(lambda: cll.ExactMatchLevel("postcode_std"))
    return makers


def _married_between() -> ComparisonLevelCreator:
    """A daughter in one record, a wife or daughter-in-law in the other: the woman who
    married between two waves (or is still listed on her parents' roster), whose
    guardian, family name and often district all changed with the marriage."""
    wife = "('spouse', 'daughter-in-law')"
    return _sql(
        f"(relation_std_l = 'daughter' AND relation_std_r IN {wife}) OR "
        f"(relation_std_r = 'daughter' AND relation_std_l IN {wife})"
    )


def _near_makers(present: frozenset[str]) -> list[Callable[[], ComparisonLevelCreator]]:
    """Same address or same phone."""
    makers = []  # the phone first: an equality costs less than comparing addresses
    if "phone_std" in present:
        makers.append(lambda: cll.ExactMatchLevel("phone_std"))
    if "address_tokens" in present:
        signed = "address_signature" in present
        makers.append(lambda: _address(signed))
    return makers


def _part(part: str, present: frozenset[str]) -> Callable[[], ComparisonLevelCreator] | None:
    """One named part of a household-context level, or None when no column feeds it."""
    if part == "guardian":
        return _guardian if {"guardian_tokens_key", "guardian_compact"} <= present else None
    if part == "place":
        return (lambda: cll.ExactMatchLevel("district_std")) if "district_std" in present else None
    if part == "married":
        return _married_between if "relation_std" in present else None
    if part == "place_unknown":
        if "district_std" not in present:
            return None
        unknown = "district_std_l IS NULL OR district_std_r IS NULL"
        if "district_confidence" in present:
            unknown += (
                " OR coalesce(district_confidence_l, 0) = 0 OR "
                "coalesce(district_confidence_r, 0) = 0"
            )
        return lambda: _sql(unknown)
    if part in ("no_guardian", "other_guardian"):
        # Levels below the guardian levels: their guardians do not agree. Both known and
        # different is evidence of two families; one missing is no evidence either way.
        if "guardian_std" not in present:
            return (lambda: _sql("1 = 1")) if part == "no_guardian" else None
        known = "guardian_std_l IS NOT NULL AND guardian_std_r IS NOT NULL"
        return (
            (lambda: _sql(known)) if part == "other_guardian" else (lambda: _sql(f"NOT ({known})"))
        )
    found = _locality_makers(present) if part == "locality" else _near_makers(present)
    return (lambda: _any(*found)) if found else None


#: Relative cost of evaluating each part of a household-context level.
_COST = {
    "place": 0,
    "locality": 1,
    "no_guardian": 1,
    "other_guardian": 1,
    "married": 1,
    "guardian": 2,
    "near": 3,
}


def _context_level(label: str, *parts: str) -> Level:
    """A level that is the AND of named parts, each built from the present columns:
    ``guardian``, ``place`` (district), ``locality`` (tehsil or postcode), ``near``
    (address or phone), ``married``, ``no_guardian`` / ``other_guardian`` (a guardian
    missing on a side / both known and not agreeing)."""

    def maker(present: frozenset[str]) -> ComparisonLevelCreator | None:
        # Cheap equalities first: the engine skips the rest of an AND for the rows an
        # earlier part already rules out, and comparing addresses costs the most.
        ordered = sorted(parts, key=lambda part: _COST.get(part, 1))
        pieces = [_part(part, present) for part in ordered]
        return None if None in pieces else _all(*pieces)

    return Level(label, maker)


def household_context() -> Field:
    """Guardian, place, address and phone as one piece of evidence.

    Siblings share all of these; a person's duplicate registration shares them too.
    Kept as a single comparison so that the family of a person does not look like the
    person through several correlated agreements (see the module docstring). A woman
    who married between the records changes guardian and often district: her own levels
    keep that from reading as a different family.
    """
    return Field(
        "household_context",
        "Household context: guardian, place, address, phone",
        _CONTEXT,
        (
            _context_level("Guardian, district and address or phone", "guardian", "place", "near"),
            _context_level("Guardian and district", "guardian", "place"),
            _context_level("Guardian only (moved district?)", "guardian"),
            _context_level("Address or phone, same locality", "near", "locality", "no_guardian"),
            _context_level("District and address or phone", "place", "near", "no_guardian"),
            _context_level(
                "Address or phone, same locality, another guardian",
                "near",
                "locality",
                "other_guardian",
            ),
            _context_level("Address or phone only", "near"),
            _context_level("Married between the records, same district", "married", "place"),
            _context_level("Married between the records (daughter, then wife)", "married"),
            _context_level("Same locality only", "locality"),
            _context_level("Same district only", "place"),
            # Below every agreeing level: nothing agrees, but the districts cannot be
            # compared (one missing, or written past recognition: "MZF" fits two
            # districts). Otherwise such a pair would count as two known places.
            _context_level("Nothing agrees, a district unknown or unresolved", "place_unknown"),
        ),
    )


# --- the library ---------------------------------------------------------------------------


def library() -> tuple[Field, ...]:
    """Every comparison the person model may use, in the order charts show them."""
    return (cnic(), other_id(), name(), date_of_birth(), gender(), household_context())


def by_name() -> dict[str, Field]:
    return {f.name: f for f in library()}


def person_comparisons(
    present: Collection[str],
    *,
    cnic_u: tuple[float, float] | None = None,
    rare_m: float | None = None,
    other_id_u: float | None = None,
    names: Collection[str] | None = None,
) -> list[cl.CustomComparison]:
    """The comparisons of the person model for the columns ``present`` (only those in
    ``names`` when given).

    ``cnic_u``/``other_id_u`` fix identifiers' u (counted, see
    ``models.training.identifier_u``); ``rare_m`` fixes the m of the strongest
    disagreements (``Field.rare_else``).
    """
    out = []
    for f in library():
        if not f.applies(present) or (names is not None and f.name not in names):
            continue
        if f.name == "cnic" and cnic_u is not None:
            f = f.with_fixed_u(
                {
                    "Exact match on person_cnic": cnic_u[0],
                    "One digit off or two digits transposed": cnic_u[1],
                }
            )
        if f.name == "other_id" and other_id_u is not None:
            f = f.with_fixed_u({"Exact match on id_other_std": other_id_u})
        out.append(f.build(present, rare_m=rare_m))
    return out
