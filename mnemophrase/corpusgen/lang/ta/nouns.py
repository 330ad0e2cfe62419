"""Tamil nouns and adjectives, written by hand: cases on oblique stems, plurals, modifiers.

No library on PyPI generates Tamil word forms in-process (the finite-state analyser there
needs a foma binary and knows few of the lexicon's words), so the rules are written here.
Tamil is agglutinative and regular enough for that: a case is a suffix on the noun's
*oblique stem*, and the stem is made by a handful of rules on how the word ends —

    -அம்         -> -அத்த்    மரம் -> மரத்தில், மரத்துக்கு
    -டு / -று    doubled      வீடு -> வீட்டில், ஆறு -> ஆற்றில் (after a vowel syllable)
    -உ           elided       காற்று -> காற்றில் (but பசு, வாயு keep it with a glide)
    -இ -ஈ -ஐ     -ய்- glide   நதி -> நதியில், பூனை -> பூனையை
    -ஆ -ஊ -ஓ     -வ்- glide   அம்மா -> அம்மாவை, பூ -> பூவில்
    CVC          doubled      கல் -> கல்லில், கண் -> கண்ணை (one short syllable)
    -க் -ட் ...   doubled      டிக்கெட் -> டிக்கெட்டில் (a loan ending in a hard consonant)
"""

from __future__ import annotations

from mnemophrase.corpusgen.lang.ta.script import (
    DOUBLING,
    HARD,
    HARD_STARTS,
    LONG_VOWELS,
    PULLI,
    full_u,
    in_am,
    join,
    last_is_u,
    letters,
    one_short_syllable,
    vowel_of,
)

# the endings of relative participles, the shape of Tamil attributive adjectives: -ஆன (of
# ஆ "become"), -இய/-ஈய/-ஐய, the negative -ஆத, and past participles in a cluster
PARTICIPLE_ENDINGS = ("ான", "ிய", "ீய", "ைய", "ாத", "ந்த", "த்த", "ட்ட", "ற்ற", "ண்ட", "ன்ற", "ள்ள")

# kinship nouns in -அன் keep -ன் in the plural (மகன்கள்); other masculine -அன் -> -அர்கள்
KIN_IN_AN = frozenset({"மகன்", "கணவன்", "மணமகன்", "அண்ணன்"})
# a long syllable in -ள் that still hardens before -கள் (நாட்கள்; but கால்கள், தோள்கள்)
HARDENING_PLURALS = frozenset({"நாள்", "ஆள்"})


def _hard_final(letter: str) -> bool:
    """க் ச் ட் த் ப் ற் at a word's end: only loans end so (டிக்கெட், டார்ச்)."""
    return letter.endswith(PULLI) and letter[0] in HARD


def oblique(word: str) -> str:
    """The stem a vowel-initial case suffix is added to."""
    parts = letters(word)
    last = parts[-1]
    if in_am(parts):
        return word[:-2] + "த்த்"
    if last in ("டு", "று") and len(parts) > 1 and not parts[-2].endswith(PULLI) \
            and not full_u(parts):
        c = last[0]
        return word[:-2] + f"{c}{PULLI}{c}{PULLI}"
    if last.endswith("ு") and not full_u(parts):
        return word[:-1] + PULLI  # காற்று -> காற்ற்: the -உ gives way to the suffix's vowel
    if (one_short_syllable(parts) and last[0] in DOUBLING) or _hard_final(last):
        return word + last  # கல் -> கல்லில்; a loan's hard final too: டிக்கெட் -> டிக்கெட்டில்
    return word


def nominative_stem(word: str) -> str:
    """The stem the clitic -உம் is added to: the word itself, less a final -உ."""
    parts = letters(word)
    if last_is_u(parts) and not full_u(parts):
        return word[:-1] + PULLI
    if (one_short_syllable(parts) and parts[-1][0] in DOUBLING) or _hard_final(parts[-1]):
        return word + parts[-1]
    return word


def dative(word: str) -> str:
    """-க்கு after -இ/-ஐ and after an -உ that stays (காற்றுக்கு), else -உக்கு on the stem."""
    stem = oblique(word)
    if stem == word and vowel_of(letters(word)[-1]) in ("இ", "ஈ", "ஐ"):
        return word + "க்கு"  # நதிக்கு, பூனைக்கு
    if stem == word[:-1] + PULLI and word.endswith("ு"):
        return word + "க்கு"  # the -உ is back before a consonant: காற்றுக்கு
    return join(stem, "உக்கு")


def plural(word: str, gender: str = "n") -> str:
    parts = letters(word)
    last = parts[-1]
    if in_am(parts):
        return word[:-2] + "ங்கள்"
    if gender == "m" and last == "ன்" and vowel_of(parts[-2]) == "அ" and word not in KIN_IN_AN:
        return word[:-2] + "ர்கள்"  # மனிதன் -> மனிதர்கள்
    if last in ("ல்", "ள்") and (one_short_syllable(parts) or word in HARDENING_PLURALS):
        return word[:-2] + ("ற்" if last == "ல்" else "ட்") + "கள்"  # கல் -> கற்கள்
    if vowel_of(last) in LONG_VOWELS or full_u(parts):
        return word + "க்கள்"  # பூ -> பூக்கள், அம்மா -> அம்மாக்கள், பசு -> பசுக்கள்
    return word + "கள்"


def noun_forms(word: str, gender: str = "n") -> dict[str, str]:
    stem = oblique(word)
    dat = dative(word)
    acc = join(stem, "ஐ")
    loc = join(stem, "இல்")
    pl = plural(word, gender)
    forms = {
        "nom": word, "acc": acc, "dat": dat, "loc": loc,
        "gen": join(stem, "இன்"), "ins": join(stem, "ஆல்"),
        "soc": join(stem, "ஓடு"), "udan": join(stem, "உடன்"), "idam": join(stem, "இடம்"),
        "um": join(nominative_stem(word), "உம்"), "acc_um": join(acc, "உம்"),
        "loc_um": join(loc, "உம்"),
        "for": dat[:-1] + "ான",  # dative + ஆன: கடலுக்கான "for the sea"
        "pl": pl, "pl_acc": join(pl, "ஐ"), "pl_loc": join(pl, "இல்"), "pl_dat": join(pl, "உக்கு"),
    }
    return forms


def adjective_forms(word: str) -> dict | None:
    """A modifier before a noun: the plain form, the form before each hard consonant a noun
    may begin with, and the predicative "being X, and". A participle (ஆழமான, குளிர்ந்த,
    பெரிய, அசையாத) stands bare and doubles nothing: -து and -ஆக make it predicative
    (பெரியதாகவும்). A noun used as a modifier, as colours are, loses a final -ம் (நீலம் ->
    நீல வானம்) and, ending in a vowel, doubles the hard consonant after it (நீலக் கடல்,
    பச்சைக் கிளி); its predicative is the noun with -ஆக (பச்சையாகவும்). None for a bare
    noun stem in -அ (நிர்வாண), which is neither."""
    parts = letters(word)
    if word.endswith(PARTICIPLE_ENDINGS):
        return {"adj": word, "before": dict.fromkeys(HARD_STARTS, word),
                "pred_um": word + "தாகவும்"}
    if vowel_of(parts[-1]) == "அ":
        return None
    modifier = word[:-2] if in_am(parts) else word
    doubles = not modifier.endswith(PULLI)
    return {"adj": modifier,
            "before": {c: modifier + (c + PULLI if doubles else "") for c in HARD_STARTS},
            "pred_um": join(nominative_stem(word), "ஆகவும்")}
