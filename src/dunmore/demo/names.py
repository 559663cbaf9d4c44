"""Plausible names, addresses, phones and e-mails for demo customers, per country.

Everything is fictitious: e-mail domains are sub-domains of the reserved `example.com`, US numbers use
the fictional 555-01xx range. Chinese parts come as (simplified, traditional, pinyin) so that one draw
yields a zh-CN name, a zh-TW name and an ASCII e-mail local part.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from dunmore.demo.draws import between, choose, digits

Part = tuple[str, str, str]  # simplified, traditional, pinyin (or English for industry words)
Person = tuple[str, str]  # display name, ASCII e-mail form

BRANDS: tuple[Part, ...] = (
    ("华", "華", "hua"), ("澄", "澄", "cheng"), ("鑫", "鑫", "xin"), ("恒", "恆", "heng"),
    ("泰", "泰", "tai"), ("瑞", "瑞", "rui"), ("德", "德", "de"), ("宏", "宏", "hong"),
    ("嘉", "嘉", "jia"), ("盛", "盛", "sheng"), ("源", "源", "yuan"), ("达", "達", "da"),
    ("丰", "豐", "feng"), ("利", "利", "li"), ("安", "安", "an"), ("博", "博", "bo"),
    ("远", "遠", "yuan"), ("通", "通", "tong"), ("诚", "誠", "cheng"), ("润", "潤", "run"),
    ("祥", "祥", "xiang"), ("凯", "凱", "kai"), ("明", "明", "ming"), ("锦", "錦", "jin"),
    ("海", "海", "hai"), ("永", "永", "yong"), ("昌", "昌", "chang"), ("隆", "隆", "long"),
)  # fmt: skip
SURNAMES: tuple[Part, ...] = (
    ("王", "王", "wang"), ("李", "李", "li"), ("张", "張", "zhang"), ("刘", "劉", "liu"),
    ("陈", "陳", "chen"), ("杨", "楊", "yang"), ("黄", "黃", "huang"), ("赵", "趙", "zhao"),
    ("吴", "吳", "wu"), ("周", "周", "zhou"), ("林", "林", "lin"), ("徐", "徐", "xu"),
    ("孙", "孫", "sun"), ("马", "馬", "ma"), ("郭", "郭", "guo"), ("何", "何", "he"),
)  # fmt: skip
GIVEN_NAMES: tuple[Part, ...] = (
    ("伟", "偉", "wei"), ("芳", "芳", "fang"), ("娜", "娜", "na"), ("敏", "敏", "min"),
    ("静", "靜", "jing"), ("丽", "麗", "li"), ("强", "強", "qiang"), ("磊", "磊", "lei"),
    ("军", "軍", "jun"), ("杰", "傑", "jie"), ("涛", "濤", "tao"), ("秀英", "秀英", "xiuying"),
    ("志强", "志強", "zhiqiang"), ("美玲", "美玲", "meiling"), ("建华", "建華", "jianhua"),
    ("淑芬", "淑芬", "shufen"), ("家豪", "家豪", "jiahao"), ("雅婷", "雅婷", "yating"),
)  # fmt: skip


@dataclass(frozen=True)
class Industry:
    """An industry as the customers column shows it, and the words it puts in company names."""

    zh_cn: str
    zh_tw: str
    en: str
    share: float
    words: tuple[Part, ...]  # simplified, traditional, English

    def label(self, language: str) -> str:
        """The industry in the customer's language: 制造, 製造 or Manufacturing."""
        return {"zh-CN": self.zh_cn, "zh-TW": self.zh_tw}.get(language, self.en)


INDUSTRIES: tuple[Industry, ...] = (
    Industry("制造", "製造", "Manufacturing", 0.24,
             (("机械", "機械", "Machinery"), ("机电", "機電", "Industries"))),
    Industry("批发", "批發", "Wholesale", 0.18,
             (("贸易", "貿易", "Trading"), ("商贸", "國貿", "Distribution"))),
    Industry("物流", "物流", "Logistics", 0.12,
             (("物流", "物流", "Logistics"), ("供应链", "運通", "Freight"))),
    Industry("软件", "軟體", "Software", 0.10,
             (("软件", "軟體", "Software"), ("信息技术", "資訊", "Systems"))),
    Industry("零售", "零售", "Retail", 0.10,
             (("商业", "商業", "Retail"), ("百货", "百貨", "Stores"))),
    Industry("建筑", "建築", "Construction", 0.10,
             (("建设工程", "營造", "Construction"), ("建筑", "建設", "Builders"))),
    Industry("医药", "醫藥", "Pharmaceuticals", 0.06,
             (("医药", "醫藥", "Pharma"), ("生物科技", "生技", "Biotech"))),
    Industry("电子", "電子", "Electronics", 0.06,
             (("电子", "電子", "Electronics"), ("半导体", "半導體", "Chips"))),
    Industry("食品", "食品", "Food", 0.04,
             (("食品", "食品", "Foods"), ("食品", "食品", "Food Products"))),
)  # fmt: skip

CITIES: dict[str, tuple[str, ...]] = {
    "CN": ("上海", "北京", "深圳", "广州", "杭州", "苏州", "南京",
           "宁波", "天津", "成都", "武汉", "青岛", "厦门"),
    "TW": ("臺北", "新北", "台中", "臺南", "高雄", "桃園", "新竹"),
    "HK": ("香港",),
    "US": ("New York, NY 100", "Boston, MA 021", "Philadelphia, PA 191", "Atlanta, GA 303", "Miami, FL 331"),
    "DE": ("10 Berlin", "20 Hamburg", "80 München", "60 Frankfurt am Main", "50 Köln", "70 Stuttgart"),
    "JP": ("Minato-ku, Tokyo", "Chiyoda-ku, Tokyo", "Kita-ku, Osaka", "Naka-ku, Nagoya"),
}  # fmt: skip
# US and DE entries carry the postcode prefix the street address completes
CN_ROADS = ("人民", "建设", "解放", "中山", "长江", "黄河", "东风", "新华", "科技", "金桥")
CN_AREAS = ("高新区", "经济技术开发区", "工业园区", "")
TW_ROADS = ("中山", "中正", "民生", "忠孝", "仁愛", "信義", "復興", "建國")
HK_STREETS = ("觀塘偉業街", "九龍灣宏開道", "荃灣海盛路", "葵涌興芳路", "灣仔告士打道", "中環德輔道中")
EN_STREETS = ("Main St", "Oak Ave", "Maple St", "Harbor Rd", "Market St", "Commerce Dr", "Park Ave")
DE_STREETS = ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gartenstraße", "Schillerstraße", "Hafenweg")
BRANDS_EN: dict[str, tuple[str, ...]] = {
    "US": ("Bluewater", "Northfield", "Summit", "Redwood", "Ironbridge", "Lakeside", "Keystone", "Meridian"),
    "DE": ("Hartmann", "Becker", "Nordstern", "Rheinland", "Alpen", "Kessler", "Brandt", "Lindner"),
    "JP": ("Sakura", "Fuji", "Yamato", "Hikari", "Asahi", "Midori", "Kaede", "Tsubasa"),
}
LEGAL_FORMS = {"US": ("Inc.", "LLC", "Corp."), "DE": ("GmbH", "AG"), "JP": ("Co., Ltd.",)}
WESTERN_NAMES: dict[str, tuple[tuple[Person, ...], tuple[Person, ...]]] = {
    "US": (
        (("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Linda", "linda"), ("Emily", "emily")),
        (("Smith", "smith"), ("Miller", "miller"), ("Davis", "davis"), ("Clark", "clark")),
    ),
    "DE": (
        (("Anna", "anna"), ("Lukas", "lukas"), ("Julia", "julia"), ("Felix", "felix"), ("Jonas", "jonas")),
        (("Müller", "mueller"), ("Schmidt", "schmidt"), ("Weber", "weber"), ("Schäfer", "schaefer")),
    ),
    "JP": (
        (("Yuki", "yuki"), ("Haruto", "haruto"), ("Aoi", "aoi"), ("Ren", "ren"), ("Kenji", "kenji")),
        (("Tanaka", "tanaka"), ("Suzuki", "suzuki"), ("Watanabe", "watanabe"), ("Sato", "sato")),
    ),
}


@dataclass(frozen=True)
class Locale:
    """Where a customer sits: language, time zone, country and the currencies it is invoiced in."""

    country: str
    language: str
    timezone: str
    share: float
    currencies: tuple[str, ...]
    currency_weights: tuple[float, ...]
    finance_desk: str  # the name shown for a department-mailbox contact


LOCALES: tuple[Locale, ...] = (
    Locale("CN", "zh-CN", "Asia/Shanghai", 0.62, ("CNY", "USD"), (0.94, 0.06), "财务部"),
    Locale("TW", "zh-TW", "Asia/Taipei", 0.10, ("CNY", "USD"), (0.5, 0.5), "財務部"),
    Locale("HK", "zh-TW", "Asia/Hong_Kong", 0.06, ("CNY", "USD"), (0.4, 0.6), "財務部"),
    Locale("US", "en", "America/New_York", 0.10, ("USD",), (1.0,), "Accounts Payable"),
    Locale("DE", "en", "Europe/Berlin", 0.09, ("EUR", "USD"), (0.9, 0.1), "Accounts Payable"),
    Locale("JP", "en", "Asia/Tokyo", 0.03, ("JPY",), (1.0,), "Accounts Payable"),
)


def company_name(rng: random.Random, locale: Locale, industry: Industry, city: str) -> tuple[str, str]:
    """A company name in the locale's style, e.g. 上海华澄机械有限公司, and a slug for its e-mail domain."""
    if locale.country in BRANDS_EN:
        brand = choose(rng, BRANDS_EN[locale.country])
        form = choose(rng, LEGAL_FORMS[locale.country])
        return f"{brand} {choose(rng, industry.words)[2]} {form}", brand.lower()
    script = 0 if locale.language == "zh-CN" else 1
    first, second, word = choose(rng, BRANDS), choose(rng, BRANDS), choose(rng, industry.words)
    form = "股份有限公司" if locale.country == "TW" or rng.random() < 0.1 else "有限公司"
    return f"{city}{first[script]}{second[script]}{word[script]}{form}", first[2] + second[2]


def person(rng: random.Random, locale: Locale) -> Person:
    """A contact person's display name and the ASCII local part of their e-mail address."""
    if locale.country in WESTERN_NAMES:
        first_names, last_names = WESTERN_NAMES[locale.country]
        first, last = choose(rng, first_names), choose(rng, last_names)
        return f"{first[0]} {last[0]}", f"{first[1]}.{last[1]}"
    surname, given = choose(rng, SURNAMES), choose(rng, GIVEN_NAMES)
    script = 0 if locale.language == "zh-CN" else 1
    return surname[script] + given[script], f"{given[2]}.{surname[2]}"


def phone(rng: random.Random, locale: Locale) -> str:
    """A phone number in international format for the locale's country (US ones are fictional)."""
    return _PHONES[locale.country](rng)


_PHONES: dict[str, Callable[[random.Random], str]] = {
    "CN": lambda rng: f"+86 1{choose(rng, '3456789')}{digits(rng, 1)} {digits(rng, 4)} {digits(rng, 4)}",
    "TW": lambda rng: f"+886 9{digits(rng, 2)} {digits(rng, 3)} {digits(rng, 3)}",
    "HK": lambda rng: f"+852 {choose(rng, '569')}{digits(rng, 3)} {digits(rng, 4)}",
    "US": lambda rng: f"+1 {choose(rng, ('212', '617', '215', '404', '305'))} 555 01{digits(rng, 2)}",
    "DE": lambda rng: f"+49 15{digits(rng, 1)} {digits(rng, 8)}",
    "JP": lambda rng: f"+81 3 {digits(rng, 4)} {digits(rng, 4)}",
}


def address(rng: random.Random, locale: Locale, city: str) -> str:
    """A postal address in `city`, written the way the locale writes addresses."""
    return _ADDRESSES[locale.country](rng, city, between(rng, 1, 399))


_ADDRESSES: dict[str, Callable[[random.Random, str, int], str]] = {
    "CN": lambda rng, city, n: f"{city}市{choose(rng, CN_AREAS)}{choose(rng, CN_ROADS)}路{n}号",
    "TW": lambda rng, city, n: f"{city}市{choose(rng, TW_ROADS)}路{choose(rng, '一二三四')}段{n}號",
    "HK": lambda rng, city, n: f"{city}{choose(rng, HK_STREETS)}{n}號",
    "US": lambda rng, city, n: f"{n} {choose(rng, EN_STREETS)}, {city}{digits(rng, 2)}",
    "DE": lambda rng, city, n: f"{choose(rng, DE_STREETS)} {n}, {city[:2]}{digits(rng, 3)} {city[3:]}",
    "JP": lambda rng, city, n: f"{between(rng, 1, 9)}-{between(rng, 1, 30)}-{n % 20 + 1} {city}, Japan",
}
