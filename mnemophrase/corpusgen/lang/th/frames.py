"""Thai frames. Slot syntax: see mnemophrase/corpusgen/lang/frame_language.py.

Modifiers follow their noun ({light.bare}{quality.bare}: แสงนุ่ม), a counted noun takes its
classifier after the number ({creature.num2}: นกสองตัว), and a clause is written without
spaces; a space separates clauses, as Thai punctuation does.

A gloss is a scene's core (CORES) said in one of several families (FAMILIES): as a statement
with an aspect word and a time adverbial, with what it feels like, with what it is like, as a
question, or denied. The families' own words are particles and adverbs, not lexicon words.
"""

from mnemophrase.corpusgen.lang.frame_language import around

CORES = (
    "{feeling.bare}ริม{element.bare}[ ใน{light.bare}[{quality.bare}|]|]",
    "{feeling.bare}{place.at}[{quality.bare}|][ ท่ามกลาง{sound.bare}|]",
    "{creature.bare}ที่{motion.bare}[{place.at}|]",
    "{light.bare}เหนือ{element.bare}[และ{feeling.bare}|]",
    "{light.bare}[{quality.bare}|]ยาม{time.bare}",
    "{sound.bare}ของ{element.bare}[กลาง{time.bare}|]",
    "{object.bare}{quality.bare}ใกล้{plant.bare}[ ใน{light.bare}|]",
    "ความทรงจำถึง{feeling.bare}และ{element.bare}",
    "{creature.bare}กับ{object.bare}{quality.bare}",
    "{feeling.bare}ต่อ{element.bare}[ใน{light.bare}|]",
    "ทางไป{place.bare}[ ที่ซึ่ง{creature.bare}{motion.bare}|]",
    "{plant.bare}ใต้{light.bare}[ยาม{time.bare}|]",
    "{element.bare}ที่{quality.bare}และ{quality2.bare}",
    "{element.bare}{quality.bare}{place.at}[ {feeling.bare}|][ {sound.bare}|][ และ{light.bare}|]",
    # who does what, and how: aspect and mood are words before the verb
    "{creature.bare}ที่[กำลัง|จะ|เคย|ชอบ|ยังคง|ไม่|ไม่เคย]{motion.bare}[{place.at}|]",
    "{creature.bare}ที่{motion.bare}[{place.at}|] [อย่างไม่มีใครเหมือน|อย่างที่ไม่มีใครทำได้]",
)

# cores that open with where or when: a clause more than a noun phrase, so they are said
# as statements, feelings and likenesses, not asked or denied
SETTINGS = (
    "{place.at} มี{feeling.bare}[และ{sound.bare}|]",
    "เมื่อ{time.bare}มาถึง {light.bare}[{quality.bare}|]",
    "{place.at} {element.bare}{quality.bare}[ {feeling.bare}|][ {sound.bare}|][ และ{light.bare}|]",
)

FAMILIES = (
    # a statement: an aspect word before, a time adverbial after
    ("[อีกครั้ง |ทันใดนั้น |ในที่สุด |ครั้งหนึ่ง |เพียง|ยังคงมี|]<core>"
     "[ วันนี้| เมื่อวานนี้| นานมาแล้ว| ซ้ำแล้วซ้ำเล่า| เสมอ| ทุกครั้ง|]"),
    # what it feels like
    "<core> [รู้สึกเหมือน|ราวกับ|ดูเหมือน][คำสัญญา|การอำลา|การเริ่มต้น|จุดจบ|คำอธิษฐาน]",
    # what it is like
    ("[ที่ไหนสักแห่ง |ตรงนี้ |ตรงนั้น |]<core>"
     "[ เหมือนครั้งแรก| เหมือนเคย| อย่างที่ไม่เคยเป็นมาก่อน| ราวกับไม่มีจริง|]"),
    # a question
    "[นี่คือ|ทำไมจึงมี]<core>[หรือ| ใช่ไหม|]",
    "<core>[ ใช่ไหม| หรือเปล่า| ที่ไหนกัน]",
    # denied
    "ไม่ใช่<core> [แต่เป็นอย่างอื่น|แต่ไม่มีอะไรเลย]",
    "ไม่มี<core>[อีกแล้ว| อีกต่อไป|]",
)

GLOSS = around(CORES, FAMILIES) + around(SETTINGS, FAMILIES[:3])

SENTENCE_CORES = (
    "{feeling.bare}อยู่ริม{element.bare}[ และทุกสิ่งจมอยู่ใน{light.bare}[{quality.bare}|]|]",
    "{feeling.bare}มาถึง{element.bare}[ ใน{light.bare}[{quality.bare}|]|]",
    "{feeling.bare}เคยอยู่{place.at}[{quality.bare}|][ และได้ยิน{sound.bare}|]",
    "{creature.bare}{motion.bare}[{place.at}|]",
    "{creature.bare}หลายตัว{motion.bare}[{place.at}|]",
    "เมื่อวาน{creature.bare}{motion.bare}อยู่นาน[{place.at}|]",
    "{creature.num2}{motion.bare}[{place.at}|]",
    "{light.bare}ตกลงบน{element.bare}[ และ{feeling.bare}ก็มาถึง|]",
    "ในยาม{time.bare} {light.bare}[{quality.bare}|]สาดส่องลงมา",
    "{sound.bare}แผ่ไปทั่ว{element.bare}[กลาง{time.bare}|]",
    "{object.bare}{quality.bare}วางอยู่ใกล้{plant.bare}[ ใน{light.bare}|]",
    "ใกล้{plant.bare}มี{object.bare}{quality.bare}วางอยู่[ ใน{light.bare}|]",
    "ฉันคิดถึง{feeling.bare}และ{element.bare}",
    "{creature.bare}พบ{object.bare}{quality.bare}",
    "{creature.bare}เห็น{object.bare}{quality.bare}",
    "{feeling.bare}ต่อ{element.bare}ไม่เคยจางหาย[แม้ใน{light.bare}|]",
    "ถนนสายนี้มุ่งไปสู่{place.bare}[ ที่ซึ่ง{creature.bare}{motion.bare}|]",
    "{plant.bare}เติบโตใต้{light.bare}[ยาม{time.bare}|]",
    "ใต้{light.bare}[ยาม{time.bare}|]มี{plant.bare}ยืนอยู่",
    "วันนี้{element.bare}{quality.bare}และ{quality2.bare}",
    "{element.bare}{quality.bare}วางอยู่{place.at}[ {feeling.bare}อยู่ใกล้ๆ|][ ได้ยิน{sound.bare}|][ และ{light.bare}ส่องไปทั่ว|]",
)

SENTENCE = around(SENTENCE_CORES, (
    "<core>[ เหมือนเคย| และไม่มีใครรู้ว่าทำไม| ซึ่งไม่ใช่เรื่องบังเอิญ|]",
))

