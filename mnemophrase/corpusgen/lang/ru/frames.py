"""Russian frames. Slot syntax: see mnemophrase/corpusgen/lang/frame_language.py.

Government is written into the frames (у/возле/посреди + родительный, к/по + дательный,
на + винительный for direction, над/под/с + творительный, в/на/о + предложный); agreement is
asked for with `>`: {quality>light.loct} is the adjective in the case and gender of `light`.

A gloss is a scene's core (a noun phrase, CORES) said in one of several families (FAMILIES):
as a statement with an aspect particle and a time adverbial, with what it feels like, with
what it is like, as a question, or denied. The families' own words are adverbs and particles,
not lexicon words, so masking the lexicon leaves each family's wording in the skeleton.
"""

from mnemophrase.corpusgen.lang.frame_language import around

CORES = (
    "ощущение {feeling.gent} у {element.gent}[, в [{quality>light.loct} |]{light.loct}|]",
    "{feeling.nomn} {place.prep} [{quality>place.loct} |]{place.loc}[ под {sound.accs}|]",
    "{creature.nomn}, {creature.which} {motion.pres3sg}[ {place.at}|]",
    "{light.nomn} над {element.ablt}[ и {feeling.nomn}|]",
    "[{quality>light.nomn} |]{light.nomn} {time.gent}",
    "{sound.nomn} {element.gent}[ посреди {time.gent}|]",
    "{quality>object.nomn} {object.nomn} возле {plant.gent}[, в {light.loct}|]",
    "память о {feeling.loct} и {element.loct}",
    "{creature.nomn} и {quality>object.nomn} {object.nomn}",
    "{feeling.nomn} по {element.datv}[ в {light.loct}|]",
    "путь к {place.datv}[, где {motion.pres3sg} {creature.nomn}|]",
    "{plant.nomn} под {light.ablt}[ {time.gent}|]",
    "{quality>element.nomn} и {quality2>element.nomn} {element.nomn}",
    "{quality>element.nomn} {element.nomn} {place.at}[, {feeling.nomn}|][, {sound.nomn}|][ и {light.nomn}|]",
    # who does what, and how: aspect and mood through the infinitive
    "{creature.nomn}, {creature.which} [умеет|любит|начинает|продолжает|будет] {motion.lemma}[ {place.at}|]",
    "{creature.nomn}, {creature.which} [не|никогда не|опять|по-прежнему] {motion.pres3sg}[ {place.at}|]",
    "{creature.nomn}, {creature.which} {motion.pres3sg}[ {place.at}|] [как никто другой|как никто|не так, как другие]",
)

# cores that open with where or when: a clause more than a noun phrase, so they are said
# as statements, feelings and likenesses, not asked or denied
SETTINGS = (
    "{place.at} — {feeling.nomn}[ и {sound.nomn}|]",
    "пора {time.gent}[,|] и [{quality>light.nomn} |]{light.nomn}",
    "{place.at} — {quality>element.nomn} {element.nomn}[, {feeling.nomn}|][, {sound.nomn}|][ и {light.nomn}|]",
)

FAMILIES = (
    # a statement: an aspect particle before, a time or manner adverbial after
    ("[снова |опять |вдруг |всё ещё |когда-то |лишь |наконец |]<core>"
     "[ сегодня| вчера| однажды| издалека| повсюду| неподалёку| иногда| каждый раз|]"),
    # what it feels like
    ("<core>[, и на душе|, и вокруг|, и сразу|, и почему-то] "
     "[тревожно|легко|спокойно|уютно|хорошо|зябко|жутко|радостно|печально]"),
    # what it is like
    ("[где-то |здесь |там |вдали |]<core>[, как во сне|, словно наяву|, будто впервые|, как прежде"
     "|, как никогда|, как обещание|, словно прощание]"),
    # a question
    "[откуда|где же|неужели это|разве это|почему] <core>?",
    "это <core>[ или сон|, правда|]?",
    # denied
    "[не|вовсе не|уже не|ещё не] <core>, а [что-то другое|лишь сон|просто сон|совсем иное]",
    "[нет, |]не <core>[ — никогда|, больше нет|]",
)

GLOSS = around(CORES, FAMILIES) + around(SETTINGS, FAMILIES[:3])

SENTENCE_CORES = (
    "у {element.gent} живёт {feeling.nomn}[, и всё тонет в [{quality>light.loct} |]{light.loct}|]",
    "{feeling.nomn} приходит к {element.datv}[ в [{quality>light.loct} |]{light.loct}|]",
    "{feeling.nomn} {feeling.lived} {place.prep} [{quality>place.loct} |]{place.loc}[, и {sound.sounded} {sound.nomn}|]",
    "{creature.nomn} {motion.pres3sg}[ {place.at}|]",
    "{creature.nomn_pl} {motion.pres3pl}[ {place.at}|]",
    "вчера {creature.nomn} долго {motion>creature.past}[ {place.at}|]",
    "{creature.num2} {motion.pres3pl}[ {place.at}|]",
    "{light.nomn} падает на {element.accs}[, и приходит {feeling.nomn}|]",
    "в час {time.gent} льётся [{quality>light.nomn} |]{light.nomn}",
    "над {element.ablt} разносится {sound.nomn}[ посреди {time.gent}|]",
    "{quality>object.nomn} {object.nomn} лежит возле {plant.gent}[ в {light.loct}|]",
    "возле {plant.gent} {object.lay} {quality>object.nomn} {object.nomn}[ в {light.loct}|]",
    "я думаю о {feeling.loct} и {element.loct}",
    "{creature.nomn} находит {quality>object.accs} {object.accs}",
    "{creature.nomn} {creature.saw} {quality>object.accs} {object.accs}",
    "{feeling.nomn} по {element.datv} не проходит[ даже в {light.loct}|]",
    "дорога ведёт к {place.datv}[, где {motion.pres3sg} {creature.nomn}|]",
    "{plant.nomn} растёт под {light.ablt}[ {time.gent}|]",
    "под {light.ablt}[ {time.gent}|] {plant.stood} {plant.nomn}",
    "{element.nomn} сегодня {quality>element.nomn} и {quality2>element.nomn}",
    "{place.at} {element.lay} {quality>element.nomn} {element.nomn}[, рядом {feeling.lived} {feeling.nomn}|][, {sound.sounded} {sound.nomn}|][, и всё {light.flooded} {light.nomn}|]",
)

SENTENCE = around(SENTENCE_CORES, (
    "<core>[, как прежде|, и никто не знает почему|, и это не случайно|]",
))
