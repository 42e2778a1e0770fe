"""Word lists and tokenising rules for Pakistani person names.

The lists are decisions, written down once so they can be argued with:

* ``HONORIFICS`` are dropped from the standardised name altogether (Mr, Dr, Haji, Janab,
  Mst./Mossammat, Mohtarma, Late, Sahib...): they describe the person, not the name.
* ``RELATION_MARKERS`` (s/o, d/o, w/o, bin, binte, walad, son of...) end a person's own
  name: what follows is the father's or husband's name.
* ``TITLE_PREFIXES`` (Muhammad, Syed/Syeda, Mian, Malik, Hafiz, Qari, Maulana, Chaudhry,
  Rana, Raja, Sardar, Khawaja, Mirza, Sheikh, Pir, Agha...) stay in the name but are
  skipped when they *lead* the name, for picking the given name: "Ch. Muhammad Aslam" is
  called Aslam. At the end of a name they are family names ("Ahmed Sheikh").
* ``FEMALE_FILLERS`` (Bibi, Begum, Khatoon, Bano, Mai, Bi) are added and dropped freely on
  forms; they stay in the standardised name but never count as given or family name.
* ``ABBREVIATIONS`` fold abbreviations and hand-checked spellings onto one form before the
  reference variant groups apply (Mohd/Md/M. -> muhammad, Ch. -> chaudhry). They also
  keep apart what the reference groups wrongly merge: Syed (title) vs Saeed (given name).
* Compounds are joined into one token so they stay meaningful: a prefix (Abdul, Abdur,
  Abdus, Abu, Ghulam, Allah, Khuda) joins the next token ("abdul rehman" ->
  "abdulrehman", "ghulam rasool" -> "ghulamrasool"); an infix (e, ul, ud, ur, us, un,
  tul...) joins both neighbours ("zain ul abidin" -> "zainulabidin"); a suffix (ullah,
  uddin) joins the previous token ("saif ullah" -> "saifullah"). "Allah" joins forward
  before a known tail (Allah Ditta, Allah Bakhsh) and backward otherwise (Rahmat Allah).
"""

from __future__ import annotations

import re
import unicodedata

from linkage.standardise._common import words

# --- word lists -------------------------------------------------------------------------

HONORIFICS = frozenset(
    words("""mr mrs ms miss mister dr doctor prof professor engr engineer haji hajji haj hajj
    alhaj alhajj alhaaj janab jnab mohtarma muhtarma mohtrma mst msst musammat musammat
    mussammat mossammat mosammat mussamat musamat mosamat msmt late marhoom marhum
    marhooma sahib sahab saheb sahiba sb hazrat sir lady dame rev revd reverend madam""")
)

TITLE_PREFIXES = frozenset(
    words("""muhammad syed syeda mian malik hafiz hafiza qari maulana maulvi mufti pir sahibzada
    chaudhry rana raja sardar nawab khawaja mirza sheikh agha makhdoom sufi""")
)

FEMALE_FILLERS = frozenset(words("bibi bi begum khatoon bano mai"))

#: token -> canonical token, applied before the reference variant groups (which they win).
ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(
        words("""m md mhd mohd muhd mohamad mohamed mohammad mohammed muhamad muhamed muhammed
        mohamd mohammd mohmmad muhmmad mohmad mahammad mohammod muhammud mohummad
        mouhammad"""),
        "muhammad",
    ),
    **dict.fromkeys(
        words("sayed sayyed sayyid syyed sayid saiyid saiyed seyyed seyed syd sayad sayyad"),
        "syed",
    ),
    **dict.fromkeys(words("sayeda sayyeda sayyida sayida syedah seyyeda syyeda saiyida"), "syeda"),
    **dict.fromkeys(words("said sayeed saied saeid saaed"), "saeed"),
    **dict.fromkeys(
        words("""ch chaudhary chaudhri chaudry chaudhari choudhry choudhary choudhri chowdhry
        chowdhury chowdhary chohdry chodhry chaudhery"""),
        "chaudhry",
    ),
    **dict.fromkeys(words("sh shaikh shiekh sheik shaykh"), "sheikh"),
    **dict.fromkeys(words("khwaja khowaja khuwaja khawja khuwaja"), "khawaja"),
    **dict.fromkeys(words("molana moulana mawlana maolana"), "maulana"),
    **dict.fromkeys(words("molvi moulvi maulvi"), "maulvi"),
    **dict.fromkeys(words("miyan"), "mian"),
    **dict.fromkeys(words("bux baksh bakhash buksh bukhsh bakash bakhsh"), "bakhsh"),
    **dict.fromkeys(words("bibee beebee"), "bibi"),
    **dict.fromkeys(words("begam baigum"), "begum"),
    **dict.fromkeys(words("khatun khatoun khaton khaatun khaatoon"), "khatoon"),
    **dict.fromkeys(words("banu banoo"), "bano"),
    **dict.fromkeys(words("peer"), "pir"),
}

COMPOUND_PREFIXES = frozenset(
    words("""abdul abdur abdus abdun abdut abduz abdud abdal abdel abd abdu abdo abdou abdil abu
    abul ghulam khuda""")
)
COMPOUND_INFIXES = frozenset(words("e i ul ud ur us un ut uz ush tul al el"))
COMPOUND_SUFFIXES = frozenset(words("ullah ulla ullha uddin udin uddeen udeen"))
#: second halves of "Allah ..." compound names (Allah Ditta, Allah Rakha, Allah Bakhsh...).
ALLAH_TAILS = frozenset(
    words("ditta dita rakha rakhi wasaya wassaya bakhsh dad yar dino dina bachaya warayo")
)

_COMPOUND_WORDS = COMPOUND_PREFIXES | COMPOUND_INFIXES | COMPOUND_SUFFIXES | {"allah"}

# --- relation markers -------------------------------------------------------------------

RELATION_MARKER = re.compile(
    r"(?:(?<![a-z])[sdw]\s*[/\\.]\s*o(?![a-z])\.?"
    r"|(?<![a-z])(?:son|daughter|wife|widow)\s+of(?![a-z])"
    r"|(?<![a-z])(?:bin|binte|bint|walad|wald|wld)(?![a-z]))"
)


def split_relation(text: str) -> tuple[str, str | None]:
    """Split "Own Name s/o Father Name" into the two names; a leading marker is dropped.

    >>> split_relation("naveed akhtar s/o muhammad akhtar")
    ('naveed akhtar ', ' muhammad akhtar')
    >>> split_relation("w/o ahmed ali")
    (' ahmed ali', None)
    >>> split_relation("ayesha bibi")
    ('ayesha bibi', None)
    """
    match = RELATION_MARKER.search(text)
    if match is None:
        return text, None
    if not text[: match.start()].strip():
        return split_relation(text[match.end() :])[0], None
    return text[: match.start()], text[match.end() :]


# --- Latin tokens -----------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb]")
_NON_LETTERS = re.compile(r"[^a-z]+")
_ASCII_DIGIT = re.compile(r"[0-9]")
#: A digit inside a word, or starting one of two letters or more: a letter misread by OCR
#: or mistyped ("N0SHEEN", "A1ISHBAH", "1qbal"). Left out, the word stays whole and one
#: edit from its spelling, which the comparisons allow; split there, it would become two
#: words that agree with nothing.
_MISREAD_DIGITS = re.compile(r"(?<=[a-z])[0-9](?=[a-z])|(?<![a-z0-9])[0-9](?=[a-z]{2})")


def _fold_latin(text: str) -> str:
    """Lower case, accents removed (é -> e), apostrophes deleted (Sa'ad -> saad)."""
    if text.isascii():
        return _APOSTROPHES.sub("", text.lower())
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text)


def join_compounds(tokens: list[str]) -> list[str]:
    """Join compound-name pieces into single tokens (rules in the module docstring).

    >>> join_compounds(words("abdul rehman khan"))
    ['abdulrehman', 'khan']
    >>> join_compounds(words("zain ul abidin")), join_compounds(words("saif ullah"))
    (['zainulabidin'], ['saifullah'])
    >>> join_compounds(words("allah ditta")), join_compounds(words("rahmat allah"))
    (['allahditta'], ['rahmatallah'])
    >>> join_compounds(["abdul"])
    ['abdul']
    """
    out: list[str] = []
    glue = False
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        if glue and out:
            out[-1] += tok
            glue = (tok in COMPOUND_INFIXES or tok in COMPOUND_PREFIXES) and i < last
        elif tok in COMPOUND_INFIXES and out and i < last:
            out[-1] += tok
            glue = True
        elif (
            tok in COMPOUND_SUFFIXES
            and out
            or tok == "allah"
            and out
            and not (i < last and tokens[i + 1] in ALLAH_TAILS)
        ):
            out[-1] += tok
        else:
            out.append(tok)
            glue = (tok in COMPOUND_PREFIXES or tok == "allah") and i < last
    return out


#: Muhammad spelled out in full, as the typo and shortening rules compare with
#: (``name_variants.is_muhammad_typo``).
MUHAMMAD_SPELLINGS = ("muhammad", "mohammad", "mohammed", "muhammed")
#: Spellings of Muhammad (four letters at least) that a form runs into the next word.
_FUSED_MUHAMMAD = re.compile(
    "^("
    + "|".join(
        sorted(
            (w for w, c in ABBREVIATIONS.items() if c == "muhammad" and len(w) >= 4),
            key=len,
            reverse=True,
        )
        + ["muhammad"]
    )
    + ")([a-z]{3,})$"
)
#: what follows Muhammad inside one word of a family or place name (Mohammadzai,
#: Muhammadkhel, Muhammadpur): not a given name run in
_AFTER_MUHAMMAD_IN_A_WORD = frozenset(words("zai khel zada zadah pur abad ani nagar"))


def _unfused(token: str) -> list[str]:
    """ "muhammadumar" as "muhammad", "umar": the commonest leading title run into the
    given name (a space lost on entry), which would otherwise hide the given name.

    >>> _unfused("mohammadali"), _unfused("muhammadi"), _unfused("mohammadzai")
    (['muhammad', 'ali'], ['muhammadi'], ['mohammadzai'])
    """
    fused = _FUSED_MUHAMMAD.match(token) if token.startswith("m") else None
    if fused is None or fused[2] in _AFTER_MUHAMMAD_IN_A_WORD:
        return [token]
    return ["muhammad", fused[2]]


def latin_tokens(text: str) -> list[str]:
    """Lower-case Latin tokens, abbreviations folded, honorifics dropped, compounds joined.

    Punctuation and free-standing numbers separate tokens; a digit inside a word is left
    out (``_MISREAD_DIGITS``); "Bi Bi" is read as "bibi".

    >>> latin_tokens("Mohd. Naveed Akhtar")
    ['muhammad', 'naveed', 'akhtar']
    >>> latin_tokens("Dr. Abdul-Rehman  (Late)")
    ['abdulrehman']
    >>> latin_tokens("Mst. Zainab Bi Bi 2")
    ['zainab', 'bibi']
    >>> latin_tokens("JALIL N0SHEEN")
    ['jalil', 'nsheen']
    >>> latin_tokens("W/O MUHAMMADUMAR BASHIR")[-2:]
    ['umar', 'bashir']
    """
    tokens: list[str] = []
    folded = _fold_latin(text)
    if _ASCII_DIGIT.search(folded):  # the only digits _MISREAD_DIGITS removes
        folded = _MISREAD_DIGITS.sub("", folded)
    for tok in _NON_LETTERS.sub(" ", folded).split():
        if tok == "bi" and tokens and tokens[-1] == "bi":
            tokens[-1] = "bibi"
        elif tok not in HONORIFICS:
            tokens.extend(_unfused(ABBREVIATIONS.get(tok, tok)))
    if _COMPOUND_WORDS.isdisjoint(tokens):
        return tokens
    return join_compounds(tokens)


# --- Urdu (Arabic-script) text ------------------------------------------------------------

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d\u200e\u200f]")
_ARABIC_LETTER_FOLD = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ه": "ہ",
        "ة": "ہ",
        "ۃ": "ہ",
        "ۀ": "ہ",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "ۓ": "ے",
        "٠": " ",
        "١": " ",
        "٢": " ",
        "٣": " ",
        "٤": " ",
        "٥": " ",
        "٦": " ",
        "٧": " ",
        "٨": " ",
        "٩": " ",
        "۰": " ",
        "۱": " ",
        "۲": " ",
        "۳": " ",
        "۴": " ",
        "۵": " ",
        "۶": " ",
        "۷": " ",
        "۸": " ",
        "۹": " ",
        "،": " ",
        "۔": " ",
        "؛": " ",
        "؟": " ",
    }
)

#: Urdu words with a fixed Latin reading that the name lists would get wrong or lack:
#: relation markers, honorifics, titles and fillers must read as the word-list spelling
#: (urdupoint reads خاتون as "khaatun", ملک as "mulk").
URDU_WORDS: dict[str, str] = {
    "ولد": "s/o",
    "بنت": "d/o",
    "دختر": "d/o",
    "زوجہ": "w/o",
    "بیوہ": "w/o",
    "محترمہ": "mohtarma",
    "جناب": "janab",
    "مسماۃ": "mst",
    "مسمات": "mst",
    "مسماہ": "mst",
    "حاجی": "haji",
    "ڈاکٹر": "dr",
    "مرحوم": "late",
    "مرحومہ": "late",
    "سید": "syed",
    "سیدہ": "syeda",
    "محمد": "muhammad",
    "بیبی": "bibi",
    "بی": "bi",
    "خاتون": "khatoon",
    "بیگم": "begum",
    "بانو": "bano",
    "مائی": "mai",
    "ملک": "malik",
    "چوہدری": "chaudhry",
    "چودھری": "chaudhry",
    "میاں": "mian",
    "حافظ": "hafiz",
    "مرزا": "mirza",
    "رانا": "rana",
    "راجہ": "raja",
    "قاری": "qari",
    "شیخ": "sheikh",
    "دتہ": "ditta",
    "بخش": "bakhsh",
}

_URDU_PREFIXES = frozenset({"عبد", "غلام", "ابو", "خدا"})

#: Fallback letter-by-letter reading for Urdu words missing from the name lists.
_URDU_LETTERS: dict[str, str] = {
    "ا": "a",
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ٹ": "t",
    "ث": "s",
    "ج": "j",
    "چ": "ch",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ڈ": "d",
    "ذ": "z",
    "ر": "r",
    "ڑ": "r",
    "ز": "z",
    "ژ": "zh",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "z",
    "ط": "t",
    "ظ": "z",
    "ع": "a",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ں": "n",
    "ہ": "h",
    "ھ": "h",
    "ء": "",
    "ے": "e",
}


def has_arabic_script(text: str) -> bool:
    """True when the text holds Arabic-script (Urdu, Sindhi, Pashto) letters."""
    return not text.isascii() and _ARABIC_SCRIPT.search(text) is not None


def fold_urdu(text: str) -> str:
    """Arabic and Urdu letter forms folded to one (ي/ی, ك/ک, ه/ہ, آ/ا), marks removed."""
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTER_FOLD)


def urdu_words(text: str) -> list[str]:
    """Folded Urdu words, with compound pieces glued: عبد الرحمن -> عبدالرحمن.

    A word starting with the article ال joins the previous word; عبد, غلام, ابو and خدا
    join the next one.
    """
    out: list[str] = []
    glue = False
    for word in fold_urdu(text).split():
        if out and (glue or (word.startswith("ال") and len(word) > 2)):
            out[-1] += word
        else:
            out.append(word)
        glue = word in _URDU_PREFIXES
    return out


def transliterate_letters(word: str) -> str:
    """Letter-by-letter Latin reading of an Urdu word, so an unknown name keeps a key.

    و and ی are read as consonants (w, y) at the start of the word or before a long
    vowel letter, otherwise as vowels (o, i).

    >>> transliterate_letters("نوید"), transliterate_letters("محمود")
    ('nwid', 'mhmod')
    """
    out = []
    for i, ch in enumerate(word):
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch == "و":
            out.append("w" if i == 0 or nxt in "ایے" else "o")
        elif ch == "ی":
            out.append("y" if i == 0 or nxt in "اوے" else "i")
        else:
            out.append(_URDU_LETTERS.get(ch, ""))
    return "".join(out)
