"""Reference-derived vocabularies for the synthetic NSER generator.

Everything random in the generator draws from the pools built here, so that places,
CNIC prefixes and names are real (``linkage.reference``) rather than invented.  The few
hand-written lists (district and province misspellings, Muhammad forms, address words,
regional surname boosts) are small, named, and say where they come from.  Pools are
built once per process (cached) and hold plain numpy arrays so the generator can sample
them vectorised.

Spelling variants must not come from the engine's own tables: attested name variants
are drawn only from the held-out part of the reference lists
(``linkage.reference.holdout``; ``generator_may_write``), the hand lists are disjoint
from the engine's aliases and abbreviations, and Urdu script is written by rule
(``urdu_spelling``), not looked up in the list the engine reads it back with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from rapidfuzz import fuzz

from linkage import reference
from linkage.reference.holdout import is_held_out
from linkage.standardise.gazetteer import all_aliases
from linkage.standardise.name_rules import ABBREVIATIONS, latin_tokens
from linkage.standardise.name_variants import engine_spellings
from linkage.standardise.place_keys import admin_key

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
# The generator's own spellings, written for it and kept apart from the engine's hand
# tables: none of them is found by exact lookup in ``linkage.standardise.places``
# (aliases, seats, reference names after case/dot/space folding) or in the engine's
# name lists; ``tests/test_variant_split.py`` enforces it. The engine has to resolve
# them the way it would resolve a spelling no table lists, by similarity. Joins, splits,
# initials, typos and case are made procedurally (``evaluation.synthetic_errors``), not listed.

#: District misspellings: phonetic respellings and slips as written on registry and
#: beneficiary lists.
DISTRICT_VARIANTS: dict[str, tuple[str, ...]] = {
    "Larkana": ("Larkhana", "Larakana", "Larkanah"),
    "Hyderabad": ("Hyderabaad", "Hydarabad", "Heyderabad"),
    "Rahim Yar Khan": ("Rahim Yar Kahn", "Raheem Yar Khan", "Rahim Yaar Khan"),
    "Rawalpindi": ("Rawalpindy", "Rawalpndi", "Rawlpindi"),
    "Tharparkar": ("Thaparkar", "Tharparkur", "Tharparkr"),
    "Nowshera": ("Nowshara", "Noshehra", "Naushehra"),
    "Dera Ghazi Khan": ("Dera Gazi Kahn", "Dera Ghazi Kan", "Dera Ghaazi Khan"),
    "Dera Ismail Khan": ("Dera Ismial Khan", "Dera Esmail Khan", "Dera Ismaeel Khan"),
    "Muzaffargarh": ("Muzzafargarh", "Muzafrgarh", "Muzaffergarh"),
    "Sheikhupura": ("Sheikupura", "Sheikhupoora", "Shekhopura"),
    "Faisalabad": ("Faisalabaad", "Faslabad", "Fasialabad"),
    "Toba Tek Singh": ("Toba Take Singh", "Toba Tek Sigh", "Toba Tak Singh"),
    "Mandi Bahauddin": ("Mandi Bahauddeen", "Mandi Bahawuddin", "Mandi Bahawaddin"),
    "Nankana Sahib": ("Nankana Sahab", "Nankana Saheb"),
    "Bahawalnagar": ("Bahawalnagr", "Bahawelnagar", "Bhawalnagar"),
    "Bahawalpur": ("Bahawalpure", "Bhawalpur", "Bahwalpur"),
    "Pakpattan": ("Pakpatan", "Pak Patan"),
    "Abbottabad": ("Abtabad", "Ebtabad", "Abbottabaad"),
    "Peshawar": ("Peshawor", "Pishawar", "Peshwar"),
    "Mansehra": ("Mansera", "Mansahra"),
    "Batagram": ("Battagram", "Batgram"),
    "Lakki Marwat": ("Laki Marwat", "Lakki Marwet"),
    "Shaheed Benazirabad": ("Shaheed Benazeerabad", "Shaheed Benzirabad", "Shahid Benazirabad"),
    "Kambar Shahdad Kot": ("Qamber Shahdadkot", "Kamber Shahdad Kot", "Kambar Shadadkot"),
    "Naushahro Feroze": ("Nausharo Feroz", "Noshahro Feroze", "Naushahro Firoz"),
    "Mirpur Khas": ("Meerpurkhas", "Mirpur Khaas", "Mirpurkhaas"),
    "Umer Kot": ("Umer Kote", "Omerkot", "Umerkott"),
    "Tando Allahyar": ("Tando Alahyar", "Tando Allahyaar", "Tando Allah Yaar"),
    "Tando Muhammad Khan": ("Tando Mohd Khan", "Tando Muhammed Khan"),
    "Jacobabad": ("Jacobaabad", "Jaccobabad", "Jakobabad"),
    "Kashmore": ("Kashmor", "Kashmour"),
    "Matiari": ("Matiary", "Mattiari"),
    "Badin": ("Baddin", "Badinn"),
    "Malir": ("Malear", "Mallir"),
    "Karachi East": ("Karachi Est", "Karachi Easte"),
    "Karachi West": ("Karachi Wast", "Karachi Wes"),
    "Karachi Central": ("Karachi Centeral", "Karachi Centrl"),
    "Karachi South": ("Karachi Soth", "Karachi Sauth"),
    "Killa Abdullah": ("Kila Abdullah", "Qilla Abdulla"),
    "Killa Saifullah": ("Kila Saifullah", "Qila Saifulla"),
    "Jaffarabad": ("Jafferabad", "Jaffrabad"),
    "Nasirabad": ("Naseerabad", "Nasirabaad"),
    "Kachhi": ("Kacchi", "Kachchhi"),
    "Gwadar": ("Gawadar", "Gwader"),
    "Chagai": ("Chaghi", "Chagi"),
    "Musakhel": ("Musakhail", "Moosakhel"),
    "Sibi": ("Sibbi", "Seebi"),
    "Lasbela": ("Lasbella", "Lus Bela"),
    "Kech": ("Kich", "Kaich"),
    "Bajaur": ("Bajour", "Bajawar"),
    "Mohmand": ("Mehmand", "Momand"),
    "Kurram": ("Kuram", "Khurram"),
    "Khyber": ("Khaiber", "Kheyber"),
    "North Waziristan": ("North Wazirstan", "Narth Waziristan"),
    "South Waziristan": ("South Wazirstan", "Suth Waziristan"),
    "Islamabad": ("Islambad", "Islamabaad", "Islaamabad"),
    "Jhang": ("Jhung", "Jhangh"),
    "Khairpur": ("Khairpure", "Kherpur", "Khairpoor"),
    "Charsadda": ("Charsada", "Charsaddah"),
    "Sahiwal": ("Saiwal", "Sahiwall"),
    "Sialkot": ("Sailkot", "Sialkoat"),
    "Gujranwala": ("Gujranwalah", "Gujrawala", "Goojranwala"),
    "Multan": ("Multaan", "Moltan"),
    "Lahore": ("Lahor", "Lahoor", "Lahour"),
    "Quetta": ("Queta", "Kuetta", "Quatta"),
    "Sargodha": ("Sarghoda", "Sargoda"),
    "Gujrat": ("Gujarat", "Gujraat"),
    "Sukkur": ("Sukker", "Sakkar", "Sukhur"),
    "Mardan": ("Mardaan", "Merdan"),
    "Swabi": ("Sawabi", "Swaabi"),
    "Kasur": ("Kasoor", "Qasoor"),
    "Okara": ("Okarah", "Ukara"),
    "Vehari": ("Vihari", "Wehari"),
    "Khanewal": ("Khaniwal", "Khanewaal"),
    "Jhelum": ("Jehlum", "Jhelam"),
    "Chakwal": ("Chakwaal", "Chackwal"),
    "Attock": ("Atock", "Attok"),
    "Mianwali": ("Mianwaali", "Mianwalli"),
    "Bhakkar": ("Bhakar", "Bakhar"),
    "Layyah": ("Leiah", "Layya"),
    "Rajanpur": ("Rajanpoor", "Rajnpur"),
    "Dadu": ("Dado", "Daddu"),
    "Thatta": ("Thata", "Tatta"),
    "Shikarpur": ("Shikarpoor", "Shkarpur"),
    "Ghotki": ("Ghotky", "Gotki"),
    "Sanghar": ("Sangar", "Sanghaar"),
    "Kohat": ("Kohaat", "Kohatt"),
    "Bannu": ("Banu", "Bannoo"),
    "Chitral": ("Chitraal", "Chatral"),
    "Haripur": ("Haripoor", "Hairpur"),
    "Hafizabad": ("Hafizabaad", "Hafzabad"),
    "Narowal": ("Narowaal", "Naarowal"),
    "Chiniot": ("Chinyot", "Chiniote"),
    "Khushab": ("Khoshab", "Khushaab"),
    "Lodhran": ("Lodhraan", "Lodran"),
}

#: Province misspellings (the engine's alias table holds the abbreviations and old names
#: such as NWFP, KPK, Sind; initials are also made procedurally).
PROVINCE_VARIANTS: dict[str, tuple[str, ...]] = {
    "Khyber Pakhtunkhwa": (
        "Khyber Pakhtunkhuwa",
        "Khaiber Pakhtunkhwa",
        "Kyber Pakhtunkhwa",
        "Khyber Pukhtoonkhuwa",
    ),
    "Sindh": ("Sindhh", "Sinndh", "Sndh"),
    "Punjab": ("Punjaab", "Punajb", "Panjaab"),
    "Balochistan": ("Balochsitan", "Balouchistan", "Baloochistan"),
    "FATA": ("F A T A Merged", "Fatta", "Tribal Area"),
    "Islamabad Capital Territory": (
        "Islamabad Capital Teritory",
        "Islamabad Capitel Territory",
        "Islambad Capital Territory",
    ),
}

# Surnames the reference list holds that are strongly regional; boosted in that
# province so that, e.g., Khan dominates KP and Soomro/Memon appear in Sindh.
REGIONAL_FAMILY: dict[int, tuple[str, ...]] = {
    1: (
        "Khan",
        "Khattak",
        "Yousafzai",
        "Yusufzai",
        "Bangash",
        "Marwat",
        "Durrani",
        "Orakzai",
        "Mashwani",
        "Tanoli",
        "Gandapur",
        "Hoti",
        "Shah",
        "Gul",
        "Wazir",
        "Awan",
    ),
    2: ("Khan", "Wazir", "Mahsud", "Orakzai", "Bangash", "Shah", "Gul", "Afridi"),
    3: (
        "Jutt",
        "Rajput",
        "Awan",
        "Malik",
        "Chaudhry",
        "Butt",
        "Bhatti",
        "Gill",
        "Sandhu",
        "Cheema",
        "Bajwa",
        "Randhawa",
        "Ghuman",
        "Khokhar",
        "Dogar",
        "Mughal",
        "Sial",
        "Tiwana",
        "Qureshi",
        "Sheikh",
        "Rana",
        "Dasti",
        "Khosa",
        "Langah",
    ),
    4: (
        "Soomro",
        "Memon",
        "Sheikh",
        "Jatoi",
        "Junejo",
        "Kalhoro",
        "Laghari",
        "Talpur",
        "Khoso",
        "Hingoro",
        "Jakhrani",
        "Mirani",
        "Shah",
        "Siddiqui",
        "Qureshi",
        "Mahar",
        "Rajput",
    ),
    5: (
        "Baloch",
        "Mengal",
        "Kakar",
        "Rind",
        "Magsi",
        "Zehri",
        "Jamali",
        "Shahwani",
        "Mandokhel",
        "Tarin",
        "Mirwani",
        "Khan",
        "Langah",
    ),
    6: ("Abbasi", "Kiani", "Raja", "Awan", "Malik", "Chaudhry", "Qureshi", "Khan", "Butt"),
}

#: Ways of writing Muhammad that are the generator's own (the engine's abbreviation list
#: holds the common ones: Mohd, Md, Mohammad, Muhammed...). "M." and truncations come from
#: the procedural abbreviation error.
MUHAMMAD_FORMS: tuple[str, ...] = (
    "Mohammud",
    "Muhamaad",
    "Muhammd",
    "Mohmed",
    "Mahomed",
    "Muhummad",
    "Mohmd",
    "Muhmd",
)

# Locality words for addresses (common Pakistani mohalla/colony stems and landmarks).
MOHALLA_NAMES: tuple[str, ...] = (
    "Islampura",
    "Gulshan",
    "Rehmanabad",
    "Farooqabad",
    "Madina",
    "Ghousia",
    "Usmania",
    "Nishatabad",
    "Model Town",
    "Iqbal Town",
    "Gulberg",
    "Samanabad",
    "Mustafaabad",
    "Faisal",
    "Bilal",
    "Haideri",
    "Jinnah",
    "Qasimabad",
    "Noorpur",
    "Rasoolpura",
    "Hussainabad",
    "Sadiqabad",
    "Muslim",
    "Gulzar",
    "Shah Faisal",
    "Ziaabad",
    "Baghbanpura",
    "Christian",
    "Sheikhan",
    "Arain",
    "Chishtia",
    "Qadirabad",
    "Darbar",
    "Mian",
    "Awan",
    "Pathan",
    "Rajput",
    "Masjid",
    "Bazar",
    "Purana",
    "Naya",
    "Kumharan",
    "Lohar",
    "Mochi",
    "Kashmiri",
    "Ansar",
    "Gharibabad",
    "Mehmoodabad",
    "Ahmadabad",
    "Raheemabad",
)
LANDMARKS: tuple[str, ...] = (
    "Jamia Masjid",
    "Markazi Masjid",
    "Govt Primary School",
    "Govt Girls High School",
    "BHU",
    "Imam Bargah",
    "Railway Phatak",
    "Bus Stand",
    "Chowk",
    "Darbar",
    "Police Chowki",
    "Water Tank",
    "Post Office",
    "Eidgah",
    "Qabristan",
    "Union Council Office",
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
        pick = self.cnic_start[district] + (
            rng.random(len(district)) * self.cnic_count[district]
        ).astype(np.int64)
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
    t = t.assign(d=t["district_pbs2017"].map(d_index)).sort_values(
        ["d", "tehsil_name"], kind="stable"
    )
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


@cache
def _engine_place_aliases() -> frozenset[str]:
    return frozenset(admin_key(alias).replace(" ", "") for alias in all_aliases())


def generator_may_write_place(written: str) -> bool:
    """False when ``written`` is in the engine's hand list of place aliases ("LHR",
    "DGK"): the engine would look it up instead of resolving it."""
    return admin_key(written).replace(" ", "") not in _engine_place_aliases()


def generator_may_write(spelling: str) -> bool:
    """True when ``spelling`` is in no table of the engine: held out by the reference split
    (``linkage.reference.holdout``), and after the engine's own tokenising
    (``latin_tokens``) none of its tokens is a spelling the engine's name tables or hand
    lists know."""
    raw = re.findall(r"[a-z]+", spelling.lower())
    tokens = latin_tokens(spelling)
    known = engine_spellings()
    return (
        is_held_out(spelling)
        and bool(tokens)
        and not any(t in ABBREVIATIONS and ABBREVIATIONS[t] != t for t in raw)
        and not any(t in known for t in tokens)
    )


def _variant_map(vocab_tokens: set[str]) -> dict[str, tuple[str, ...]]:
    """Attested alternative spellings for tokens of the name vocabulary, from the
    held-out part of the reference lists only (``generator_may_write``).

    Urdu-spelling groups (urdupoint) are attested spellings; Arabic-spelling groups
    (arabnamer) are partly rule-generated, so only those close to the original
    (rapidfuzz ratio >= 75, no apostrophes) are kept.  Tokens without a held-out
    variant get none here: procedural respellings (``evaluation.synthetic_errors``) cover them.
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
    out: dict[str, tuple[str, ...]] = {}
    for tok in sorted(vocab_tokens):
        own = latin_tokens(tok)
        cand = {
            v
            for v in groups.get(tok, set())
            if v.lower() != tok and latin_tokens(v) != own and generator_may_write(v)
        }
        if cand:
            out[tok] = tuple(sorted(cand))
    out["muhammad"] = MUHAMMAD_FORMS
    return out


# Latin -> Urdu letters for ``urdu_spelling``: digraphs first, then single letters.
_URDU_DIGRAPHS = {
    "kh": "خ",
    "gh": "غ",
    "sh": "ش",
    "ch": "چ",
    "th": "تھ",
    "ph": "پھ",
    "bh": "بھ",
    "dh": "دھ",
    "jh": "جھ",
    "zh": "ژ",
    "aa": "ا",
    "ee": "ی",
    "oo": "و",
    "ou": "و",
    "ai": "ی",
    "ay": "ے",
    "ey": "ی",
}
_URDU_LETTERS = {
    "b": "ب",
    "p": "پ",
    "t": "ت",
    "j": "ج",
    "d": "د",
    "r": "ر",
    "z": "ز",
    "s": "س",
    "f": "ف",
    "q": "ق",
    "k": "ک",
    "g": "گ",
    "l": "ل",
    "m": "م",
    "n": "ن",
    "v": "و",
    "w": "و",
    "h": "ح",
    "y": "ی",
    "c": "ک",
    "x": "کس",
    "o": "و",
}


@cache
def urdu_spelling(token: str) -> str:
    """A Latin name written in Urdu script by ear, with the generator's own rules.

    Not from any name list (the engine reads Urdu through the urdupoint list): digraphs
    (kh, sh, gh, ch, aspirates), long vowels (aa, ee, oo) as letters, short medial
    vowels left out as Urdu writing does, an initial vowel as alif, a final -a as ہ for
    longer words and ا in short ones, -i as ی, -e as ے, h as ح except at the end (ہ).
    Names whose spelling needs ع, ص or ط come out differently from the dictionary
    spelling, as they do when a clerk spells a name by its sound.

    >>> urdu_spelling("muhammad"), urdu_spelling("naveed"), urdu_spelling("ahmad")
    ('محمد', 'نوید', 'احمد')
    """
    word = token.lower()
    out: list[str] = []
    i = 0
    while i < len(word):
        two, ch = word[i : i + 2], word[i]
        last = i == len(word) - 1
        if i > 0 and ch == word[i - 1] and ch not in "aeiou":  # doubled consonant: one letter
            i += 1
            continue
        if two in _URDU_DIGRAPHS and not (i == 0 and two in ("aa", "ai", "ay", "ee", "oo", "ou")):
            out.append(_URDU_DIGRAPHS[two])
            i += 2
            continue
        if ch in "aeiou":
            if i == 0:
                out.append("آ" if two == "aa" else "ا")
            elif last:
                out.append({"a": "ہ" if len(word) > 3 else "ا", "i": "ی", "e": "ے"}.get(ch, "و"))
            elif ch == "o" or (ch == "a" and len(word) <= 4):  # o; the long a of Khan, Shah
                out.append("و" if ch == "o" else "ا")
        elif ch == "h" and last:
            out.append("ہ")
        else:
            out.append(_URDU_LETTERS.get(ch, ""))
        i += 1
    return "".join(out)


@cache
def name_pools() -> NamePools:
    """Build the name pools and the variant and Urdu-script lookups (once per process)."""
    n = reference.pk_names()
    top = reference.top_forenames()
    prefix_like = {"Muhammad", "Mohammad"}
    male_top = [
        x
        for x in top[top["gender"] == "M"].sort_values("rank", key=lambda s: s.astype(int))["name"]
        if x not in prefix_like
    ]
    female_top = list(
        top[top["gender"] == "F"].sort_values("rank", key=lambda s: s.astype(int))["name"]
    )
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

    tokens = {
        t
        for x in [*male, *female, *fam, "Muhammad", "Bibi", "Begum", "Khatoon"]
        for t in x.lower().replace("-", " ").split()
    }
    return NamePools(
        male=male,
        male_p=male_p,
        female=female,
        female_p=female_p,
        family=np.array(fam, dtype=object),
        family_p=family_p,
        variants=_variant_map(tokens),
    )
