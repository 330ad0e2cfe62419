"""Tamil frames. Slot syntax: see mnemophrase/corpusgen/lang/frame_language.py.

Tamil is head-final: adjectives and relative participles stand before their noun, the verb
ends the clause, and postpositions follow a case form — the genitive before அருகில் "near",
மேல் "over", கீழ் "under", நடுவே "amid"; the accusative before நோக்கி "towards" and, with
the clitic -உம் "and", before பற்றி "about". {motion.rel} is the future relative participle
("that flies": பறக்கும் பறவை), {motion.vbp} the verbal participle that joins a verb to the
next (பறந்து வந்தது "came flying"); {motion>creature.pres} agrees with the creature's
person, number and gender (ஓடுகிறது, ஓடுகிறான், ஓடுகிறாள், ஓடுகிறார்), and a modifier agrees
with the noun it stands before ({quality>object.adj}), whose first consonant it may double
(நீலக் கடல்). An accusative or dative before a word in க் ச் த் ப் doubles that consonant too
(பெட்டியைக் கண்டது); the plug-in writes that.

A gloss is a scene's core (a noun phrase, CORES) said in one of several families (FAMILIES):
as a statement with an aspect word and a time adverb, with what it is like (போல "like",
after the nominative), as a question, or denied (அல்ல "is not", இல்லை "there is no").
The families' own words are adverbs and particles, not lexicon words.
"""

from mnemophrase.corpusgen.lang.frame_language import around

CORES = (
    "[[{quality>light.adj} |]{light.loc} |]{element.gen} அருகில் எழும் {feeling.nom}",
    "[{sound.gen} நடுவே |][{quality>place.adj} |]{place.loc} நிலவும் {feeling.nom}",
    "[{place.loc} |][{motion.rel}|{motion.past_rel}] {creature.nom}",
    "{element.gen} மேல் [{light.um} {feeling.um}|{light.nom}]",
    "{light.ins} ஒளிரும் {element.nom}",
    "{time.gen} [{quality>light.adj} |]{light.nom}",
    "[{time.gen} நடுவே |]{element.gen} {sound.nom}",
    "[{light.loc} |]{plant.gen} அருகில் கிடக்கும் {quality>object.adj} {object.nom}",
    "{feeling.acc_um} {element.acc_um} பற்றிய நினைவு",
    "{creature.um} {quality>object.adj} {object.um}",
    "{quality>object.adj} {object.udan} ஒரு {creature.nom}",
    "[{light.loc} |]{element.for} {feeling.nom}",
    "[{creature.nom} {motion.rel} |]{place.dat} செல்லும் வழி",
    "[{time.gen} |]{light.gen} கீழ் வளரும் {plant.nom}",
    "{quality.adj}, {quality2>element.adj} {element.nom}",
    "{place.loc} {quality>element.adj} {element.nom}[, {feeling.nom}|][, {sound.nom}|][, {light.nom}|]",
    # who does what, and how: a manner adverb before the participle
    "[மெதுவாக |வேகமாக |தனியாக |மெல்ல |யாரும் அறியாமல் ][{place.loc} |]{motion.rel} {creature.nom}",
)

# cores that open with where or when: said as statements and likenesses, not asked or denied
SETTINGS = (
    "{place.loc}: {feeling.nom}[, {sound.nom}|]",
    "{time.loc}: [{quality>light.adj} |]{light.nom}",
    "{place.loc}: {quality>element.adj} {element.nom}[, {feeling.nom}|][, {sound.nom}|][, {light.nom}|]",
)

FAMILIES = (
    # a statement: an aspect word before, a time adverb after
    ("[மீண்டும் |திடீரென்று |இன்னும் |ஒருமுறை |கடைசியில் |]<core>"
     "[ இன்று| நேற்று| எப்போதும்| மறுபடியும்| தொலைவிலிருந்து|]"),
    # what it feels like
    "<core>; [அது|இது] ஒரு [வாக்குறுதி|பிரியாவிடை|தொடக்கம்|முடிவு|வேண்டுதல்] போல",
    # what it is like
    "[எங்கோ |இங்கே |அங்கே |]<core>[, முன்பு போல|, முதல் முறை போல|, எப்போதும் போல|, கனவு போல|]",
    # a question
    "<core> [எங்கே|எங்கிருந்து]?",
    "ஏன் இந்த <core>?",
    # denied
    "<core> அல்ல, [வேறு ஏதோ|ஒன்றுமே இல்லை]",
    "<core> [இல்லை|இனி இல்லை]",
)

GLOSS = around(CORES, FAMILIES) + around(SETTINGS, FAMILIES[:3])

SENTENCE_CORES = (
    "{element.gen} அருகில் {feeling.nom} வாழ்கிறது[, எல்லாம் [{quality>light.adj} |]{light.loc} மூழ்குகிறது|]",
    "[[{quality>light.adj} |]{light.loc} |]{feeling.nom} {element.acc} நோக்கி வருகிறது",
    "{feeling.nom} {element.soc} கலக்கிறது",
    "{feeling.nom} [{quality>place.adj} |]{place.loc} வாழ்ந்தது[, {sound.nom} ஒலித்தது|]",
    "{creature.nom} [{place.loc} |]{motion>creature.pres}",
    "{creature.pl} [{place.loc} |]{motion>creature.pres_pl}",
    "நேற்று {creature.nom} [{place.loc} |]நீண்ட நேரம் {motion>creature.past}",
    "{creature.nom} [{place.loc} |]{motion.vbp} {creature.came}",
    "இரண்டு {creature.pl} [{place.loc} |]{motion>creature.pres_pl}",
    "{light.nom} {element.gen} மேல் விழுகிறது[, {feeling.um} வருகிறது|]",
    "{time.loc} [{quality>light.adj} |]{light.nom} பொழிகிறது",
    "[{time.gen} நடுவே |]{sound.nom} {element.gen} மேல் பரவுகிறது",
    "{element.ins} {sound.nom} எழுகிறது",
    "[{light.loc} |]{quality>object.adj} {object.nom} {plant.gen} அருகில் கிடக்கிறது",
    "{plant.gen} அருகில் [{light.loc} |]ஒரு {quality>object.adj} {object.nom} கிடந்தது",
    "நான் {feeling.acc_um} {element.acc_um} பற்றி நினைக்கிறேன்",
    "{creature.nom} ஒரு {quality>object.adj} {object.acc} {creature.finds}",
    "{creature.nom} ஒரு {quality>object.adj} {object.acc} {creature.saw}",
    "{creature.idam} ஒரு {quality>object.adj} {object.nom} இருக்கிறது",
    "{element.for} {feeling.nom} [{light.loc_um} |]நீங்குவதில்லை",
    "இந்தச் சாலை [{creature.nom} {motion.rel} |]{place.dat} செல்கிறது",
    "{plant.nom} [{time.gen} |]{light.gen} கீழ் வளர்கிறது",
    "{plant.nom} {light.ins} மின்னுகிறது",
    "[{time.gen} |]{light.gen} கீழ் ஒரு {plant.nom} நின்றது",
    "இன்று {element.nom} {quality.pred_um} {quality2.pred_um} இருக்கிறது",
    "{place.loc} {quality>element.adj} {element.nom} இருந்தது[, அருகில் {feeling.nom} வாழ்ந்தது|][, {sound.nom} ஒலித்தது|][, {light.nom} எங்கும் பரவியது|]",
)

SENTENCE = around(SENTENCE_CORES, ("[மீண்டும் |]<core>",))

