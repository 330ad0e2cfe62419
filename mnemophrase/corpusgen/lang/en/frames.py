"""English frames. Slot syntax: see mnemophrase/corpusgen/lang/frame_language.py.

Articles come with the noun (`.a` is "a stone", "an owl" or bare "water"); an adjective that
stands before its noun takes the article instead ({quality>light.a} {light.sg}: "a soft glow",
"soft light"). `.at` is the place with its own preposition ("on the shore", "in the forest").

A gloss is a scene's core (a noun phrase, CORES) said in one of several families (FAMILIES):
as a statement with an aspect word and a time adverbial, with what it feels like, with what it
is like, as a question, or denied. The families' own words are adverbs and function words, not
lexicon words, so masking the lexicon leaves each family's wording in the skeleton.
"""

from mnemophrase.corpusgen.lang.frame_language import around

CORES = (
    "a feeling of {feeling.sg} by {element.the}[, in [{quality>light.a} {light.sg}|{light.a}]|]",
    "{feeling.sg} {place.prep} [the {quality.bare} {place.sg}|{place.the}][ amid {sound.the}|]",
    "{creature.a} that {motion.3sg}[ {place.at}|]",
    "{light.a} over {element.the}[ and {feeling.sg}|]",
    "the [{quality.bare} |]{light.sg} of {time.the}",
    "{sound.the} of {element.the}[ deep in {time.the}|]",
    "{quality>object.a} {object.sg} near {plant.the}[, in {light.the}|]",
    "a memory of {feeling.sg} and {element.sg}",
    "{creature.a} and {quality>object.a} {object.sg}",
    "{feeling.sg} for {element.the}[ in {light.the}|]",
    "the way to {place.the}[, where {creature.a} {motion.3sg}|]",
    "{plant.a} under {light.the}[ of {time.the}|]",
    "{element.a}, {quality.bare} and {quality2.bare}",
    "{quality>element.a} {element.sg} {place.at}[, {feeling.sg}|][, {sound.a}|][ and {light.a}|]",
    # who does what, and how: aspect and mood
    "{creature.a} that [can|will|would|likes to|begins to|wants to] {motion.base}[ {place.at}|]",
    "{creature.a} that [does not|cannot|will not] {motion.base}[ {place.at}|]",
    "{creature.a} that [never|no longer|still|always] {motion.3sg}[ {place.at}|]",
    "{creature.a} that [is {motion.ing}|was {motion.ing}|{motion.past}][ {place.at}|]",
    "{creature.a} that {motion.3sg}[ {place.at}|] [like no other|as nothing else does|unlike any other]",
)

# cores that open with where or when: a clause more than a noun phrase, so they are said
# as statements, feelings and likenesses, not asked or denied
SETTINGS = (
    "{place.at}, {feeling.sg}[ and {sound.a}|]",
    "with {time.the}, [{quality>light.a} {light.sg}|{light.a}]",
    "{place.at}, {quality>element.a} {element.sg}[, {feeling.sg}|][, {sound.a}|][ and {light.a}|]",
)

FAMILIES = (
    # a statement: an aspect word before, a time or manner adverbial after
    ("[again, |once more, |suddenly, |only |at last, |once, |]<core>"
     "[ today| tonight| yesterday| long ago| far away| nearby| over and over| somehow|]"),
    # what it feels like
    ("<core>[, and it feels like|, and somehow it feels like|, like] "
     "[a homecoming|a promise|a farewell|a goodbye|a beginning|an ending|a wish]"),
    # what it is like
    ("[somewhere, |here, |there, |far off, |]<core>[, as if remembered|, as if imagined"
     "|, as before|, as never before|, as always|, as once]"),
    # a question
    "[is this|where is|why|was it ever] <core>?",
    "<core>[, or not|, really|, perhaps|]?",
    # denied
    "not <core>, but [something else|nothing at all|another thing]",
    "[no, |]never <core>[ again|, not anymore|]",
)

GLOSS = around(CORES, FAMILIES) + around(SETTINGS, FAMILIES[:3])

SENTENCE_CORES = (
    "{feeling.sg} lives by {element.the}[, and everything sinks into [{quality>light.a} {light.sg}|{light.a}]|]",
    "{feeling.sg} comes to {element.the}[ in [{quality>light.a} {light.sg}|{light.a}]|]",
    "{feeling.sg} lived {place.prep} [the {quality.bare} {place.sg}|{place.the}][, and {sound.a} sounded|]",
    "{creature.the} {motion.3sg}[ {place.at}|]",
    "{creature.the_pl} {motion>creature.pres_pl}[ {place.at}|]",
    "yesterday {creature.the} {motion.past} for a long time[ {place.at}|]",
    "two {creature.pl} {motion>creature.pres_pl}[ {place.at}|]",
    "{light.a} falls on {element.the}[, and {feeling.sg} comes|]",
    "in the hour of {time.the}, [{quality>light.a} {light.sg}|{light.a}] pours down",
    "{sound.a} spreads over {element.the}[ deep in {time.the}|]",
    "{quality>object.a} {object.sg} lies near {plant.the}[ in {light.the}|]",
    "near {plant.the} lay {quality>object.a} {object.sg}[ in {light.the}|]",
    "I think of {feeling.sg} and {element.sg}",
    "{creature.the} finds {quality>object.a} {object.sg}",
    "{creature.the} saw {quality>object.a} {object.sg}",
    "{feeling.sg} for {element.the} does not pass[ even in {light.the}|]",
    "the road leads to {place.the}[, where {creature.a} {motion.3sg}|]",
    "{plant.a} grows under {light.the}[ of {time.the}|]",
    "under {light.the}[ of {time.the}|] stood {plant.a}",
    "today {element.the} is {quality.bare} and {quality2.bare}",
    "{quality>element.a} {element.sg} lay {place.at}[, {feeling.sg} lived nearby|][, {sound.a} sounded|][, and {light.a} flooded everything|]",
)

SENTENCE = around(SENTENCE_CORES, (
    "<core>[, as before|, and nobody knows why|, and that is no accident|]",
))

