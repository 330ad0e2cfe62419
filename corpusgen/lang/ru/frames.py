"""Russian frames. Slot syntax: see corpusgen/lang/frame_language.py.

Government is written into the frames (у/возле/посреди + родительный, к/по + дательный,
на + винительный for direction, над/под/с + творительный, в/на/о + предложный); agreement is
asked for with `>`: {quality>light.loct} is the adjective in the case and gender of `light`.
"""

GLOSS = (
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
)

SENTENCE = (
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
