"""Word lists and post templates in Chinese, English and Italian (index order = ``LANGS``).

Kept apart from the generator so tests and later analyses (e.g. a look-alike filter that
recognises "清仓" or "Usato") can import the very words that were planted.
"""

from __future__ import annotations

__all__ = [
    "CLEARANCE_WORDS",
    "COUNTERFEIT_WORDS",
    "DAIGOU_WORDS",
    "MARKETING_WORDS",
    "POST_TEMPLATES",
    "SECONDHAND_WORDS",
]

MARKETING_WORDS: tuple[tuple[str, ...], ...] = (
    ("【正品】", "专柜正品", "现货", "包邮", "官方授权", "新款", "热卖", "限量", "顺丰包邮"),
    ("Authentic", "100% Genuine", "New", "Hot", "Free Shipping", "Limited", "Original"),
    ("Originale", "Nuovo", "Spedizione gratuita", "Autentico", "Disponibile", "Novità"),
)

COUNTERFEIT_WORDS: tuple[tuple[str, ...], ...] = (
    ("原单", "1:1", "专柜品质", "高版本", "顶级版本"),
    ("1:1", "AAA Quality", "Mirror Quality", "Top Grade"),
    ("1:1", "Qualità AAA", "Qualità top"),
)

CLEARANCE_WORDS: tuple[tuple[str, ...], ...] = (
    ("清仓", "特价清仓", "断码清仓", "尾货特价", "清仓甩卖"),
    ("Clearance", "Clearance Sale", "Outlet", "Last Pieces", "Final Sale"),
    ("Svendita", "Saldi", "Fine serie", "Liquidazione", "Outlet"),
)
"""Words an honest clearance listing carries in its title, per language."""

SECONDHAND_WORDS: tuple[tuple[str, ...], ...] = (
    ("二手", "九成新", "闲置转让", "95新二手", "自用闲置"),
    ("Used", "Pre-owned", "Second Hand", "Used - Like New"),
    ("Usato", "Seconda mano", "Usato come nuovo", "Usata"),
)
"""Words an honest second-hand listing carries in its title, per language."""

DAIGOU_WORDS: tuple[tuple[str, ...], ...] = (
    ("海外代购", "专柜代购", "正品代购", "现场代购"),
    ("Daigou", "Bought in Boutique", "Personal Shopper"),
    ("Acquistato in boutique", "Personal shopper"),
)

# A post's text is a + place + b + brand + c; kinds without a place leave it empty.
POST_TEMPLATES: dict[str, tuple[tuple[tuple[str, str, str], ...], ...]] = {
    "promo": (
        (("", "", "新品到货，欢迎咨询"), ("", "", "限时优惠，私聊下单"), ("", "", "回购超高，今日特价")),
        (("", "", " new arrivals, message me"), ("", "New in: ", " — limited stock")),
        (("", "", " nuovi arrivi, scrivimi"), ("", "Novità: ", " — disponibilità limitata")),
    ),
    "home": (
        (("", "仓库今日发货，", "现货充足"), ("【", "】", "顺丰包邮，今天下午统一发货")),
        (("Shipping today from ", ". ", " in stock"), ("", " warehouse: ", " orders packed")),
        (("Spedizioni oggi da ", ", ", " disponibile"), ("Dal magazzino di ", ": ", " spediti oggi")),
    ),
    "trip": (
        (
            ("今天在", "扫货！", "专柜现货，需要的亲私聊"),
            ("人在", "，", "新品刚到，可代购"),
            ("", "专柜实拍，", "今日到货，接受预定"),
        ),
        (
            ("Shopping in ", " today! ", " boutique, DM to order"),
            ("Just landed in ", " ✈ taking orders for ", ""),
            ("Live from ", ": ", " new arrivals, pre-order now"),
        ),
        (
            ("Oggi a ", " per shopping! ", " disponibile, scrivimi"),
            ("Appena arrivata a ", ", ordini aperti per ", ""),
            ("In diretta da ", ": nuovi arrivi ", ", prenota ora"),
        ),
    ),
    "return": (
        (("已回到", "，", "今天全部发出"), ("刚回", "，", "的订单明天发货")),
        (("Back in ", " — all ", " orders ship today"), ("Home in ", ", sending out ", " tomorrow")),
        (
            ("Rientrata a ", ", tutti gli ordini ", " partono oggi"),
            ("Di nuovo a ", ", spedisco ", " domani"),
        ),
    ),
}
