"""Reading Tamil word forms back to their lemmas, for `corpusgen check` and concept recall.

The analyser runs the other way from the grammar and shares only its table of irregular
verbs with it. It strips what a form may end in (the doubled consonant of sandhi, the
clitic -உம், a case suffix, a plural, a tense and person ending), undoes the seam at each
step (a fused vowel back to a bare consonant, a glide dropped, a doubled consonant made
single, -த்த் back to -ம், an elided -உ restored) and keeps every string it passes through;
a caller intersects the candidates with the words it knows. Written by hand: no Tamil
lemmatiser on PyPI works offline on these forms (the finite-state one needs a foma binary
and a lexicon that lacks most of ours; the others are suffix lists without sandhi).
"""

from __future__ import annotations

from functools import lru_cache

from mnemophrase.corpusgen.lang.ta.script import PULLI, SIGN
from mnemophrase.corpusgen.lang.ta.verbs import IRREGULAR, flat_forms, verb_forms

# vowel-initial suffixes a noun or verb form may end in, longest first within a layer
CLITICS = ("உம்",)
CASES = ("உக்கு", "உடன்", "இடம்", "இல்", "இன்", "ஆல்", "ஓடு", "ஆக", "ஐ")
VOWEL_SIGNS = frozenset(s for s in SIGN.values() if s)
# finite and participle endings after the tense marker: person/number/gender
PERSONS = ("ஆர்கள்", "அது", "ஆன்", "ஆள்", "ஆர்", "ஏன்", "அன", "அ", "உ")
HARD = "கசதப"


def _strip_vowel_suffix(token: str, suffix: str) -> str | None:
    """The consonant-final stem `token` is `stem + suffix` of, the vowel fused: மரத்தில்
    less இல் is மரத்த். None when the token does not end that way."""
    vowel, rest = suffix[0], suffix[1:]
    sign = SIGN[vowel]
    tail = sign + rest
    if not token.endswith(tail) or len(token) <= len(tail):
        return None
    head = token[: len(token) - len(tail)]
    if sign == "" and (head.endswith(PULLI) or head[-1] in VOWEL_SIGNS):
        return None  # an inherent -அ sits on a bare consonant only
    if not ("\u0b95" <= head[-1] <= "\u0bb9"):
        return None
    return head + PULLI


def _stems(stem: str) -> set[str]:
    """What a consonant-final stem left by stripping may stand for."""
    out = {stem}
    if len(stem) >= 4 and stem[-2:] in ("ய்", "வ்") and stem[-3] in VOWEL_SIGNS | {"\u0b95"}:
        out.add(stem[:-2])  # a glide: நதிய் -> நதி
    if len(stem) >= 4 and stem[-2:] in ("ய்", "வ்") and "\u0b95" <= stem[-3] <= "\u0bb9":
        out.add(stem[:-2])  # a glide after an inherent -அ
    if stem.endswith("த்த்"):
        out.add(stem[:-4] + "ம்")  # மரத்த் -> மரம்
    if len(stem) >= 4 and stem[-4] == stem[-2] and stem[-3] == PULLI == stem[-1]:
        single = stem[:-2]
        out.add(single)  # கல்ல் -> கல்
        if stem[-2] in "டற":
            out.add(single[:-1] + "ு")  # வீட்ட் -> வீடு
    if stem.endswith(PULLI):
        out.add(stem[:-1] + "ு")  # an elided -உ: காற்ற் -> காற்று
    return out


def _strip_nominal(token: str) -> set[str]:
    found = {token}
    if token.endswith("க்கான"):
        found.add(token[:-5] + "க்கு")  # "for": the dative with -ஆன
    for layer in (CLITICS, CASES):
        new = set()
        for form in found:
            for suffix in layer:
                stem = _strip_vowel_suffix(form, suffix)
                if stem:
                    new |= _stems(stem)
            if form.endswith("க்கு") and len(form) > 4:
                new.add(form[:-4])  # நதிக்கு, காற்றுக்கு
        found |= new
    for form in list(found):
        for ending, replacement in (("ங்கள்", "ம்"), ("ற்கள்", "ல்"), ("ட்கள்", "ள்"),
                                    ("ர்கள்", "ன்"), ("க்கள்", ""), ("கள்", "")):
            if form.endswith(ending) and len(form) > len(ending):
                found.add(form[: -len(ending)] + replacement)
    return found


def _strip_verbal(token: str) -> set[str]:
    found: set[str] = set()
    if token.endswith("ும்"):  # the future participle: ஓடும், வளரும், செல்லும், நடக்கும்
        base = token[:-3]
        found |= {base + "ு", base + PULLI}
        for strong, final in (("க்க", ""), ("ற்க", "ல்"), ("ட்க", "ள்")):
            if base.endswith(strong):
                found.add(base[:-3] + final)
        if len(base) >= 3 and base[-2] == PULLI and base[-3] == base[-1]:
            found.add(base[:-1])  # செல்லும் -> செல்
    heads = {stem for person in PERSONS if (stem := _strip_vowel_suffix(token, person))}
    for head in heads:
        for marker in TENSE_MARKERS:
            if head.endswith(marker) and len(head) > len(marker):
                found |= _roots(head[: -len(marker)], marker)
        if head.endswith(("ின்", "ிய்")):
            found.add(head[:-3] + "ு")  # ஓடினான், ஓடியது, ஓடின -> ஓடு
    if token.endswith("ி"):
        found.add(token[:-1] + "ு")  # the verbal participle: ஓடி -> ஓடு
    found |= {root for root, forms in _irregular_forms().items() if token in forms}
    return found


# present, present plural and past markers, longest first
TENSE_MARKERS = ("க்கின்ற்", "கின்ற்", "க்கிற்", "கிற்", "ந்த்", "த்த்", "த்", "ன்ற்", "ண்ட்",
                 "ற்ற்", "ட்ட்")


def _roots(root: str, marker: str) -> set[str]:
    """The roots a stem before a tense marker may be, undoing the root's assimilation."""
    out = {root}
    if marker.startswith("க்க"):
        out = set()  # a strong present: the root is what precedes -க்-
    if marker in ("க்கிற்", "க்கின்ற்") or marker.startswith("கி"):
        if root.endswith(("ற்", "ட்")):
            out.add(root[:-2] + ("ல்" if root.endswith("ற்") else "ள்"))  # நிற்கிறது -> நில்
        out.add(root)
    final = {"ன்ற்": "ல்", "ண்ட்": "ள்", "ற்ற்": "ல்", "ட்ட்": "ள்"}.get(marker)
    if final:
        out.add(root + final)  # சென்றது -> செல், உருண்டது -> உருள், கேட்டது -> கேள்
    return out


@lru_cache(maxsize=1)
def _irregular_forms() -> dict[str, frozenset[str]]:
    return {root: frozenset(flat_forms(verb_forms(root, "irregular"))) for root in IRREGULAR}


@lru_cache(maxsize=65536)
def lemma_candidates(token: str) -> frozenset[str]:
    """Every string `token` may be a form of (lemmas among them)."""
    found = {token}
    if len(token) >= 3 and token[-1] == PULLI and token[-2] in HARD and token[-3] != PULLI:
        token = token[:-2]  # the doubled consonant of sandhi: பெட்டியைக் -> பெட்டியை
    if token.endswith("தாகவும்"):
        found.add(token[:-7])  # an adjective said of a noun: பெரியதாகவும் -> பெரிய
    if "\u0b95" <= token[-1] <= "\u0bb9":
        found.add(token + "ம்")  # a noun in -ம் as a modifier: நீல -> நீலம்
    return frozenset(found | {token} | _strip_nominal(token) | _strip_verbal(token))
