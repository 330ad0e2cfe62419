"""The frames' variety: every variant of every frame realised and read back by lemma, the new
families' grammar on concrete words, and the skeleton figures a build reports."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from mnemophrase.cli import main
from mnemophrase.corpusgen.grammar.frame_pool import render
from mnemophrase.corpusgen.grammar.scenes import SceneTables
from mnemophrase.corpusgen.lang.frame_language import (
    FrameError,
    around,
    compile_frames,
    skeleton,
    with_groups,
)
from mnemophrase.corpusgen.lexicon import load_lexicon

LANGS = ["ru", "en", "th", "ta"]


@pytest.fixture(scope="module")
def tables() -> SceneTables:
    return SceneTables(load_lexicon(), LANGS)


def _realise_every_variant(tables: SceneTables, lang: str, kind: str):
    """Each variant of `kind` in `lang` realised once, with concepts drawn for its plan:
    the texts, the lemmas each must name, and the variant numbers."""
    from mnemophrase.corpusgen.grammar.frame_pool import FramePool

    t = tables.tables[lang]
    pool = FramePool({kind: getattr(t, kind)}, t.forms)
    rng = np.random.default_rng(7)
    texts, wanted, numbers = [], [], []
    for plan in tables.plans:
        ids = getattr(plan, kind)[lang]
        concepts = np.empty((len(ids), plan.size), dtype=np.int64)
        for row in range(len(ids)):
            chosen: list[int] = []
            for slot in plan.slots:
                candidates = [c for c in plan.pools[slot].tolist() if c not in chosen]
                chosen.append(candidates[rng.integers(len(candidates))])
            concepts[row] = chosen
        recipes = pool.recipes_of(kind, ids, plan.slots)
        joined = pool.join([pool.positions_of(recipes, np.arange(len(ids)), concepts)])
        texts += t.language.finish(joined, kind == "sentence").to_pylist()
        lemmas = t.forms.plain["lemma"]
        wanted += [[lemmas[c] for c in row] for row in concepts.tolist()]
        numbers += ids
    return texts, wanted, numbers


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["gloss", "sentence"])
def test_every_variant_of_every_frame_is_realised_and_names_its_constituents(tables, lang, kind):
    """Every optional part of every frame, on and off (each variant is one such choice), is
    used by some plan, and its text names each constituent by lemma as `corpusgen check`
    reads it."""
    texts, wanted, numbers = _realise_every_variant(tables, lang, kind)
    every = len(getattr(tables.tables[lang], kind))
    assert sorted(numbers) == list(range(every)), "a variant no plan can use"
    named = tables.tables[lang].language.names_words(texts, wanted)
    missed = [(text, [w for w, ok in zip(words, hits) if not ok])
              for text, words, hits in zip(texts, wanted, named) if not all(hits)]
    assert not missed, missed[:5]


@pytest.mark.parametrize("frame,slots,expected", [
    ("{creature.nomn}, {creature.which} будет {motion.lemma}",
     {"creature": "cat", "motion": "run"}, "кошка, которая будет бежать"),
    ("{creature.nomn}, {creature.which} никогда не {motion.pres3sg} {place.at}",
     {"creature": "owl", "motion": "fly", "place": "forest"},
     "сова, которая никогда не летит в лесу"),
    ("откуда ощущение {feeling.gent} у {element.gent}?", {"feeling": "sadness", "element": "water"},
     "откуда ощущение грусти у воды?"),
    ("не {feeling.nomn} по {element.datv}, а лишь сон", {"feeling": "sadness", "element": "water"},
     "не грусть по воде, а лишь сон"),
    ("{place.at} — {feeling.nomn}", {"place": "river", "feeling": "sadness"}, "на реке — грусть"),
])
def test_russian_new_families(tables, frame, slots, expected):
    assert render(tables, "ru", frame, slots) == expected


@pytest.mark.parametrize("frame,slots,expected", [
    ("{creature.a} that is {motion.ing} {place.at}",
     {"creature": "owl", "motion": "fly", "place": "forest"},
     "an owl that is flying in the forest"),
    ("{creature.a} that does not {motion.base}", {"creature": "cat", "motion": "run"},
     "a cat that does not run"),
    ("{creature.a} that no longer {motion.3sg}", {"creature": "bird", "motion": "fly"},
     "a bird that no longer flies"),
    ("{creature.a} that {motion.past} {place.at}",
     {"creature": "cat", "motion": "run", "place": "river"}, "a cat that ran on the river"),
    ("where is a feeling of {feeling.sg} by {element.the}?",
     {"feeling": "sadness", "element": "water"}, "where is a feeling of sadness by the water?"),
])
def test_english_new_families(tables, frame, slots, expected):
    assert render(tables, "en", frame, slots) == expected


def test_thai_aspect_words_stand_before_the_verb_without_spaces(tables):
    frame = "{creature.bare}ที่กำลัง{motion.bare}{place.at}"
    got = render(tables, "th", frame, {"creature": "bird", "motion": "fly", "place": "forest"})
    assert got == "นกที่กำลังบินที่ป่า"
    assert render(tables, "th", "ไม่มี{feeling.bare}ริม{element.bare}อีกแล้ว",
                  {"feeling": "sadness", "element": "water"}) == "ไม่มีความเศร้าริมน้ำอีกแล้ว"


def test_tamil_manner_adverb_and_negation_keep_the_head_last(tables):
    got = render(tables, "ta", "மெதுவாக {place.loc} {motion.rel} {creature.nom}",
                 {"place": "forest", "motion": "fly", "creature": "bird"})
    assert got == "மெதுவாக காட்டில் பறக்கும் பறவை"
    got = render(tables, "ta", "{element.gen} அருகில் எழும் {feeling.nom} அல்ல, வேறு ஏதோ",
                 {"element": "water", "feeling": "sadness"})
    assert got == "நீரின் அருகில் எழும் சோகம் அல்ல, வேறு ஏதோ"


def test_skeleton_masks_slots_and_keeps_the_frame_words():
    variants = compile_frames(["откуда {feeling.nomn} у {element.gent}[, как во сне|]?"])
    assert sorted(map(skeleton, variants)) == ["откуда _ у _, как во сне?", "откуда _ у _?"]


def test_families_wrap_every_core_and_an_unknown_group_is_an_error():
    assert around(("a {x.f}", "b"), ("<core>!", "[not |]<core>")) == (
        "a {x.f}!", "[not |]a {x.f}", "b!", "[not |]b")
    with pytest.raises(FrameError, match="<when>"):
        with_groups(("<when> {x.f}",), core="")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("variety") / "build"
    result = CliRunner().invoke(main, ["build", "--langs", ",".join(LANGS), "-n", "20000",
                                       "--workers", "1", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_build_reports_many_skeletons_none_dominant(built):
    """stats.json and the card give each language's distinct gloss skeletons and the share
    of the commonest; a 20k build already has hundreds per language, none above 3 %."""
    stats = json.loads((built / "stats.json").read_text(encoding="utf-8"))
    figures = stats["gloss_skeletons"]
    assert sorted(figures) == sorted(LANGS)
    rows = Counter()
    for split in stats["rows_by_lang"]["mnemo"].values():
        rows.update(split)
    for lang, f in figures.items():
        assert 500 <= f["distinct"] <= rows[lang], (lang, f)
        assert 0 < f["top_share"] <= 0.03, (lang, f)
        assert "_" in f["top"]
    card = (built / "README.md").read_text(encoding="utf-8")
    assert f"ru {figures['ru']['distinct']:,} (commonest" in card
