"""Residents and staff: Chinese names, resident ID numbers, mobiles and home addresses.

Everything is drawn from the caller's ``random.Random`` so a seed reproduces the same
people. The numbers are valid by the same rules the platform enforces (GB 11643 check
digit, mainland mobile prefixes), because the demo must pass its own validators.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

from safegrid.customers.validation import id_check_char
from safegrid.demo.geography import ZHEJIANG, County, Town, city_of

# Surnames with rough weights for Zhejiang (陈, 王, 张 … lead; 金, 俞, 应 are local).
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("陈", 90), ("王", 80), ("张", 60), ("李", 55), ("徐", 45), ("周", 42), ("吴", 42),
    ("林", 35), ("刘", 30), ("杨", 28), ("黄", 28), ("朱", 26), ("沈", 24), ("金", 22),
    ("胡", 22), ("叶", 20), ("何", 18), ("俞", 15), ("钱", 14), ("孙", 14), ("赵", 14),
    ("郑", 14), ("蒋", 13), ("方", 13), ("汪", 12), ("应", 10), ("毛", 10), ("姚", 10),
    ("潘", 10), ("许", 10), ("楼", 8), ("童", 7), ("邵", 7), ("项", 6), ("鲍", 5),
    ("孔", 5), ("谢", 8), ("宋", 7), ("马", 8), ("高", 9), ("罗", 7), ("梁", 6),
    ("韩", 5), ("唐", 6), ("冯", 6), ("董", 7), ("袁", 6), ("戴", 6), ("傅", 6),
    ("欧阳", 1), ("诸葛", 1), ("司马", 1),
)  # fmt: skip

# Given-name characters drift with the decade of birth: a 1950s 建国 or 秀英 next to a
# 2000s 子轩 or 梓涵 is what a real customer list looks like.
_GIVEN: dict[tuple[str, bool], str] = {
    ("old", True): "建国华明德福荣根生海林平忠祥文昌宝金水才富志军强",
    ("old", False): "秀英兰凤珍玉芳桂花美娟丽琴云芬素萍彩月娥翠梅菊仙",
    ("mid", True): "伟军勇杰涛斌超明刚辉鹏华飞波宁峰浩俊凯斌磊东亮健",
    ("mid", False): "丽娟敏静燕艳霞婷芳红玲琳雪莉洁颖慧晶红燕倩丹萍蓉",
    ("new", True): "子轩浩然宇航晨博文泽睿杰俊熙一鸣天佑昊辰奕诚嘉豪",
    ("new", False): "梓涵一诺欣怡雨萱诗涵可馨思彤语桐佳琪紫萱若曦依晨",
}

# Real mainland mobile number blocks (China Mobile, Unicom, Telecom, broadcast).
_MOBILE_BLOCKS = (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, 166)
_MOBILE_BLOCKS += (173, 175, 176, 177, 178, *range(180, 190), 191, 198, 199)
_MOBILE_PREFIXES = tuple(str(n) for n in _MOBILE_BLOCKS)

# Home counties of migrant workers common in Zhejiang (GB/T 2260): their ID numbers keep
# the code of where they were registered, not where they now live.
_MIGRANT_REGIONS = ("341221", "411525", "361127", "520502", "330382")
_MIGRANT_SHARE = 0.08

_COMPOUNDS = (
    "阳光花园", "锦绣苑", "江南名府", "春晖小区", "和平小区", "新城家园", "桂花园",
    "金色家园", "翡翠城", "东方明珠苑", "香樟苑", "滨江花园",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Person:
    name: str
    male: bool
    born: date
    id_number: str
    mobile: str


def _weighted_surnames() -> tuple[list[str], list[int]]:
    return [s for s, _ in _SURNAMES], [w for _, w in _SURNAMES]


_SURNAME_POOL, _SURNAME_WEIGHTS = _weighted_surnames()


def _era(born: date) -> str:
    if born.year < 1970:
        return "old"
    if born.year < 1990:
        return "mid"
    return "new"


def chinese_name(rng: random.Random, male: bool, born: date) -> str:
    surname = rng.choices(_SURNAME_POOL, _SURNAME_WEIGHTS)[0]
    chars = _GIVEN[(_era(born), male)]
    # Two-character given names are the norm; one in five has a single character.
    length = 1 if rng.random() < 0.2 else 2
    return surname + "".join(rng.choice(chars) for _ in range(length))


def birth_date(rng: random.Random, first_year: int, last_year: int) -> date:
    start = date(first_year, 1, 1)
    span = (date(last_year, 12, 31) - start).days
    return start + timedelta(days=rng.randint(0, span))


def id_number(rng: random.Random, region_code: str, born: date, male: bool) -> str:
    """GB 11643: region(6) + birth date(8) + sequence(3, odd for men) + check character."""
    sequence = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{region_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def person(
    rng: random.Random, region_code: str, first_year: int = 1940, last_year: int = 2004
) -> Person:
    male = rng.random() < 0.5
    born = birth_date(rng, first_year, last_year)
    region = rng.choice(_MIGRANT_REGIONS) if rng.random() < _MIGRANT_SHARE else region_code
    return Person(
        name=chinese_name(rng, male, born),
        male=male,
        born=born,
        id_number=id_number(rng, region, born, male),
        mobile=mobile(rng),
    )


def address_prefix(county: County, town: Town) -> str:
    return f"{ZHEJIANG.name}{city_of(county).name}{county.name}{town.name}"


def home_address(rng: random.Random, county: County, town: Town) -> str:
    """Full street address. Flats carry building/unit/room so DATA-3 masking has a house
    number to hide; villages use the plain house number rural addresses have."""
    place = rng.choice(town.places)
    prefix = address_prefix(county, town) + place
    if place.endswith("村"):
        return f"{prefix}{rng.randint(1, 420)}号"
    number = rng.randint(1, 999)
    if rng.random() < 0.6:
        compound = rng.choice(_COMPOUNDS)
        room = f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"
        return f"{prefix}{number}号{compound}{rng.randint(1, 24)}幢{rng.randint(1, 3)}单元{room}室"
    return f"{prefix}{number}号"


def business_address(rng: random.Random, county: County, town: Town) -> str:
    place = rng.choice(town.places)
    return f"{address_prefix(county, town)}{place}{rng.randint(1, 1200)}号"
