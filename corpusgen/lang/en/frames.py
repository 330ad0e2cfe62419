"""English frames. Slot syntax: see corpusgen/lang/frame_language.py.

Articles come with the noun (`.a` is "a stone", "an owl" or bare "water"); an adjective that
stands before its noun takes the article instead ({quality>light.a} {light.sg}: "a soft glow",
"soft light"). `.at` is the place with its own preposition ("on the shore", "in the forest").
"""

GLOSS = (
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
)

SENTENCE = (
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
