"""Tamil letters and the seams between morphemes: what the noun, adjective and verb rules
all rest on — a word cut into written letters, the vowel a letter ends in, the glide or fusion
where a vowel-initial suffix meets a stem, and the syllable shapes that decide a stem's form.
"""

from __future__ import annotations

PULLI = "\u0bcd"
# vowel sign of each vowel after a consonant; அ is the consonant's own inherent vowel
SIGN = {"அ": "", "ஆ": "ா", "இ": "ி", "ஈ": "ீ", "உ": "ு", "ஊ": "ூ", "எ": "ெ", "ஏ": "ே",
        "ஐ": "ை", "ஒ": "ொ", "ஓ": "ோ", "ஔ": "ௌ"}
VOWEL_OF_SIGN = {s: v for v, s in SIGN.items() if s}
SHORT_VOWELS = frozenset("அஇஉஎஒ")
LONG_VOWELS = frozenset("ஆஈஊஏஓ")
FRONT_VOWELS = frozenset("இஈஐஎஏ")  # these take the -ய்- glide; the others -வ்-
HARD = frozenset("கசடதபற")
# a consonant that doubles after one short syllable before a vowel: கல் -> கல்லை
DOUBLING = frozenset("ணனலளய")
HARD_STARTS = ("க", "ச", "த", "ப")  # the hard consonants a word can begin with


def letters(word: str) -> list[str]:
    """The word as written letters: a consonant with its vowel sign or pulli, or a vowel."""
    out: list[str] = []
    for ch in word:
        if out and (ch in VOWEL_OF_SIGN or ch == PULLI or ch == "\u0bd7"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def vowel_of(letter: str) -> str | None:
    """The vowel a letter ends in (None for a bare consonant with pulli)."""
    if letter.endswith(PULLI):
        return None
    if letter[-1] in VOWEL_OF_SIGN:
        return VOWEL_OF_SIGN[letter[-1]]
    if letter in SIGN:  # an independent vowel
        return letter
    return "அ"


def join(stem: str, suffix: str) -> str:
    """`stem` + `suffix` with the sandhi at the seam: a suffix's first vowel fuses with a
    final consonant (மரத்த் + இல் -> மரத்தில்) or takes a glide after a vowel (நதி + இல் ->
    நதியில், அம்மா + ஐ -> அம்மாவை)."""
    if not suffix or suffix[0] not in SIGN:
        return stem + suffix
    vowel, rest = suffix[0], suffix[1:]
    if stem.endswith(PULLI):
        return stem[:-1] + SIGN[vowel] + rest
    glide = "ய" if vowel_of(letters(stem)[-1]) in FRONT_VOWELS else "வ"
    return stem + glide + SIGN[vowel] + rest


def in_am(parts: list[str]) -> bool:
    """மரம், நீலம்: a noun in -அம் (not a loan like கிரீம்), whose -ம் gives way to -த்த்-
    before a case, to -ங்- before the plural and to nothing before a noun it modifies."""
    return len(parts) > 1 and parts[-1] == "ம்" and vowel_of(parts[-2]) == "அ"


def one_short_syllable(parts: list[str]) -> bool:
    """கல், முள், பெண்: a short vowel syllable closed by a single consonant."""
    return len(parts) == 2 and vowel_of(parts[0]) in SHORT_VOWELS and parts[1].endswith(PULLI)


def full_u(parts: list[str]) -> bool:
    """A final -உ that keeps its place and takes a glide (பசு -> பசுவை, வாயு -> வாயுவை): after
    two short open syllables, or after a consonant other than a hard one or வ். After those
    (காற்று, கதவு) it is the short -உ that gives way to a suffix's vowel."""
    if not parts[-1].endswith("ு"):
        return False
    two_short = len(parts) == 2 and all(vowel_of(p) in SHORT_VOWELS for p in parts)
    return two_short or parts[-1][0] not in HARD | {"வ"}


def last_is_u(parts: list[str]) -> bool:
    return parts[-1].endswith("ு")
