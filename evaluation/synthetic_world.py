"""The true world behind the synthetic NSER files: people, households, ten years of change.

The generator first simulates who exists and how they are related (this module), then
writes survey *views* of that world with recording errors (``evaluation.synthetic``).
Keeping the two apart is what makes ground truth exact: every record points back to one
person id here.

People live in one struct-of-arrays table (:class:`People`) indexed by person id, so
kinship is plain integer arrays (``father``, ``mother``, ``spouse``) and whole
populations are processed with numpy indexing instead of per-person Python loops.
Ancestors who never appear in a household (a head's late father, a wife's father) are
"virtual" people with ``hh_2011 == hh_2021 == -1``: they exist so every guardian name
is the name of a real person of the simulation.

The hard cases of real registries come from the world, not from recording errors:
twins (same mother and birth date), younger siblings with names rhyming with an elder
one's, boys named after their grandfather (cousin namesakes in one village), brides
whose guardian, household and district change between the waves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.synthetic_vocab import (
    CHAK_SUFFIX,
    LANDMARKS,
    MOHALLA_NAMES,
    VILLAGE_PREFIX,
    Geography,
    NamePools,
)

REF_2011 = np.datetime64("2011-03-01")
REF_2021 = np.datetime64("2021-03-01")
NEVER = np.datetime64("2200-01-01")
YEAR = 365.25
#: Share of births that are twins (about 1.5% in Pakistan's DHS).
TWIN_SHARE = 0.015
#: Share of boys named after their paternal grandfather, so cousins of one village can
#: share a name, a family name and nearly a birth year.
NAMED_AFTER_GRANDFATHER = 0.15
#: Share of younger siblings given a name rhyming with an elder one's (Shahid, Zahid).
RHYMING_SIBLINGS = 0.12

# Female name styles: how the second part of a woman's name is written.
F_FAMILY, F_BIBI, F_BEGUM, F_KHATOON, F_GIVEN_ONLY, F_SECOND = range(6)
# Male name styles.
M_FAMILY, M_GIVEN_ONLY, M_SECOND, M_FATHER_GIVEN = range(4)
_DATE = "datetime64[D]"
PERSON_FIELDS: dict[str, tuple[object, object]] = {
    # name: (dtype, default)
    "female": (bool, False),
    "birth": (_DATE, NEVER),
    "death": (_DATE, NEVER),
    "given": (object, ""),
    "second": (object, ""),
    "muhammad": (bool, False),
    "style": (np.int8, 0),
    "family": (object, ""),
    "takes_husband_family": (bool, False),
    "father": (np.int64, -1),
    "mother": (np.int64, -1),
    "spouse": (np.int64, -1),
    "marriage": (_DATE, NEVER),
    "birth_district": (np.int64, -1),
    "cnic": (object, ""),
    "cnic_date": (_DATE, NEVER),
    "hh_2011": (np.int64, -1),
    "hh_2021": (np.int64, -1),
    "phone_2011": (object, ""),
    "phone_2021": (object, ""),
}


class People:
    """Struct-of-arrays person table; rows are appended in vectorised blocks.

    Columns live in buffers that grow by doubling, so appending many blocks stays linear.
    ``P[col]`` is a view of the live rows: index it afresh after an ``add`` (a view taken
    before a growth points at the old buffer).
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._n = 0
        self._cols = {k: np.full(capacity, d, dtype=dt) for k, (dt, d) in PERSON_FIELDS.items()}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, key: str) -> np.ndarray:
        return self._cols[key][: self._n]

    def add(self, n: int, **values) -> np.ndarray:
        """Append ``n`` people (unset fields get their default) and return their ids."""
        unknown = set(values) - set(PERSON_FIELDS)
        if unknown:
            raise KeyError(f"unknown person fields: {sorted(unknown)}")
        start, stop = self._n, self._n + n
        if stop > len(self._cols["female"]):
            cap = max(stop, 2 * len(self._cols["female"]))
            for k, (dt, default) in PERSON_FIELDS.items():
                grown = np.full(cap, default, dtype=dt)
                grown[:start] = self._cols[k][:start]
                self._cols[k] = grown
        for k, v in values.items():
            self._cols[k][start:stop] = np.asarray(v, dtype=PERSON_FIELDS[k][0])
        self._n = stop
        return np.arange(start, stop, dtype=np.int64)


def take(arr: np.ndarray, idx: np.ndarray, fill) -> np.ndarray:
    """``arr[idx]`` with ``fill`` where ``idx < 0`` (numpy would wrap -1 to the last row)."""
    ok = idx >= 0
    out = np.full(len(idx), fill, dtype=arr.dtype)
    out[ok] = arr[idx[ok]]
    return out


def years_before(ref: np.datetime64, age: np.ndarray) -> np.ndarray:
    """Birth dates of people who are ``age`` (float years) old on ``ref``."""
    return ref - np.round(np.asarray(age) * YEAR).astype("timedelta64[D]")


def age_at(birth: np.ndarray, when) -> np.ndarray:
    """Age in years (float) on ``when`` (a date or an array of dates)."""
    return (np.asarray(when, dtype=_DATE) - birth).astype(np.int64) / YEAR


def after(when: np.ndarray, years: np.ndarray) -> np.ndarray:
    """``when`` plus a float number of years, as dates."""
    return when + np.round(np.asarray(years) * YEAR).astype("timedelta64[D]")


# --- places -------------------------------------------------------------------------------


@dataclass
class UnionCouncils:
    """Union councils per tehsil: number, label as written, and the village it covers.

    Each tehsil gets a number of UCs proportional to its population.  Households in
    one UC share the UC label, the village and one of three mohallas, which is what
    makes neighbours look alike in real registry data.
    """

    start: np.ndarray  # first UC row of each tehsil
    count: np.ndarray  # UCs per tehsil
    label: np.ndarray
    village: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator, geo: Geography, pools: NamePools) -> UnionCouncils:
        count = np.clip(np.round(geo.tehsil_population / 45_000), 3, 80).astype(np.int64)
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        tehsil = np.repeat(np.arange(len(count)), count)
        number = np.arange(len(tehsil)) - start[tehsil] + 1
        code = geo.province_code[geo.tehsil_district[tehsil]]
        named = rng.random(len(tehsil)) < np.where(np.isin(code, (3, 6)), 0.15, 0.5)
        locality = rng.choice(np.array(MOHALLA_NAMES, dtype=object), len(tehsil))
        label = np.where(named, locality, "UC-" + number.astype(str).astype(object))
        prefix = np.empty(len(tehsil), dtype=object)
        for c, options in VILLAGE_PREFIX.items():
            m = code == c
            prefix[m] = rng.choice(np.array(options, dtype=object), int(m.sum()))
        stem = np.where(
            rng.random(len(tehsil)) < 0.5,
            rng.choice(pools.male, len(tehsil), p=pools.male_p),
            rng.choice(pools.family, len(tehsil)),
        )
        chak = (
            "No. "
            + rng.integers(1, 600, len(tehsil)).astype(str).astype(object)
            + "/"
            + rng.choice(np.array(CHAK_SUFFIX, dtype=object), len(tehsil))
        )
        village = prefix + " " + np.where(prefix == "Chak", chak, stem)
        return cls(start=start, count=count, label=label, village=village)

    def sample(self, rng: np.random.Generator, tehsil: np.ndarray) -> np.ndarray:
        """A union council (global row) in each given tehsil, uniformly."""
        return self.start[tehsil] + (rng.random(len(tehsil)) * self.count[tehsil]).astype(np.int64)


def addresses(
    rng: np.random.Generator,
    ucs: UnionCouncils,
    geo: Geography,
    uc: np.ndarray,
    tehsil: np.ndarray,
    urban: np.ndarray,
) -> np.ndarray:
    """Free-text addresses in the styles enumerators write, from precise to vague.

    Urban: "House 12, Street 4, Mohalla Gulshan, <town>"; rural often only
    "Mohallah X near Jamia Masjid, Goth Y" or even "<village>, Tehsil Z", which many
    households of a village share.
    """
    n = len(uc)
    house = rng.integers(1, 400, n).astype(str).astype(object)
    street = rng.integers(1, 30, n).astype(str).astype(object)
    mohalla = np.array(MOHALLA_NAMES, dtype=object)[
        (uc * 7 + rng.integers(0, 3, n)) % len(MOHALLA_NAMES)
    ]
    landmark = rng.choice(np.array(LANDMARKS, dtype=object), n)
    town = geo.tehsil[tehsil]
    place = np.where(urban, town, ucs.village[uc])
    templates = [
        "House " + house + ", Street " + street + ", Mohalla " + mohalla + ", " + place,
        "House No. " + house + ", " + mohalla + " Colony, near " + landmark + ", " + place,
        "Mohallah " + mohalla + " near " + landmark + ", " + place,
        ucs.village[uc] + ", Tehsil " + town,
    ]
    p = np.where(urban[:, None], [0.5, 0.3, 0.2, 0.0], [0.25, 0.15, 0.35, 0.25])
    pick = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return np.choose(pick, templates)


# --- people -------------------------------------------------------------------------------


def draw_names(
    rng: np.random.Generator, pools: NamePools, female: np.ndarray, birth: np.ndarray
) -> dict[str, np.ndarray]:
    """Given name, optional second name, Muhammad prefix and name style per person.

    Older women are more often written "<given> Bibi/Begum/Khatoon"; younger ones
    "<given> <family>".  About 35% of men carry the Muhammad prefix.
    """
    n = len(female)
    old = birth < np.datetime64("1975-01-01")
    f_p = np.where(
        old[:, None], [0.20, 0.24, 0.12, 0.12, 0.22, 0.10], [0.42, 0.10, 0.05, 0.03, 0.22, 0.18]
    )
    m_p = np.tile([0.55, 0.15, 0.15, 0.15], (n, 1))
    p = np.where(female[:, None], f_p, np.pad(m_p, ((0, 0), (0, 2))))
    style = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).astype(np.int8)
    given, second = pools.given(rng, female), pools.given(rng, female)
    same = given == second  # "Ali Ali": write the family name instead
    second_style = np.where(female, style == F_SECOND, style == M_SECOND)
    style[same & second_style] = F_FAMILY
    return {
        "given": given,
        "second": second,
        "muhammad": ~female & (rng.random(n) < 0.35),
        "style": style,
    }


def add_people(
    P: People,
    rng: np.random.Generator,
    pools: NamePools,
    *,
    female,
    birth,
    family,
    birth_district,
    **extra,
) -> np.ndarray:
    """Append people with freshly drawn names; ``extra`` sets kinship/household fields."""
    female = np.asarray(female, dtype=bool)
    names = draw_names(rng, pools, female, birth)
    wives_take = female & (rng.random(len(female)) < 0.4)
    return P.add(
        len(female),
        female=female,
        birth=birth,
        family=family,
        birth_district=birth_district,
        takes_husband_family=wives_take,
        **names,
        **extra,
    )


def add_virtual_fathers(
    P: People, rng: np.random.Generator, pools: NamePools, children: np.ndarray
) -> None:
    """Give every listed person without a father a (non-resident) father.

    The father carries the child's birth family name and is 22-45 years older; he
    exists only so that S/O and D/O guardian names are names of a simulated person.
    """
    kids = children[P["father"][children] < 0]
    if len(kids) == 0:
        return
    gap = 22 + rng.gamma(3.0, 3.0, len(kids))
    birth = after(P["birth"][kids], -gap)
    fathers = add_people(
        P,
        rng,
        pools,
        female=np.zeros(len(kids), bool),
        birth=birth,
        family=P["family"][kids],
        birth_district=P["birth_district"][kids],
        death=after(P["birth"][kids], rng.uniform(0, 30, len(kids))),
    )
    P["father"][kids] = fathers


def link_couple(P: People, husband: np.ndarray, wife: np.ndarray, marriage: np.ndarray) -> None:
    """Record a marriage on both spouses."""
    P["spouse"][husband] = wife
    P["spouse"][wife] = husband
    P["marriage"][husband] = marriage
    P["marriage"][wife] = marriage


def nearby_birth_districts(
    rng: np.random.Generator,
    geo: Geography,
    district: np.ndarray,
    same: float = 0.7,
    same_province: float = 0.2,
) -> np.ndarray:
    """Birth districts of people who married into or moved to ``district``.

    Most come from the same district, some from the same province, a few from anywhere;
    this decides their CNIC locality prefix.
    """
    n = len(district)
    u = rng.random(n)
    out = district.copy()
    anywhere = geo.sample_districts(rng, n)
    out[u >= same + same_province] = anywhere[u >= same + same_province]
    prov = (u >= same) & (u < same + same_province)
    if prov.any():
        codes = geo.province_code[district[prov]]
        pick = np.empty(int(prov.sum()), dtype=np.int64)
        for c in np.unique(codes):
            members = np.flatnonzero(geo.province_code == c)
            w = geo.population[members]
            m = codes == c
            pick[m] = rng.choice(members, int(m.sum()), p=w / w.sum())
        out[prov] = pick
    return out


def _stay_probability(female: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Chance a grown child of the head is still living in the household (unmarried)."""
    daughters = np.interp(age, [17.9, 18, 20, 23, 27, 32], [1, 0.85, 0.65, 0.4, 0.18, 0.08])
    sons = np.interp(age, [20.9, 21, 25, 30, 35], [1, 0.9, 0.7, 0.35, 0.15])
    return np.where(female, daughters, sons)


def _births(
    rng: np.random.Generator, mother_age: np.ndarray, start_age: np.ndarray, rate: float, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Children per mother and their ages, for births between ``start_age`` and min(age, 44).

    Returns (index of the mother for each child, child age).  The mother is therefore
    18-44 years older than each child.  ``TWIN_SHARE`` of births are twins: same mother,
    same birth date (their names differ: ``_distinct_sibling_names``).
    """
    lo = np.maximum(start_age, 18.0)
    hi = np.minimum(mother_age, 44.0)
    span = np.clip(hi - lo, 0, None)
    k = np.minimum(rng.poisson(rate * span), cap)
    owner = np.repeat(np.arange(len(mother_age)), k)
    at_birth = lo[owner] + rng.random(len(owner)) * span[owner]
    twin = rng.random(len(owner)) < TWIN_SHARE  # a second child born the same day
    owner, at_birth = (
        np.concatenate([owner, owner[twin]]),
        np.concatenate([at_birth, at_birth[twin]]),
    )
    return owner, mother_age[owner] - at_birth


@dataclass
class _Batch:
    """Per-household arrays shared by the steps that populate a batch of new households."""

    P: People
    rng: np.random.Generator
    geo: Geography
    pools: NamePools
    ref: np.datetime64
    hh_col: str
    hid: np.ndarray
    district: np.ndarray
    code: np.ndarray  # CNIC province code of the district
    family: np.ndarray  # the household's lineage family name

    def add(
        self, households: np.ndarray, *, resident: np.ndarray | bool = True, **fields
    ) -> np.ndarray:
        """Add people for the given household rows (resident ones get the household id)."""
        hh = np.where(resident, self.hid[households], -1)
        return add_people(self.P, self.rng, self.pools, **{self.hh_col: hh}, **fields)

    def born(self, age: np.ndarray) -> np.ndarray:
        return years_before(self.ref, age)


def _couples(b: _Batch, head_age: np.ndarray, female_head: np.ndarray, head: np.ndarray):
    """Wives of male heads (a late wife for widowers) and late husbands of widowed heads.

    Returns, per household that has children's parents, (household row, husband id,
    mother id, mother's age, mother's age at marriage).
    """
    rng, n = b.rng, len(head)
    married = ~female_head & (
        rng.random(n)
        < np.interp(head_age, [20, 25, 30, 40, 60, 80], [0.5, 0.8, 0.93, 0.95, 0.88, 0.7])
    )
    wh = np.flatnonzero(married | (~female_head & (head_age >= 35)))  # + widowers
    wife_age = (head_age[wh] - 1 - rng.gamma(2.0, 2.5, len(wh))).clip(min=16.5)
    wives = b.add(
        wh,
        resident=married[wh],
        female=np.ones(len(wh), bool),
        birth=b.born(wife_age),
        family=b.pools.family_names(rng, b.code[wh]),
        birth_district=nearby_birth_districts(rng, b.geo, b.district[wh]),
        death=np.where(married[wh], NEVER, years_before(b.ref, rng.uniform(0, 8, len(wh)))),
    )
    fh = np.flatnonzero(female_head)
    late = b.add(
        fh,
        resident=False,
        female=np.zeros(len(fh), bool),
        birth=b.born(head_age[fh] + 1 + rng.gamma(2.0, 2.5, len(fh))),
        family=b.family[fh],
        birth_district=b.district[fh],
        death=years_before(b.ref, rng.uniform(0, 10, len(fh))),
    )
    mh = np.concatenate([wh, fh])
    husband = np.concatenate([head[wh], late])
    mother = np.concatenate([wives, head[fh]])
    mother_age = np.concatenate([wife_age, head_age[fh]])
    wed_age = np.minimum(rng.uniform(16, 24, len(mh)), mother_age)
    link_couple(b.P, husband, mother, years_before(b.ref, mother_age - wed_age))
    return mh, husband, mother, mother_age, wed_age


def _children(b: _Batch, mh, husband, mother, mother_age, wed_age, female_head) -> None:
    """The head's children still at home, and married sons' wives and children.

    Daughters mostly leave by their twenties (married out); sons stay longer and some
    bring a wife in, making the joint families common in NSER rosters.
    """
    rng = b.rng
    owner, age = _births(rng, mother_age, wed_age, 0.27, 10)
    female = rng.random(len(owner)) < 0.49
    stays = rng.random(len(owner)) < _stay_probability(female, age)
    grown_son = ~female & (age >= 21) & ~female_head[mh][owner]
    p_wed = np.interp(age, [21, 24, 28, 35, 45], [0.2, 0.5, 0.65, 0.6, 0.4])
    married_son = grown_son & ~stays & (rng.random(len(owner)) < p_wed)
    keep = stays | married_son
    owner, age, female, married_son = owner[keep], age[keep], female[keep], married_son[keep]
    h = mh[owner]
    kids = b.add(
        h,
        female=female,
        birth=b.born(age),
        family=b.family[h],
        birth_district=b.district[h],
        father=husband[owner],
        mother=mother[owner],
    )

    sons, hs = kids[married_son], h[married_son]
    dil_age = (age[married_son] - 1 - rng.gamma(2.0, 1.5, len(sons))).clip(min=16.5)
    dil_wed = dil_age - rng.uniform(0, np.minimum(15, dil_age - 16), len(sons))
    dils = b.add(
        hs,
        female=np.ones(len(sons), bool),
        birth=b.born(dil_age),
        family=b.pools.family_names(rng, b.code[hs]),
        birth_district=nearby_birth_districts(rng, b.geo, b.district[hs]),
    )
    link_couple(b.P, sons, dils, years_before(b.ref, dil_age - dil_wed))
    g_owner, g_age = _births(rng, dil_age, dil_wed, 0.32, 7)
    g_hh = hs[g_owner]
    grandchildren = b.add(
        g_hh,
        female=rng.random(len(g_owner)) < 0.49,
        birth=b.born(g_age),
        family=b.family[g_hh],
        birth_district=b.district[g_hh],
        father=sons[g_owner],
        mother=dils[g_owner],
    )
    name_after_grandfather(b.P, rng, grandchildren)


def _head_parents(
    b: _Batch,
    head: np.ndarray,
    head_age: np.ndarray,
    female_head: np.ndarray,
    head_birth_d: np.ndarray,
) -> None:
    """The head's father (always: his name is the head's guardian) and, for some male
    heads, the elderly mother and father living in the household."""
    rng, n = b.rng, len(head)
    p_mother = np.interp(head_age, [20, 30, 40, 50, 60], [0.45, 0.4, 0.3, 0.15, 0.05])
    gm_age = head_age + rng.uniform(18, 35, n)
    mother_here = ~female_head & (rng.random(n) < p_mother) & (gm_age < 92)
    gf_age = gm_age + 1 + rng.gamma(2.0, 2.5, n)
    father_here = mother_here & (rng.random(n) < 0.45) & (gf_age < 95)
    rows = np.arange(n)
    gf = b.add(
        rows,
        resident=father_here,
        female=np.zeros(n, bool),
        birth=b.born(gf_age),
        family=b.family,
        birth_district=head_birth_d,
        death=np.where(father_here, NEVER, years_before(b.ref, rng.uniform(0, 25, n))),
    )
    b.P["father"][head] = gf
    gm_h = np.flatnonzero(mother_here)
    gm = b.add(
        gm_h,
        female=np.ones(len(gm_h), bool),
        birth=b.born(gm_age[gm_h]),
        family=b.pools.family_names(rng, b.code[gm_h]),
        birth_district=head_birth_d[gm_h],
    )
    b.P["mother"][head[gm_h]] = gm
    link_couple(
        b.P, gf[gm_h], gm, years_before(b.ref, gm_age[gm_h] - rng.uniform(16, 22, len(gm_h)))
    )


def new_households(
    P: People,
    rng: np.random.Generator,
    geo: Geography,
    pools: NamePools,
    ucs: UnionCouncils,
    n: int,
    ref: np.datetime64,
    first_id: int,
    hh_col: str,
    poverty_shift: float = 0.0,
) -> pd.DataFrame:
    """Create ``n`` households as they are on ``ref`` and return their household table.

    Composition: a head (9% widowed women), his wife, their children still at home
    (daughters leave at marriage, some sons bring wives in: joint families), sometimes
    the head's elderly parents.  Target is NSER's ~5.75 members per household.
    ``poverty_shift`` lowers the PMT (never-registered households are poorer).
    """
    first_pid = len(P)
    hid = first_id + np.arange(n)
    district = geo.sample_districts(rng, n)
    tehsil = geo.sample_tehsils(rng, district)
    uc = ucs.sample(rng, tehsil)
    urban = rng.random(n) < geo.urban_share[district]
    code = geo.province_code[district]
    b = _Batch(P, rng, geo, pools, ref, hh_col, hid, district, code, pools.family_names(rng, code))
    migrant = rng.random(n) < np.where(urban, 0.15, 0.04)
    head_birth_d = np.where(migrant, nearby_birth_districts(rng, geo, district, 0, 0.6), district)

    female_head = rng.random(n) < 0.09
    head_age = np.where(female_head, 30 + rng.gamma(3.0, 6.0, n), 20 + rng.gamma(3.5, 6.0, n)).clip(
        max=88
    )
    head_family = np.where(female_head, pools.family_names(rng, code), b.family)
    head = b.add(
        np.arange(n),
        female=female_head,
        birth=b.born(head_age),
        family=head_family,
        birth_district=head_birth_d,
    )
    _children(b, *_couples(b, head_age, female_head, head), female_head)
    _head_parents(b, head, head_age, female_head, head_birth_d)

    batch = np.arange(first_pid, len(P))
    members = batch[P[hh_col][batch] >= 0]
    add_virtual_fathers(P, rng, pools, members)
    size = np.bincount(P[hh_col][members] - first_id, minlength=n)
    pmt = 100 * rng.beta(2.2, 3.2, n) + 8 * urban - 1.2 * (size - 5.75) + poverty_shift
    return pd.DataFrame(
        {
            "district": district,
            "tehsil": tehsil,
            "uc": uc,
            "urban": urban,
            "address": addresses(rng, ucs, geo, uc, tehsil, urban),
            "pmt": np.round(np.clip(pmt, 0.5, 99.5), 2),
            "head": head,
        },
        index=pd.Index(hid, name="hh"),
    )


# --- ten years of change ----------------------------------------------------------------------

#: Ten-year death probability by age in 2011 (rough Pakistani life table shape).
_MORTALITY_AGE = [0, 1, 5, 40, 50, 60, 70, 80, 95]
_MORTALITY_P = [0.06, 0.02, 0.012, 0.03, 0.08, 0.18, 0.38, 0.65, 0.95]


@dataclass
class World:
    """The simulated population with household tables for 2011 and 2021.

    ``hh11``/``hh21`` are indexed by the true household id.  ``hh21.origin`` says where
    a 2021 household comes from: ``base`` (a 2011 household), ``split`` (a married son
    who set up on his own), ``new`` (first surveyed in 2021) or ``unregistered`` (never
    surveyed; a pool for the partner list).  ``surveyed`` marks households in the wave.
    """

    people: People
    hh11: pd.DataFrame
    hh21: pd.DataFrame
    geo: Geography
    pools: NamePools
    ucs: UnionCouncils


def _die(P: People, rng: np.random.Generator, members: np.ndarray) -> None:
    """Deaths between the waves, far likelier among the old."""
    age = age_at(P["birth"][members], REF_2011)
    dies = rng.random(len(members)) < np.interp(age, _MORTALITY_AGE, _MORTALITY_P)
    P["death"][members[dies]] = REF_2011 + rng.integers(1, 3650, int(dies.sum())).astype(
        "timedelta64[D]"
    )


def _pair_by_age(brides: pd.DataFrame, grooms: pd.DataFrame, key: str) -> pd.DataFrame:
    """Pair brides and grooms with the same ``key`` (a district, or 0 for anywhere).

    Both sides are ranked by birth date within the key, so the oldest bride of a
    district marries its oldest groom: ages stay assortative without a search.
    """
    b = brides.sort_values([key, "birth", "pid"]).assign(r=lambda x: x.groupby(key).cumcount())
    g = grooms.sort_values([key, "birth", "pid"]).assign(r=lambda x: x.groupby(key).cumcount())
    pairs = b.merge(g, on=[key, "r"], suffixes=("_b", "_g"))
    return pairs[pairs["hh_b"] != pairs["hh_g"]]  # never within one household


def _marry(
    P: People, rng: np.random.Generator, geo: Geography, pools: NamePools, hh_district: np.ndarray
) -> None:
    """Marriages 2011-2021: daughters move to their husband's household.

    Unmarried women 18-40 and men 20-45 in 2021 marry with an age-dependent chance;
    most find a spouse in their district, some elsewhere.  Brides left over marry
    outside the simulated registry (they leave it); grooms left over bring a wife
    from outside.
    """
    live = np.flatnonzero((P["hh_2021"] >= 0) & (P["death"] > REF_2021) & (P["spouse"] < 0))
    age = age_at(P["birth"][live], REF_2021)
    fem = P["female"][live]
    u = rng.random(len(live))
    is_bride = (
        fem
        & (age >= 18)
        & (age < 40)
        & (u < np.interp(age, [18, 20, 23, 27, 35], [0.3, 0.55, 0.8, 0.85, 0.6]))
    )
    is_groom = (
        ~fem
        & (age >= 20)
        & (age < 45)
        & (u < np.interp(age, [20, 23, 26, 30, 40], [0.2, 0.5, 0.75, 0.85, 0.6]))
    )

    def table(sel: np.ndarray) -> pd.DataFrame:
        pid = live[sel]
        hh = P["hh_2021"][pid]
        return pd.DataFrame(
            {
                "pid": pid,
                "hh": hh,
                "birth": P["birth"][pid],
                "district": hh_district[hh],
                "anywhere": 0,
            }
        )

    brides, grooms = table(is_bride), table(is_groom)
    local = _pair_by_age(brides, grooms, "district")
    rest_b = brides[~brides["pid"].isin(local["pid_b"])]
    rest_g = grooms[~grooms["pid"].isin(local["pid_g"])]
    far = _pair_by_age(rest_b[rng.random(len(rest_b)) < 0.3], rest_g, "anywhere")
    pairs = pd.concat([local, far], ignore_index=True)
    b = pairs["pid_b"].to_numpy()
    g = pairs["pid_g"].to_numpy()
    lo = np.maximum(REF_2011, np.maximum(after(P["birth"][b], 18), after(P["birth"][g], 20)))
    span = np.clip((REF_2021 - lo).astype(np.int64) - 30, 1, None)
    link_couple(P, g, b, lo + (rng.random(len(b)) * span).astype("timedelta64[D]"))
    P["hh_2021"][b] = P["hh_2021"][g]

    married_out = rest_b["pid"].to_numpy()
    married_out = married_out[~np.isin(married_out, b)]
    P["hh_2021"][married_out] = -1

    single = np.setdiff1d(grooms["pid"].to_numpy(), g)
    single = single[rng.random(len(single)) < 0.7]
    g_age = age_at(P["birth"][single], REF_2021)
    w_age = (g_age - 1 - rng.gamma(2.0, 2.0, len(single))).clip(min=18)
    home = hh_district[P["hh_2021"][single]]
    wives = add_people(
        P,
        rng,
        pools,
        female=np.ones(len(single), bool),
        birth=years_before(REF_2021, w_age),
        family=pools.family_names(rng, geo.province_code[home]),
        birth_district=nearby_birth_districts(rng, geo, home),
        hh_2021=P["hh_2021"][single],
    )
    add_virtual_fathers(P, rng, pools, wives)
    lo = np.maximum(
        REF_2011, np.maximum(after(P["birth"][wives], 18), after(P["birth"][single], 20))
    )
    span = np.clip((REF_2021 - lo).astype(np.int64) - 30, 1, None)
    link_couple(P, single, wives, lo + (rng.random(len(single)) * span).astype("timedelta64[D]"))


def _merge(P: People, rng: np.random.Generator, hh_tehsil: np.ndarray, share: float) -> None:
    """Households merged 2011-2021: of the households left with one or two members all
    50 or older (widowed parents, elderly couples), ``share`` move in with another
    household of their tehsil and their own household ends."""
    resident = np.flatnonzero(P["hh_2021"] >= 0)
    hh = P["hh_2021"][resident]
    n = np.bincount(hh, minlength=len(hh_tehsil))
    young = np.bincount(hh[age_at(P["birth"][resident], REF_2021) < 50], minlength=len(hh_tehsil))
    small_old = np.flatnonzero((n >= 1) & (n <= 2) & (young == 0))
    moving = small_old[rng.random(len(small_old)) < share]
    hosts = np.setdiff1d(np.flatnonzero(n >= 2), moving)
    if len(moving) == 0 or len(hosts) == 0:
        return
    # a host in the same tehsil: a random household among those sharing the tehsil code
    order = np.lexsort((rng.random(len(hosts)), hh_tehsil[hosts]))
    hosts = hosts[order]
    tehsil_of_host = hh_tehsil[hosts]
    lo = np.searchsorted(tehsil_of_host, hh_tehsil[moving], "left")
    hi = np.searchsorted(tehsil_of_host, hh_tehsil[moving], "right")
    found = hi > lo
    pick = lo + (rng.random(len(moving)) * np.maximum(hi - lo, 1)).astype(np.int64)
    target = np.full(len(hh_tehsil), -1, dtype=np.int64)
    target[moving[found]] = hosts[pick[found].clip(max=len(hosts) - 1)]
    movers = resident[target[hh] >= 0]
    P["hh_2021"][movers] = target[P["hh_2021"][movers]]


def _split(P: People, rng: np.random.Generator, hh21: pd.DataFrame, first_id: int) -> pd.DataFrame:
    """Married sons who set up their own household, with their wife and children.

    Returns the new households' rows (geography still to be filled by the caller).
    """
    pid = np.flatnonzero(
        (P["hh_2021"] >= 0)
        & (P["death"] > REF_2021)
        & ~P["female"]
        & (P["spouse"] >= 0)
        & (P["marriage"] < REF_2021)
    )
    not_head = hh21["head"].to_numpy()[P["hh_2021"][pid]] != pid
    p = np.where(P["marriage"][pid] < REF_2011, 0.35, 0.3)
    leaving = pid[not_head & (rng.random(len(pid)) < p)]
    if len(leaving) == 0:
        return pd.DataFrame({"parent": [], "head": []}, dtype=np.int64).rename_axis("hh")
    new_id = first_id + np.arange(len(leaving))
    old = P["hh_2021"][leaving]
    wife = P["spouse"][leaving]
    with_him = (P["hh_2021"][wife] == old) & (P["death"][wife] > REF_2021)
    # children: in the same household and fathered by the leaving man
    order = np.argsort(leaving)
    everyone = np.flatnonzero(P["hh_2021"] >= 0)
    fa = P["father"][everyone]
    pos = np.searchsorted(leaving[order], fa).clip(max=len(leaving) - 1)
    is_child = (leaving[order][pos] == fa) & (P["hh_2021"][everyone] == old[order][pos])
    kids = everyone[is_child]
    P["hh_2021"][kids] = new_id[order][pos[is_child]]
    P["hh_2021"][wife[with_him]] = new_id[with_him]
    P["hh_2021"][leaving] = new_id
    return pd.DataFrame({"parent": old, "head": leaving}, index=pd.Index(new_id, name="hh"))


def _bear(P: People, rng: np.random.Generator, pools: NamePools, hh_district: np.ndarray) -> None:
    """Births 2011-2021 to every couple while the wife is 18-44 and both are alive
    (``TWIN_SHARE`` of them twins; some boys named after their grandfather)."""
    wife = np.flatnonzero(
        P["female"] & (P["spouse"] >= 0) & (P["hh_2021"] >= 0) & (P["death"] > REF_2021)
    )
    husband = P["spouse"][wife]
    start = np.maximum(np.maximum(REF_2011, P["marriage"][wife]), after(P["birth"][wife], 18))
    end = np.minimum(np.minimum(REF_2021, after(P["birth"][wife], 44)), P["death"][husband])
    span = np.clip((end - start).astype(np.int64), 0, None)
    k = np.minimum(rng.poisson(0.2 * span / YEAR), 6)
    owner = np.repeat(np.arange(len(wife)), k)
    born = start[owner] + (rng.random(len(owner)) * span[owner]).astype("timedelta64[D]")
    twin = rng.random(len(owner)) < TWIN_SHARE
    owner, born = np.concatenate([owner, owner[twin]]), np.concatenate([born, born[twin]])
    mo, fa = wife[owner], husband[owner]
    hh = P["hh_2021"][mo]
    dies = rng.random(len(owner)) < 0.03
    death = np.where(dies, born + rng.integers(1, 700, len(owner)).astype("timedelta64[D]"), NEVER)
    kids = add_people(
        P,
        rng,
        pools,
        female=rng.random(len(owner)) < 0.49,
        birth=born,
        family=P["family"][fa],
        birth_district=hh_district[hh],
        father=fa,
        mother=mo,
        death=death,
        hh_2021=np.where(death > REF_2021, hh, -1),
    )
    name_after_grandfather(P, rng, kids)


def _relocate(
    rng: np.random.Generator,
    geo: Geography,
    ucs: UnionCouncils,
    district: np.ndarray,
    move: np.ndarray,
    table: pd.DataFrame,
) -> None:
    """Give the rows of ``table`` selected by ``move`` a new district (or the given one).

    Movers go where people are, with a pull towards urban districts; they get a new
    tehsil, union council and address.  ``district`` is used where ``move`` is False.
    """
    n = len(table)
    pull = geo.sample_districts(rng, n, weight=0.3 + geo.urban_share)
    d = np.where(move, pull, district)
    t = geo.sample_tehsils(rng, d)
    uc = ucs.sample(rng, t)
    urban = rng.random(n) < geo.urban_share[d]
    table["district"], table["tehsil"], table["uc"], table["urban"] = d, t, uc, urban
    table["address"] = addresses(rng, ucs, geo, uc, t, urban)


def choose_heads(P: People, hh_col: str, designated: np.ndarray) -> np.ndarray:
    """The head of each household: the designated head if still there, else his wife,
    else the eldest adult man, else the eldest member (-1 for an empty household)."""
    members = np.flatnonzero(P[hh_col] >= 0)
    hh = P[hh_col][members]
    want = designated[hh]
    spouse_of = take(P["spouse"], want, -1)
    age = age_at(P["birth"][members], REF_2021)
    score = (
        4.0 * (members == want)
        + 3.0 * (members == spouse_of)
        + 2.0 * (~P["female"][members] & (age >= 18))
    ) * 1000 + age
    order = np.lexsort((-score, hh))
    first = np.ones(len(order), bool)
    first[1:] = hh[order][1:] != hh[order][:-1]
    heads = np.full(len(designated), -1, dtype=np.int64)
    heads[hh[order][first]] = members[order][first]
    return heads


def name_after_grandfather(P: People, rng: np.random.Generator, kids: np.ndarray) -> None:
    """Some boys get their paternal grandfather's given name: the sons of two brothers
    then share given name, family name and village, often within a few years of birth
    (the namesakes that make false links in dense registries)."""
    boys = kids[~P["female"][kids] & (rng.random(len(kids)) < NAMED_AFTER_GRANDFATHER)]
    grandfather = take(P["father"], P["father"][boys], -1)
    named = boys[grandfather >= 0]
    P["given"][named] = P["given"][grandfather[grandfather >= 0]]


def _rhyming_siblings(P: People, rng: np.random.Generator, pools: NamePools) -> None:
    """Give some younger siblings a name ending like an elder sibling's of the same sex
    (Shahid and Zahid, Imran and Kamran, Nazia and Fozia): brothers sharing guardian,
    address and nearly a birth year, with names a string comparison finds close."""
    kids = np.flatnonzero((P["father"] >= 0) & ((P["hh_2011"] >= 0) | (P["hh_2021"] >= 0)))
    df = pd.DataFrame(
        {
            "pid": kids,
            "father": P["father"][kids],
            "female": P["female"][kids],
            "birth": P["birth"][kids],
        }
    ).sort_values(["father", "female", "birth", "pid"])
    elder = df.groupby(["father", "female"])["pid"].shift(1)
    pick = elder.notna().to_numpy() & (rng.random(len(df)) < RHYMING_SIBLINGS)
    if not pick.any():
        return
    by_ending: dict[tuple[bool, str], list[str]] = {}
    for female, pool in ((False, pools.male), (True, pools.female)):
        for name in pool:
            if len(name) >= 5 and " " not in name:
                by_ending.setdefault((female, name[-3:].lower()), []).append(name)
    u = rng.random(int(pick.sum()))
    younger = df["pid"].to_numpy()[pick]
    elders = elder.to_numpy()[pick].astype(np.int64)
    for j, (pid, old) in enumerate(zip(younger, elders, strict=True)):
        name = P["given"][old]
        options = [
            x for x in by_ending.get((bool(P["female"][pid]), name[-3:].lower()), ()) if x != name
        ]
        if options:
            P["given"][pid] = options[int(u[j] * len(options))]


def _distinct_sibling_names(P: People, rng: np.random.Generator, pools: NamePools) -> None:
    """Redraw the given name of a child who got the same one as an elder sibling.

    Parents do not give two living children one name; without this, common names
    would create same-name, same-guardian, same-address siblings that no linkage could
    (or should) tell apart.
    """
    for _ in range(10):
        kids = np.flatnonzero((P["father"] >= 0) & ((P["hh_2011"] >= 0) | (P["hh_2021"] >= 0)))
        df = pd.DataFrame(
            {
                "father": P["father"][kids],
                "given": P["given"][kids],
                "birth": P["birth"][kids],
                "pid": kids,
            }
        )
        dup = df.sort_values(["birth", "pid"]).duplicated(["father", "given"])
        again = df.loc[dup[dup].index, "pid"].to_numpy()
        if len(again) == 0:
            return
        P["given"][again] = pools.given(rng, P["female"][again])


def _cnic_numbers(P: People, rng: np.random.Generator, geo: Geography) -> None:
    """13-digit CNICs: birth-district locality prefix, 7 random digits, parity = sex.

    Numbers are unique (collisions redrawn).  ``cnic_date`` is when the card was
    obtained: men at 18 or when computerised cards came (~2001); women later and 17%
    never, so ~30-40% of adult women have none by 2021 and over half in 2011.
    """
    n = len(P)
    fem = P["female"]
    prefix = geo.sample_cnic_prefix(rng, P["birth_district"])
    last = np.where(fem, rng.choice([2, 4, 6, 8], n), rng.choice([1, 3, 5, 7, 9], n))
    serial = rng.integers(0, 10**7, n)
    while True:
        key = (
            pd.Series(prefix.astype(str))
            + pd.Series(serial).astype(str).str.zfill(7)
            + pd.Series(last).astype(str)
        )
        dup = key.duplicated().to_numpy()
        if not dup.any():
            break
        serial[dup] = rng.integers(0, 10**7, int(dup.sum()))
    P["cnic"][:] = key.to_numpy(dtype=object)
    at18 = after(P["birth"], 18 + rng.exponential(np.where(fem, 3.0, 1.0)))
    rollout = after(
        np.full(n, np.datetime64("2001-01-01")), rng.exponential(np.where(fem, 9.0, 3.0))
    )
    date = np.maximum(at18, np.where(fem, rollout + np.timedelta64(730, "D"), rollout))
    never = rng.random(n) < np.where(fem, 0.17, 0.02)
    P["cnic_date"][:] = np.where(never, NEVER, date)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pakistani mobile numbers as 10 digits after the 0 (e.g. '3001234567')."""
    ops = np.array(
        [
            f"3{x:02d}"
            for x in [
                *range(0, 10),
                *range(10, 19),
                *range(20, 26),
                *range(30, 38),
                *range(40, 48),
                55,
            ]
        ],
        dtype=object,
    )
    rest = pd.Series(rng.integers(0, 10**7, n)).astype(str).str.zfill(7).to_numpy(dtype=object)
    return rng.choice(ops, n) + rest


def _phones(
    P: People,
    rng: np.random.Generator,
    heads: np.ndarray,
    year: int,
    p_head: float,
    p_man: float,
    p_woman: float,
    keep: np.ndarray | None = None,
) -> None:
    """Mobile numbers at one wave: usually only the head has one.

    ``keep`` (2021) is the previous number, kept by 60% of those who had one.
    """
    hh_col = f"hh_{year}"
    members = np.flatnonzero(P[hh_col] >= 0)
    is_head = heads[P[hh_col][members]] == members
    adult = age_at(P["birth"][members], np.datetime64(f"{year}-03-01")) >= 18
    p = np.where(is_head, p_head, np.where(P["female"][members], p_woman, p_man)) * adult
    has = rng.random(len(members)) < p
    number = phone_numbers(rng, len(members))
    if keep is not None:
        old = keep[members]
        number = np.where((old != "") & (rng.random(len(members)) < 0.6), old, number)
    P[f"phone_{year}"][members] = np.where(has, number, "")


def _carry_over(
    rng: np.random.Generator, geo: Geography, ucs: UnionCouncils, hh11: pd.DataFrame
) -> pd.DataFrame:
    """2011 households as they are in 2021: 5% moved district, PMT re-assessed."""
    base = hh11[["district", "tehsil", "uc", "urban", "address", "pmt", "head"]].assign(
        origin="base", parent=-1
    )
    moves = rng.random(len(base)) < 0.05
    moved = base.copy()
    _relocate(rng, geo, ucs, base["district"].to_numpy(), moves, moved)
    for c in ("district", "tehsil", "uc", "urban", "address"):
        base[c] = np.where(moves, moved[c], base[c])
    base["pmt"] = np.round(np.clip(base["pmt"] + rng.normal(-1, 7, len(base)), 0.5, 99.5), 2)
    return base


def _place_splits(
    rng: np.random.Generator,
    geo: Geography,
    ucs: UnionCouncils,
    split: pd.DataFrame,
    base: pd.DataFrame,
) -> pd.DataFrame:
    """Where split-off households live: 80% the parents' union council (a new house),
    10% elsewhere in the district, 10% another district (pull to cities)."""
    parent = base.loc[split["parent"]]
    far = rng.random(len(split)) < 0.1
    same_uc = (rng.random(len(split)) < 0.8) & ~far
    sp = pd.DataFrame(index=split.index)
    _relocate(rng, geo, ucs, parent["district"].to_numpy(), far, sp)
    p_tehsil, p_uc, p_urban = (parent[c].to_numpy() for c in ("tehsil", "uc", "urban"))
    sp["tehsil"] = np.where(same_uc, p_tehsil, sp["tehsil"])
    sp["uc"] = np.where(same_uc, p_uc, sp["uc"])
    sp["urban"] = np.where(same_uc, p_urban, sp["urban"])
    sp["address"] = np.where(
        same_uc, addresses(rng, ucs, geo, p_uc, p_tehsil, p_urban), sp["address"]
    )
    sp["pmt"] = np.round(
        np.clip(parent["pmt"].to_numpy() + rng.normal(0, 6, len(sp)), 0.5, 99.5), 2
    )
    return sp.assign(head=split["head"], origin="split", parent=split["parent"])


def simulate(
    households: int,
    rng: np.random.Generator,
    geo: Geography,
    pools: NamePools,
    new_share: float = 0.12,
    unregistered: int = 0,
    merge_share: float = 0.3,
) -> World:
    """Simulate ``households`` households in 2011 and the same population in 2021.

    2011 -> 2021: deaths, small elderly households merging into another, marriages
    (brides move), births, sons splitting off,
    household migrations, then households new in 2021 (``new_share``) and a
    never-surveyed pool of ``unregistered`` households.  About 10% of 2011 households
    are not re-surveyed.  Household ids are contiguous: 2011 households, splits, new,
    unregistered, so ``table[col].to_numpy()[hh]`` looks a household up.
    """
    P = People(capacity=int(households * 16))
    ucs = UnionCouncils.build(rng, geo, pools)
    hh11 = new_households(P, rng, geo, pools, ucs, households, REF_2011, 0, "hh_2011")

    resident = np.flatnonzero(P["hh_2011"] >= 0)
    _die(P, rng, resident)
    P["hh_2021"][resident] = np.where(P["death"][resident] > REF_2021, P["hh_2011"][resident], -1)
    district = hh11["district"].to_numpy()
    _merge(P, rng, hh11["tehsil"].to_numpy(), merge_share)
    _marry(P, rng, geo, pools, district)
    _bear(P, rng, pools, district)

    base = _carry_over(rng, geo, ucs, hh11)
    split = _place_splits(rng, geo, ucs, _split(P, rng, base, households), base)
    first = households + len(split)
    new = new_households(
        P, rng, geo, pools, ucs, int(round(new_share * households)), REF_2021, first, "hh_2021"
    )
    unreg = new_households(
        P,
        rng,
        geo,
        pools,
        ucs,
        unregistered,
        REF_2021,
        first + len(new),
        "hh_2021",
        poverty_shift=-12,
    )
    hh21 = pd.concat(
        [
            base,
            split,
            new.assign(origin="new", parent=-1),
            unreg.assign(origin="unregistered", parent=-1),
        ]
    )
    hh21["head"] = choose_heads(P, "hh_2021", hh21["head"].to_numpy())
    size = np.bincount(P["hh_2021"][P["hh_2021"] >= 0], minlength=len(hh21))
    survey_p = (
        hh21["origin"].map({"base": 0.9, "split": 0.9, "new": 1.0, "unregistered": 0.0}).to_numpy()
    )
    hh21["surveyed"] = (rng.random(len(hh21)) < survey_p) & (size > 0)
    hh21["size"] = size
    hh11["surveyed"] = True
    hh11["size"] = np.bincount(P["hh_2011"][P["hh_2011"] >= 0], minlength=len(hh11))
    assert (hh11.index == np.arange(len(hh11))).all() and (hh21.index == np.arange(len(hh21))).all()

    _rhyming_siblings(P, rng, pools)
    _distinct_sibling_names(P, rng, pools)
    _cnic_numbers(P, rng, geo)
    _phones(P, rng, hh11["head"].to_numpy(), 2011, 0.55, 0.15, 0.04)
    _phones(P, rng, hh21["head"].to_numpy(), 2021, 0.85, 0.4, 0.15, keep=P["phone_2011"].copy())
    return World(people=P, hh11=hh11, hh21=hh21, geo=geo, pools=pools, ucs=ucs)
