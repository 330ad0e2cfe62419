"""Thai frames. Slot syntax: see corpusgen/lang/frame_language.py.

Modifiers follow their noun ({light.bare}{quality.bare}: แสงนุ่ม), a counted noun takes its
classifier after the number ({creature.num2}: นกสองตัว), and a clause is written without
spaces; a space separates clauses, as Thai punctuation does.
"""

GLOSS = (
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
)

SENTENCE = (
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
