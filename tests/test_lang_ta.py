"""The Tamil plug-in's grammar on concrete words, its frames and its lemma reader."""

from __future__ import annotations

import pytest

from mnemophrase.corpusgen.lang import get_language
from mnemophrase.corpusgen.lang.frame_language import compile_frames
from mnemophrase.corpusgen.lang.ta import nouns, verbs
from mnemophrase.corpusgen.lang.ta.lemmas import lemma_candidates

TA = get_language("ta")


@pytest.mark.parametrize("word, form, expected", [
    ("மரம்", "loc", "மரத்தில்"), ("மரம்", "acc", "மரத்தை"), ("மரம்", "dat", "மரத்துக்கு"),
    ("மரம்", "gen", "மரத்தின்"), ("மரம்", "um", "மரமும்"), ("மரம்", "pl", "மரங்கள்"),
    ("வீடு", "dat", "வீட்டுக்கு"), ("வீடு", "loc", "வீட்டில்"), ("வீடு", "um", "வீடும்"),
    ("வீடு", "pl", "வீடுகள்"), ("சேறு", "loc", "சேற்றில்"),
    ("நதி", "loc", "நதியில்"), ("நதி", "dat", "நதிக்கு"), ("நதி", "pl", "நதிகள்"),
    ("பூனை", "acc", "பூனையை"), ("பூனை", "dat", "பூனைக்கு"), ("பூனை", "pl", "பூனைகள்"),
    ("பூனை", "idam", "பூனையிடம்"),
    ("காற்று", "loc", "காற்றில்"), ("காற்று", "dat", "காற்றுக்கு"), ("காற்று", "ins", "காற்றால்"),
    ("குன்று", "loc", "குன்றில்"), ("கதவு", "acc", "கதவை"),
    ("பசு", "acc", "பசுவை"), ("பசு", "pl", "பசுக்கள்"), ("தெரு", "loc", "தெருவில்"),
    ("வாயு", "acc", "வாயுவை"),
    ("அம்மா", "dat", "அம்மாவுக்கு"), ("அம்மா", "pl", "அம்மாக்கள்"), ("பூ", "pl", "பூக்கள்"),
    ("பூ", "loc", "பூவில்"),
    ("கல்", "loc", "கல்லில்"), ("கல்", "pl", "கற்கள்"), ("கண்", "acc", "கண்ணை"),
    ("முள்", "pl", "முட்கள்"), ("கால்", "pl", "கால்கள்"), ("நாள்", "pl", "நாட்கள்"),
    ("கிரீம்", "loc", "கிரீமில்"), ("கிரீம்", "pl", "கிரீம்கள்"), ("நீர்", "dat", "நீருக்கு"),
    ("கடல்", "soc", "கடலோடு"), ("நீர்", "udan", "நீருடன்"), ("டிக்கெட்", "loc", "டிக்கெட்டில்"),
    ("டார்ச்", "dat", "டார்ச்சுக்கு"),
    ("கடல்", "for", "கடலுக்கான"), ("ஒளி", "loc_um", "ஒளியிலும்"),
    ("சோகம்", "acc_um", "சோகத்தையும்"),
])
def test_noun_forms(word, form, expected):
    assert nouns.noun_forms(word)[form] == expected


def test_plural_of_rational_masculine_nouns():
    assert nouns.plural("மனிதன்", "m") == "மனிதர்கள்"
    assert nouns.plural("சிறுவன்", "m") == "சிறுவர்கள்"
    assert nouns.plural("மகன்", "m") == "மகன்கள்"  # kinship keeps -ன்
    assert nouns.plural("ஆசிரியர்", "h") == "ஆசிரியர்கள்"


@pytest.mark.parametrize("root, conj, forms", [
    ("ஓடு", "weak-in", {("pres", "n"): "ஓடுகிறது", ("past", "n"): "ஓடியது",
                        ("past", "m"): "ஓடினான்", ("pres_pl", "n"): "ஓடுகின்றன",
                        "rel": "ஓடும்", "past_rel": "ஓடிய"}),
    ("பற", "strong-nt", {("pres", "n"): "பறக்கிறது", ("past", "n"): "பறந்தது",
                         ("pres_pl", "n"): "பறக்கின்றன", "rel": "பறக்கும்"}),
    ("செல்", "weak-nt", {("pres", "n"): "செல்கிறது", ("past", "f"): "சென்றாள்",
                        "rel": "செல்லும்"}),
    ("நில்", "strong-nt", {("pres", "n"): "நிற்கிறது", ("past", "n"): "நின்றது",
                          "rel": "நிற்கும்"}),
    ("உருள்", "weak-nt", {("past", "n"): "உருண்டது", "rel": "உருளும்"}),
    ("கேள்", "strong-t", {("pres", "h"): "கேட்கிறார்", ("past", "n"): "கேட்டது"}),
    ("அழு", "weak-t", {("pres", "f"): "அழுகிறாள்", ("past", "n"): "அழுதது", "rel": "அழும்"}),
    ("சிரி", "strong-tt", {("pres", "m"): "சிரிக்கிறான்", ("past", "h"): "சிரித்தார்",
                          ("pres_pl", "h"): "சிரிக்கிறார்கள்"}),
    ("வளர்", "weak-nt", {("past", "n"): "வளர்ந்தது", "rel": "வளரும்"}),
    ("வா", "irregular", {("pres", "h"): "வருகிறார்", ("past", "n"): "வந்தது", "rel": "வரும்",
                         ("pres_pl", "n"): "வருகின்றன"}),
    ("போ", "irregular", {("past", "m"): "போனான்", "past_rel": "போன"}),
])
def test_verb_forms(root, conj, forms):
    made = verbs.verb_forms(root, conj)
    for key, expected in forms.items():
        got = made[key[0]][key[1]] if isinstance(key, tuple) else made[key]
        assert got == expected, key


def test_verb_agreement_follows_the_creature_noun():
    rows = [{"word": "பூனை", "gender": "n"}, {"word": "அரசன்", "gender": "m"},
            {"word": "அரசி", "gender": "f"}, {"word": "ஆசிரியர்", "gender": "h"},
            {"word": "ஓடு", "conj": "weak-in"}]
    forms = TA.inflect(rows, ["noun"] * 4 + ["verb"])
    runs = [forms.agreeing["pres"][4, forms.agree_class[i]] for i in range(4)]
    assert runs == ["ஓடுகிறது", "ஓடுகிறான்", "ஓடுகிறாள்", "ஓடுகிறார்"]
    plural = [forms.agreeing["pres_pl"][4, forms.agree_class[i]] for i in (0, 3)]
    assert plural == ["ஓடுகின்றன", "ஓடுகிறார்கள்"]
    assert [forms.plain["saw"][i] for i in range(4)] == [
        "பார்த்தது", "பார்த்தான்", "பார்த்தாள்", "பார்த்தார்"]


def test_a_verb_in_a_class_it_cannot_take_has_no_forms():
    assert verbs.verb_forms("பற", "weak-in") is None  # -இன்- past needs a root in -உ
    assert verbs.verb_forms("பற", "no-such-class") is None


def test_adjectives_and_their_predicative_forms():
    assert nouns.adjective_forms("பெரிய")["pred_um"] == "பெரியதாகவும்"
    assert nouns.adjective_forms("அழகான")["pred_um"] == "அழகானதாகவும்"
    assert nouns.adjective_forms("குளிர்ந்த")["pred_um"] == "குளிர்ந்ததாகவும்"
    assert nouns.adjective_forms("அசையாத")["adj"] == "அசையாத"
    assert nouns.adjective_forms("பச்சை")["pred_um"] == "பச்சையாகவும்"
    assert nouns.adjective_forms("நீலம்")["pred_um"] == "நீலமாகவும்"
    assert nouns.adjective_forms("சிவப்பு")["pred_um"] == "சிவப்பாகவும்"
    # a bare noun stem in -அ is neither a participle nor a noun
    assert nouns.adjective_forms("நிர்வாண") is None


@pytest.mark.parametrize("adjective, noun, expected", [
    ("நீலம்", "கடல்", "நீலக் கடல்"), ("நீலம்", "வானம்", "நீல வானம்"),
    ("பச்சை", "கிளி", "பச்சைக் கிளி"), ("வெள்ளி", "தட்டு", "வெள்ளித் தட்டு"),
    ("சிவப்பு", "பூ", "சிவப்புப் பூ"), ("மஞ்சள்", "பூ", "மஞ்சள் பூ"),
    ("பெரிய", "கடல்", "பெரிய கடல்"), ("குளிர்ந்த", "காற்று", "குளிர்ந்த காற்று"),
])
def test_a_noun_as_modifier_doubles_the_next_hard_consonant(adjective, noun, expected):
    slots = {"quality": (adjective, "adj", {}), "object": (noun, "noun", {})}
    assert _render("{quality>object.adj} {object.nom}", slots) == expected


def _render(frame: str, slots: dict[str, str], sentence: bool = False) -> str:
    """One frame realised for Tamil words given directly (slot -> (word, pos, extra))."""
    import numpy as np

    from mnemophrase.corpusgen.grammar.frame_pool import FramePool

    names = list(slots)
    rows, pos = [], []
    for name in names:
        word, part, extra = slots[name]
        rows.append({"word": word, **extra})
        pos.append(part)
    forms = TA.inflect(rows, pos)
    variant = next(v for v in compile_frames([frame]) if v.slots == set(names))
    pool = FramePool({"frame": [TA.rewrite(variant)]}, forms)
    concepts = {n: np.array([i]) for i, n in enumerate(names)}
    text = pool.join([pool.positions("frame", 0, concepts, rows=1)])
    return TA.finish(text, sentence)[0].as_py()


def test_accusative_and_dative_double_a_following_hard_consonant():
    creature = ("பூனை", "noun", {"gender": "n"})
    box = ("பெட்டி", "noun", {})
    old = ("பழைய", "adj", {})
    found = _render("{creature.nom} ஒரு {quality.adj} {object.acc} {creature.finds}",
                    {"creature": creature, "object": box, "quality": old}, sentence=True)
    assert found == "பூனை ஒரு பழைய பெட்டியைக் கண்டுபிடிக்கிறது."
    seen = _render("{creature.nom} ஒரு {quality.adj} {object.acc} {creature.saw}",
                   {"creature": ("அரசி", "noun", {"gender": "f"}), "object": box,
                    "quality": old})
    assert seen == "அரசி ஒரு பழைய பெட்டியைப் பார்த்தாள்"
    road = _render("{place.dat} செல்லும் வழி", {"place": ("காடு", "noun", {})})
    assert road == "காட்டுக்குச் செல்லும் வழி"
    # a nominative in -ஐ before the same word does not double
    assert _render("{creature.nom} பார்த்தது", {"creature": creature}) == "பூனை பார்த்தது"


def test_sentences_end_with_a_full_stop_and_glosses_do_not():
    water = {"element": ("நீர்", "noun", {}), "feeling": ("சோகம்", "noun", {})}
    frame = "{element.gen} அருகில் {feeling.nom} வாழ்கிறது"
    assert _render(frame, water, sentence=True) == "நீரின் அருகில் சோகம் வாழ்கிறது."
    assert _render(frame, water) == "நீரின் அருகில் சோகம் வாழ்கிறது"


def test_tamil_frames_realise_every_plan_the_other_languages_have():
    """A plan survives only where every language has frames for it: Tamil must keep all."""
    def plans(code):
        lang = get_language(code)
        return ({v.slots for v in compile_frames(lang.gloss_frames)}
                & {v.slots for v in compile_frames(lang.sentence_frames)})

    others = plans("ru") & plans("en") & plans("th")
    assert others, "the other languages share no plan"
    assert others <= plans("ta"), sorted(map(sorted, others - plans("ta")))


def test_the_check_rejects_what_it_should():
    assert TA.check_word("zebra", "noun") is not None  # not in the frequency list
    assert TA.check_word("பெரிய", "noun") is not None  # an attributive, not a noun
    assert TA.check_word("நிர்வாண", "adj") is not None  # a bare noun stem, not a modifier
    assert TA.check_word("ஓடுகிறது", "verb") is not None  # a finite form, not a root
    assert TA.check_word("கக்கக்க", "verb") is not None  # no form of it is attested


def test_names_words_reads_a_gloss_by_lemma():
    vocabulary = {"மரம்", "பூனை", "நாய்", "வீடு", "ஓடு"}
    got = TA.names_words(["வீட்டுக்குச் செல்லும் வழியில் மரத்தின் அருகில் பூனைகள் ஓடுகின்றன"],
                         [["வீடு", "மரம்", "பூனை", "ஓடு", "நாய்"]], vocabulary)
    assert got == [[True, True, True, True, False]]



@pytest.mark.parametrize("form, lemma", [
    ("மரத்தில்", "மரம்"), ("வீட்டுக்குச்", "வீடு"), ("நதியும்", "நதி"), ("கற்கள்", "கல்"),
    ("காற்றுக்கான", "காற்று"), ("மனிதர்கள்", "மனிதன்"), ("சென்றாள்", "செல்"), ("ஓடியது", "ஓடு"),
    ("நிற்கும்", "நில்"), ("பறக்கின்றன", "பற"), ("பெரியதாகவும்", "பெரிய"), ("வந்தது", "வா"),
    ("நீலக்", "நீலம்"), ("பச்சையாகவும்", "பச்சை"),
])
def test_lemma_reader_on_concrete_forms(form, lemma):
    assert lemma in lemma_candidates(form)


def test_lemma_reader_does_not_read_one_word_as_another():
    assert "பூனை" not in lemma_candidates("மரத்தில்")
    assert "மரம்" not in lemma_candidates("மலையில்")
