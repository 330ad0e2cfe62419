"""Real grammar: concrete forms the frames must produce in each language."""

from __future__ import annotations

import pytest

from mnemophrase.corpusgen.grammar.frame_pool import render
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lexicon import load_lexicon


@pytest.fixture(scope="module")
def tables() -> SceneTables:
    return SceneTables(load_lexicon(), ["ru", "en", "th"])


def ru(tables, frame, sentence=False, **slots):
    return render(tables, "ru", frame, slots, sentence)


def en(tables, frame, sentence=False, **slots):
    return render(tables, "en", frame, slots, sentence)


def th(tables, frame, **slots):
    return render(tables, "th", frame, slots)


@pytest.mark.parametrize("frame,slots,expected", [
    ("у {element.gent}", {"element": "water"}, "у воды"),
    ("возле {plant.gent}", {"plant": "pine"}, "возле сосны"),
    ("к {place.datv}", {"place": "river"}, "к реке"),
    ("по {element.datv}", {"element": "water"}, "по воде"),
    ("над {element.ablt}", {"element": "water"}, "над водой"),
    ("под {light.ablt}", {"light": "light"}, "под светом"),
    ("на {element.accs}", {"element": "water"}, "на воду"),
    ("о {feeling.loct}", {"feeling": "sadness"}, "о грусти"),
    ("в {light.loct}", {"light": "light"}, "в свете"),
])
def test_russian_prepositions_govern_their_case(tables, frame, slots, expected):
    assert ru(tables, frame, **slots) == expected


def test_russian_second_locative_and_adjective_in_the_main_case(tables):
    # "на берегу" takes the second locative; its adjective stays in the first ("крутом")
    assert ru(tables, "{place.at}", place="shore") == "на берегу"
    assert ru(tables, "{place.prep} {quality>place.loct} {place.loc}", place="forest",
              quality="dark") == "в тёмном лесу"


@pytest.mark.parametrize("noun,expected", [
    ("light", "мягком свете"),   # masculine
    ("water", "мягкой воде"),    # feminine
    ("sea", "мягком море"),      # neuter
])
def test_russian_adjective_agrees_in_gender_and_case(tables, noun, expected):
    assert ru(tables, "{quality>light.loct} {light.loct}", light=noun, quality="soft") == expected


def test_russian_accusative_adjective_sees_animacy(tables):
    frame = "{creature.nomn} находит {quality>object.accs} {object.accs}"
    assert (ru(tables, frame, creature="wolf", object="key", quality="old")
            == "волк находит старый ключ")
    frame = "{creature.nomn} видит {quality>creature2.accs} {creature2.accs}"
    assert (ru(tables, frame, creature="fox", creature2="wolf", quality="old")
            == "лиса видит старого волка")


def test_russian_verb_agrees_with_its_subject(tables):
    assert (ru(tables, "{creature.nomn} {motion>creature.past}", creature="bird", motion="fly")
            == "птица летела")
    assert (ru(tables, "{creature.nomn} {motion>creature.past}", creature="wolf", motion="fly")
            == "волк летел")
    assert (ru(tables, "{creature.nomn_pl} {motion.pres3pl}", creature="bird", motion="fly")
            == "птицы летят")
    assert (ru(tables, "{creature.num2} {motion.pres3pl}", creature="bird", motion="fly")
            == "две птицы летят")
    assert ru(tables, "{creature.num2}", creature="wolf") == "два волка"


def test_russian_euphony_and_sentence_case(tables):
    assert ru(tables, "о {feeling.loct}", feeling="loneliness") == "об одиночестве"
    assert ru(tables, "с {element.ablt}", element="ice") == "со льдом"
    assert ru(tables, "с {element.ablt}", element="water") == "с водой"
    assert (ru(tables, "в {quality>place.loct} {place.loct}", place="field", quality="damp")
            == "во влажном поле")
    assert ru(tables, "{place.prep} {quality>place.loct} {place.loc}", place="forest",
              quality="damp") == "во влажном лесу"
    assert ru(tables, "в {place.loct}", place="field") == "в поле"
    assert ru(tables, "{creature.nomn} {motion.pres3sg}", sentence=True, creature="bird",
              motion="fly") == "Птица летит."


def test_english_articles_plurals_and_agreement(tables):
    assert en(tables, "{creature.a}", creature="owl") == "an owl"
    assert en(tables, "{creature.a}", creature="wolf") == "a wolf"
    assert (en(tables, "{quality>object.a} {object.sg}", object="stone", quality="old")
            == "an old stone")
    assert (en(tables, "{quality>element.a} {element.sg}", element="water", quality="cold")
            == "cold water")
    assert en(tables, "{creature.the_pl}", creature="wolf") == "the wolves"
    assert (en(tables, "{creature.the} {motion.3sg}", creature="bird", motion="fly")
            == "the bird flies")
    assert en(tables, "{creature.the_pl} {motion>creature.pres_pl}", creature="bird",
              motion="fly") == "the birds fly"
    assert en(tables, "{place.at}", place="shore") == "on the shore"
    assert (en(tables, "{creature.the} {motion.3sg}", True, creature="bird", motion="fly")
            == "The bird flies.")


def test_thai_modifier_order_classifier_and_no_spaces(tables):
    assert th(tables, "{creature.num2}", creature="bird") == "นกสองตัว"
    assert th(tables, "{light.bare}{quality.bare}", light="light", quality="soft") == "แสงนุ่ม"
    text = th(tables, "{creature.bare}{motion.bare}{place.at}", creature="bird", motion="fly",
              place="forest")
    assert " " not in text and text.startswith("นกบิน")
