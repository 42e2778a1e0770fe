"""Reference-derived vocabularies for the synthetic NSER generator.

Everything random in the generator draws from the pools built here, so that places,
CNIC prefixes and names are real (``linkage.reference``) rather than invented.  The few
hand-written lists (district misspellings, address words, regional surname boosts) are
small, named, and say where they come from.  Pools are built once per process (cached)
and hold plain numpy arrays so the generator can sample them vectorised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from rapidfuzz import fuzz

from linkage import reference

#: First CNIC digit per province (python-stdnum ``PROVINCES``; SOURCES.md section 3).
PROVINCE_CODE: dict[str, int] = {
    "Khyber Pakhtunkhwa": 1,
    "FATA": 2,
    "Punjab": 3,
    "Sindh": 4,
    "Balochistan": 5,
    "Islamabad Capital Territory": 6,
}

# --- hand-written spelling lists -----------------------------------------------------------
# District spellings seen in registry and beneficiary lists (old names, abbreviations,
# phonetic spellings); several are the spellings of the community CNIC list (1.4).
DISTRICT_VARIANTS: dict[str, tuple[str, ...]] = {
    "Larkana": ("Larkano", "Larkhana"),
    "Hyderabad": ("Hydrabad", "Haiderabad", "Hyderabad Sindh"),
    "Rahim Yar Khan": ("RY Khan", "R.Y. Khan", "Rahimyar Khan", "Rahim Yaar Khan"),
    "Rawalpindi": ("Rawal Pindi", "Pindi", "Rwp"),
    "Tharparkar": ("Thar Parkar", "Thar", "Mithi"),
    "Nowshera": ("Nowshehra", "Naushera", "Noshera"),
    "Dera Ghazi Khan": ("D.G. Khan", "DG Khan", "D G Khan", "Dera Ghazi Kahn"),
    "Dera Ismail Khan": ("D.I. Khan", "DI Khan", "D I Khan"),
    "Muzaffargarh": ("Muzafargarh", "Muzaffar Garh", "Mzg"),
    "Sheikhupura": ("Shekhupura", "Sheikhopura", "Shiekhupura"),
    "Faisalabad": ("Lyallpur", "Faislabad", "Fsd"),
    "Toba Tek Singh": ("T.T. Singh", "TT Singh", "Toba Tek Sing"),
    "Mandi Bahauddin": ("M.B. Din", "Mandi Baha ud Din", "Mandi Bahaudin"),
    "Nankana Sahib": ("Nankana", "Nankana Sb"),
    "Bahawalnagar": ("Bahawal Nagar", "Bwn"),
    "Bahawalpur": ("Bahawal Pur", "Bwp"),
    "Pakpattan": ("Pak Pattan", "Pakpatan"),
    "Abbottabad": ("Abbotabad", "Abottabad"),
    "Peshawar": ("Peshawer", "Pesh"),
    "Mansehra": ("Manshera", "Mansehra Hazara"),
    "Batagram": ("Battagram",),
    "Lakki Marwat": ("Lucky Marwat", "Lakki"),
    "Shaheed Benazirabad": ("Nawabshah", "SBA", "Shaheed Benazir Abad"),
    "Kambar Shahdad Kot": ("Qambar Shahdadkot", "Kamber", "Qambar Shahdad Kot"),
    "Naushahro Feroze": ("Noshero Feroz", "Naushero Feroze", "Nausheroferoz"),
    "Mirpur Khas": ("Mirpurkhas", "Meerpur Khas"),
    "Umer Kot": ("Umerkot", "Umarkot"),
    "Tando Allahyar": ("Tando Allah Yar", "Tando Allahiar"),
    "Tando Muhammad Khan": ("Tando Mohammad Khan", "T.M. Khan"),
    "Jacobabad": ("Jacobabad Sindh", "Jekababad"),
    "Kashmore": ("Kashmor", "Kandhkot"),
    "Matiari": ("Matiyari", "Matyari"),
    "Badin": ("Badeen",),
    "Malir": ("Maleer", "Karachi Malir"),
    "Karachi East": ("Karachi (East)", "Karachi-East", "East Karachi", "Karachi Sharqi"),
    "Karachi West": ("Karachi (West)", "Karachi-West", "Karachi Gharbi"),
    "Karachi Central": ("Karachi (Central)", "Central Karachi", "Karachi Wasti"),
    "Karachi South": ("Karachi (South)", "Karachi-South", "Karachi Junubi"),
    "Killa Abdullah": ("Qila Abdullah", "Killa Abdulla"),
    "Killa Saifullah": ("Qila Saifullah", "Killa Saif Ullah"),
    "Jaffarabad": ("Jafarabad", "Jaffar Abad"),
    "Nasirabad": ("Naseerabad", "Nasir Abad"),
    "Kachhi": ("Kachi", "Bolan"),
    "Gwadar": ("Gawadar", "Gwader"),
    "Chagai": ("Chaghi", "Chagi"),
    "Musakhel": ("Musa Khel", "Musakhail"),
    "Sibi": ("Sibbi",),
    "Lasbela": ("Las Bela", "Lasbella"),
    "Kech": ("Turbat", "Kech (Turbat)"),
    "Bajaur": ("Bajour", "Bajaur Agency"),
    "Mohmand": ("Mehmand", "Mohmand Agency"),
    "Kurram": ("Kuram", "Kurram Agency"),
    "Khyber": ("Khyber Agency", "Khaibar"),
    "North Waziristan": ("N. Waziristan", "North Wazirstan", "Narth Waziristan"),
    "South Waziristan": ("S. Waziristan", "South Wazirstan"),
    "Islamabad": ("ICT", "Isb", "Islamabad Capital"),
    "Jhang": ("Jhang Sadar", "Jang"),
    "Khairpur": ("Khairpur Mirs", "Khair Pur"),
    "Charsadda": ("Charsada", "Charsaddah"),
    "Sahiwal": ("Sahiwal Punjab", "Saiwal"),
    "Sialkot": ("Sailkot", "Sialkote"),
    "Gujranwala": ("Gujranwalla", "Gujranwala Cantt"),
    "Multan": ("Multan Sadar", "Mooltan"),
}

PROVINCE_VARIANTS: dict[str, tuple[str, ...]] = {
    "Khyber Pakhtunkhwa": ("NWFP", "KPK", "KP", "K.P.K", "Khyber Pakhtoonkhwa", "N.W.F.P"),
    "Sindh": ("Sind", "SINDH", "sindh"),
    "Punjab": ("Panjab", "PUNJAB", "Pb"),
    "Balochistan": ("Baluchistan", "Blochistan", "BALOCHISTAN"),
    "FATA": ("Ex-FATA", "Tribal Areas", "KP Merged Districts", "F.A.T.A"),
    "Islamabad Capital Territory": ("Islamabad", "ICT", "Federal Capital"),
}

# Surnames the reference list holds that are strongly regional; boosted in that
# province so that, e.g., Khan dominates KP and Soomro/Memon appear in Sindh.
REGIONAL_FAMILY: dict[int, tuple[str, ...]] = {
    1: ("Khan", "Khattak", "Yousafzai", "Yusufzai", "Bangash", "Marwat", "Durrani", "Orakzai",
        "Mashwani", "Tanoli", "Gandapur", "Hoti", "Shah", "Gul", "Wazir", "Awan"),
    2: ("Khan", "Wazir", "Mahsud", "Orakzai", "Bangash", "Shah", "Gul", "Afridi"),
    3: ("Jutt", "Rajput", "Awan", "Malik", "Chaudhry", "Butt", "Bhatti", "Gill", "Sandhu",
        "Cheema", "Bajwa", "Randhawa", "Ghuman", "Khokhar", "Dogar", "Mughal", "Sial",
        "Tiwana", "Qureshi", "Sheikh", "Rana", "Dasti", "Khosa", "Langah"),
    4: ("Soomro", "Memon", "Sheikh", "Jatoi", "Junejo", "Kalhoro", "Laghari", "Talpur", "Khoso",
        "Hingoro", "Jakhrani", "Mirani", "Shah", "Siddiqui", "Qureshi", "Mahar", "Rajput"),
    5: ("Baloch", "Mengal", "Kakar", "Rind", "Magsi", "Zehri", "Jamali", "Shahwani",
        "Mandokhel", "Tarin", "Mirwani", "Khan", "Langah"),
    6: ("Abbasi", "Kiani", "Raja", "Awan", "Malik", "Chaudhry", "Qureshi", "Khan", "Butt"),
}

# Urdu spellings for common surnames missing from the urdupoint list, plus corrections
# where that list gives a different word (مالک "owner" for the surname Malik ملک).
URDU_EXTRA: dict[str, str] = {
    "butt": "بٹ", "baloch": "بلوچ", "jutt": "جٹ", "rajput": "راجپوت", "soomro": "سومرو",
    "bhatti": "بھٹی", "khattak": "خٹک", "memon": "میمن", "siddiqui": "صدیقی",
    "ansari": "انصاری", "malik": "ملک", "abdul": "عبدال", "ul": "ال", "e": "ے",
    "cheema": "چیمہ", "bajwa": "باجوہ", "jatoi": "جتوئی", "laghari": "لغاری",
    "mughal": "مغل", "yousafzai": "یوسفزئی", "kakar": "کاکڑ",
}

MUHAMMAD_FORMS: tuple[str, ...] = (
    "Mohammad", "Muhammed", "Mohammed", "Muhamad", "Mohd", "Md", "Muhd", "M.",
)

# Locality words for addresses (common Pakistani mohalla/colony stems and landmarks).
MOHALLA_NAMES: tuple[str, ...] = (
    "Islampura", "Gulshan", "Rehmanabad", "Farooqabad", "Madina", "Ghousia", "Usmania",
    "Nishatabad", "Model Town", "Iqbal Town", "Gulberg", "Samanabad", "Mustafaabad",
    "Faisal", "Bilal", "Haideri", "Jinnah", "Qasimabad", "Noorpur", "Rasoolpura",
    "Hussainabad", "Sadiqabad", "Muslim", "Gulzar", "Shah Faisal", "Ziaabad", "Baghbanpura",
    "Christian", "Sheikhan", "Arain", "Chishtia", "Qadirabad", "Darbar", "Mian", "Awan",
    "Pathan", "Rajput", "Masjid", "Bazar", "Purana", "Naya", "Kumharan", "Lohar",
    "Mochi", "Kashmiri", "Ansar", "Gharibabad", "Mehmoodabad", "Ahmadabad", "Raheemabad",
)
LANDMARKS: tuple[str, ...] = (
    "Jamia Masjid", "Markazi Masjid", "Govt Primary School", "Govt Girls High School", "BHU",
    "Imam Bargah", "Railway Phatak", "Bus Stand", "Chowk", "Darbar", "Police Chowki",
    "Water Tank", "Post Office", "Eidgah", "Qabristan", "Union Council Office",
)
#: Village-name prefixes by CNIC province code: Punjab chaks/bastis, Sindh goths,
#: Balochistan killis, KP/FATA kalay and bandas.
VILLAGE_PREFIX: dict[int, tuple[str, ...]] = {
    1: ("Village", "Kalay", "Banda", "Dheri", "Mohallah"),
    2: ("Village", "Kalay", "Killi"),
    3: ("Chak", "Basti", "Mauza", "Dhok", "Kot", "Village"),
    4: ("Goth", "Village", "Deh"),
    5: ("Killi", "Goth", "Village"),
    6: ("Village", "Mauza", "Dhok"),
}
CHAK_SUFFIX: tuple[str, ...] = ("GB", "JB", "RB", "WB", "EB", "SB", "TDA", "ML")


# --- geography --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geography:
    """Districts (PBS 2017) with tehsils and CNIC prefixes, as parallel arrays.

    Index ``d`` addresses ``district``/``province``/... ; tehsils are sorted by district and
    ``tehsil_key = d + cumulative population share within d`` so one ``searchsorted`` picks
    a population-weighted tehsil for every household at once.
    """

    district: np.ndarray
    province: np.ndarray
    province_code: np.ndarray
    population: np.ndarray
    urban_share: np.ndarray
    tehsil: np.ndarray
    tehsil_district: np.ndarray
    tehsil_population: np.ndarray
    tehsil_key: np.ndarray
    cnic_prefix: np.ndarray
    cnic_start: np.ndarray
    cnic_count: np.ndarray

    def sample_districts(self, rng: np.random.Generator, n: int, weight: np.ndarray | None = None):
        """Population-weighted district indices (optionally re-weighted, e.g. urban pull)."""
        w = self.population if weight is None else self.population * weight
        return rng.choice(len(w), size=n, p=w / w.sum())

    def sample_tehsils(self, rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
        """A tehsil in each given district, weighted by tehsil population."""
        u = rng.random(len(district))
        idx = np.searchsorted(self.tehsil_key, district + u, side="right")
        return np.minimum(idx, len(self.tehsil) - 1)

    def sample_cnic_prefix(self, rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
        """A real 5-digit locality prefix for each birth district."""
        pick = self.cnic_start[district] + (rng.random(len(district)) * self.cnic_count[district]).astype(np.int64)
        return self.cnic_prefix[pick]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z ]", "", name.lower()).strip()


def _district_prefixes(districts, localities) -> list[np.ndarray]:
    """CNIC prefixes for each district: same province digit and a close district name.

    The community list spells districts its own way (BADEEN, MALEER, TAANK), so names
    are matched fuzzily within the province; where nothing matches, any prefix of the
    province is used, which keeps the first digit right.
    """
    out = []
    for name, prov in zip(districts["district_name"], districts["province"], strict=True):
        code = str(PROVINCE_CODE[prov])
        cand = localities[localities["d1"] == code]
        scores = np.array([fuzz.ratio(_norm(name), _norm(x)) for x in cand["d3_district"]])
        good = cand[scores >= 80] if len(cand) else cand
        if len(good) == 0:
            good = cand
        out.append(np.unique(good["cnic_prefix_5"].to_numpy(dtype=str)).astype(object))
    return out


@cache
def geography() -> Geography:
    """Build the geography arrays from the packaged census and CNIC-prefix files."""
    d = reference.districts().reset_index(drop=True)
    t = reference.tehsils()
    loc = reference.cnic_localities()
    d_index = {name: i for i, name in enumerate(d["district"])}
    t = t.assign(d=t["district_pbs2017"].map(d_index)).sort_values(["d", "tehsil_name"], kind="stable")
    tpop = t["population_2017"].to_numpy(dtype=float)
    td = t["d"].to_numpy(dtype=np.int64)
    share = tpop / np.bincount(td, weights=tpop, minlength=len(d))[td]
    cum = np.zeros(len(t))
    for i in range(len(d)):  # 135 districts: tiny loop, run once
        m = td == i
        cum[m] = np.cumsum(share[m])
    prefixes = _district_prefixes(d, loc)
    counts = np.array([len(p) for p in prefixes])
    return Geography(
        district=d["district_name"].to_numpy(dtype=object),
        province=d["province"].to_numpy(dtype=object),
        province_code=d["province"].map(PROVINCE_CODE).to_numpy(dtype=np.int64),
        population=d["population_2017"].to_numpy(dtype=float),
        urban_share=d["urban_proportion_pct_2017"].fillna(0).to_numpy(dtype=float) / 100.0,
        tehsil=t["tehsil_name"].to_numpy(dtype=object),
        tehsil_district=td,
        tehsil_population=tpop,
        tehsil_key=td + cum,
        cnic_prefix=np.concatenate(prefixes),
        cnic_start=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
        cnic_count=counts.astype(np.int64),
    )


# --- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePools:
    """Given-name and family-name pools with Zipf-like sampling weights.

    No Pakistani name-frequency data exists (SOURCES.md section 4), so weights are a Zipf
    curve over the faker-pk order (which starts with the common names), with the
    Wikipedia top-10 forenames pushed to the top.  ``family_p`` has one row per CNIC
    province code so regional surnames are likelier in their region.
    """

    male: np.ndarray
    male_p: np.ndarray
    female: np.ndarray
    female_p: np.ndarray
    family: np.ndarray
    family_p: np.ndarray  # shape (8, len(family)), row = province code
    variants: dict[str, tuple[str, ...]]
    urdu: dict[str, str]

    def given(self, rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
        """One given name per row, drawn from the pool of that row's sex."""
        out = np.empty(len(female), dtype=object)
        nf = int(female.sum())
        out[female] = rng.choice(self.female, size=nf, p=self.female_p)
        out[~female] = rng.choice(self.male, size=len(female) - nf, p=self.male_p)
        return out

    def family_names(self, rng: np.random.Generator, province_code: np.ndarray) -> np.ndarray:
        """One family name per row, weighted for that row's province."""
        out = np.empty(len(province_code), dtype=object)
        for code in np.unique(province_code):
            m = province_code == code
            out[m] = rng.choice(self.family, size=int(m.sum()), p=self.family_p[code])
        return out


def _zipf(n: int, s: float) -> np.ndarray:
    return 1.0 / np.arange(2, n + 2, dtype=float) ** s


def _given_pool(names: list[str], top: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Unique names, the Wikipedia top-10 interleaved with faker-pk's first ten, then the rest.

    Weights fall as 1/(rank+8) so the head is common (a few percent each, like Ali or
    Fatima) without one name swamping the pool; the top-10 are boosted a further x2.
    """
    head = [x for pair in zip(top, names[: len(top)], strict=False) for x in pair]
    order = list(dict.fromkeys(head + names))
    w = 1.0 / (np.arange(len(order)) + 8.0)
    w *= np.array([2.0 if x in top else 1.0 for x in order])
    return np.array(order, dtype=object), w / w.sum()


def _variant_map(vocab_tokens: set[str]) -> dict[str, tuple[str, ...]]:
    """Attested alternative spellings for every token of the name vocabulary.

    Urdu-spelling groups (urdupoint) are attested spellings; Arabic-spelling groups
    (arabnamer) are partly rule-generated, so only those close to the original
    (rapidfuzz ratio >= 75, no apostrophes) are kept.  Tokens with no attested variant
    get common romanisation swaps (ee/i, oo/u, q/k, final -ah/-a).
    """
    groups: dict[str, set[str]] = {}
    for variants in reference.name_variants_urdu()["latin_variants"]:
        vs = [v.strip() for v in variants.split("|") if v.strip()]
        for v in vs:
            groups.setdefault(v.lower(), set()).update(vs)
    for variants in reference.name_variants_arabic()["latin_variants"]:
        vs = [v.strip().title() for v in variants.split("|") if "'" not in v]
        for v in vs:
            if v.lower() in vocab_tokens:
                near = {x for x in vs if fuzz.ratio(v.lower(), x.lower()) >= 75}
                groups.setdefault(v.lower(), set()).update(near)
    rules = (("ee", "i"), ("oo", "u"), ("ou", "u"), ("q", "k"), ("ai", "ay"), ("z", "s"),
             ("eh", "ah"), ("aa", "a"))
    out: dict[str, tuple[str, ...]] = {}
    for tok in sorted(vocab_tokens):
        cand = {v for v in groups.get(tok, set()) if v.lower() != tok}
        if not cand:
            for a, b in rules:
                if a in tok:
                    cand.add(tok.replace(a, b, 1).title())
            if tok.endswith("ah"):
                cand.add(tok[:-1].title())
            elif tok.endswith("a"):
                cand.add((tok + "h").title())
        if cand:
            out[tok] = tuple(sorted(cand))
    out["muhammad"] = MUHAMMAD_FORMS
    return out


@cache
def name_pools() -> NamePools:
    """Build the name pools and the variant and Urdu-script lookups (once per process)."""
    n = reference.pk_names()
    top = reference.top_forenames()
    prefix_like = {"Muhammad", "Mohammad"}
    male_top = [x for x in top[top["gender"] == "M"].sort_values("rank", key=lambda s: s.astype(int))["name"] if x not in prefix_like]
    female_top = list(top[top["gender"] == "F"].sort_values("rank", key=lambda s: s.astype(int))["name"])
    male_names = [x for x in n.loc[n["name_type"] == "male", "name"] if x not in prefix_like]
    female_names = list(n.loc[n["name_type"] == "female", "name"])
    male, male_p = _given_pool(male_names, male_top)
    female, female_p = _given_pool(female_names, female_top)

    fam = list(dict.fromkeys(list(n.loc[n["name_type"].isin(["caste", "last"]), "name"])))
    castes = set(n.loc[n["name_type"] == "caste", "name"])
    for names in REGIONAL_FAMILY.values():  # regional names missing from the list (Afridi)
        fam += [x for x in names if x not in fam]
    base = _zipf(len(fam), 0.6)
    base *= np.array([2.0 if f in castes else 1.0 for f in fam])
    base[fam.index("Khan")] *= 6.0  # Pakistan's commonest surname, in every province
    family_p = np.tile(base, (8, 1))
    for code, names in REGIONAL_FAMILY.items():
        for name in names:
            boost = 60.0 if name == "Khan" and code in (1, 2) else 12.0
            family_p[code, fam.index(name)] *= boost
    family_p /= family_p.sum(axis=1, keepdims=True)

    tokens = {t for x in [*male, *female, *fam, "Muhammad", "Bibi", "Begum", "Khatoon"]
              for t in x.lower().replace("-", " ").split()}
    lu = reference.names_latin_urdu()
    urdu = dict(zip(lu["name_latin"].str.lower(), lu["name_urdu"], strict=True))
    urdu = {k: v for k, v in urdu.items() if k in tokens} | URDU_EXTRA
    return NamePools(
        male=male, male_p=male_p, female=female, female_p=female_p,
        family=np.array(fam, dtype=object), family_p=family_p,
        variants=_variant_map(tokens), urdu=urdu,
    )
