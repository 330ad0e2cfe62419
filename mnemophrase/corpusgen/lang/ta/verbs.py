"""Tamil verbs, written by hand: present, past and future forms and participles.

A verb is conjugated from its root by class (the lexicon's `conj` column): whether the
present takes -கிற்- or -க்கிற்-, and which past marker the root takes (-த்-, -ந்த்-,
-இன்-, -த்த்-), with the assimilations ல் + த் -> ற்ற், ள் + ந்த் -> ண்ட் and the like; a
handful of verbs follow no class. A finite verb agrees with its subject in person, number
and gender: n (neuter: animals, children, things), m, f or h (a rational noun of either
sex, -ஆர்).
"""

from __future__ import annotations

from mnemophrase.corpusgen.lang.ta.script import (
    DOUBLING,
    join,
    last_is_u,
    letters,
    one_short_syllable,
)

GENDERS = ("n", "m", "f", "h")
CONJUGATIONS = ("weak-t", "weak-nt", "weak-in", "strong-t", "strong-tt", "strong-nt", "irregular")
# the few verbs that follow no class: present stem, past stem, future participle, verbal
# participle
IRREGULAR = {
    "வா": ("வருகிற்", "வந்த்", "வரும்", "வந்து"),
    "போ": ("போகிற்", "போன்", "போகும்", "போய்"),
    "சா": ("சாகிற்", "செத்த்", "சாகும்", "செத்து"),
    "தா": ("தருகிற்", "தந்த்", "தரும்", "தந்து"),
}
PERSON = {"n": "அது", "m": "ஆன்", "f": "ஆள்", "h": "ஆர்"}


def _assimilate(root: str, marker: str) -> str:
    """Root + tense marker with the root-final ல்/ள்/ண்/ன் assimilating to it."""
    last = letters(root)[-1]
    head = root[:-2]
    if marker == "க்கிற்" or marker == "க்கும்" or marker == "க்கின்றன":
        if last == "ல்":
            return head + "ற்" + marker[2:]
        if last == "ள்":
            return head + "ட்" + marker[2:]
        return root + marker
    if marker in ("த்", "த்த்"):
        if last == "ல்":
            return head + "ற்ற்"
        if last == "ள்":
            return head + "ட்ட்"
        if last == "ண்":
            return head + "ண்ட்"
        if last == "ன்":
            return head + "ன்ற்"
        return root + marker
    if marker == "ந்த்":
        if last == "ல்":
            return head + "ன்ற்"
        if last == "ள்":
            return head + "ண்ட்"
        return root + marker
    return root + marker


def verb_forms(root: str, conj: str) -> dict | None:
    """Present, past and future forms; agreeing ones as {gender: form}. None when the
    root cannot be conjugated in that class (e.g. -இன்- past for a root not in -உ)."""
    parts = letters(root)
    if conj == "irregular":
        if root not in IRREGULAR:
            return None
        present, past, future, participle = IRREGULAR[root]
        present_pl = present[:-3] + "ின்றன"  # வருகிற் -> வருகின்றன
    elif conj not in CONJUGATIONS:
        return None
    else:
        strong = conj.startswith("strong")
        if strong:
            present = _assimilate(root, "க்கிற்")
            present_pl = _assimilate(root, "க்கின்றன")
            future = _assimilate(root, "க்கும்")
        else:
            present = root + "கிற்"
            present_pl = root + "கின்றன"
            if last_is_u(parts):
                future = root[:-1] + "ும்"  # ஓடு -> ஓடும்
            elif one_short_syllable(parts) and parts[-1][0] in DOUBLING:
                future = root + parts[-1][0] + "ும்"  # செல் -> செல்லும்
            else:
                future = join(root, "உம்")
        marker = {"t": "த்", "nt": "ந்த்", "tt": "த்த்"}.get(conj.split("-")[1])
        past = _assimilate(root, marker) if marker else None
    pres = {g: join(present, PERSON[g]) for g in GENDERS}
    pres_pl = {g: (present_pl if g == "n" else join(present, "ஆர்கள்")) for g in GENDERS}
    if conj == "weak-in":
        if not last_is_u(parts) or len(parts) < 2:
            return None
        base = root[:-1] + "ி"  # ஓடு -> ஓடி
        past_forms = {"n": base + "யது", "m": base + "னான்", "f": base + "னாள்", "h": base + "னார்"}
        past_rel, participle = base + "ய", base
    else:
        past_forms = {g: join(past, PERSON[g]) for g in GENDERS}
        past_rel = join(past, "அ")
        if conj != "irregular":
            participle = join(past, "உ")  # நடந்து, சென்று, படித்து
    return {
        "pres": pres, "pres_pl": pres_pl, "past": past_forms,
        "rel": future, "past_rel": past_rel, "vbp": participle, "pres1sg": join(present, "ஏன்"),
    }


def flat_forms(forms: dict) -> set[str]:
    """Every string of a `verb_forms` result."""
    return {v for value in forms.values()
            for v in (value.values() if isinstance(value, dict) else [value])}


def any_verb_forms(root: str) -> set[str]:
    """The forms `root` would have in any class: what the lexicon check looks for in the
    frequency list before the root's class is known."""
    out: set[str] = set()
    for conj in CONJUGATIONS:
        forms = verb_forms(root, conj)
        if forms is not None:
            out |= flat_forms(forms)
    return out
