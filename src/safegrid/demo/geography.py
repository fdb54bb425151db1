"""Where the demo utility lives: one province, two cities, four counties (ORG-1).

Region codes are the real GB/T 2260 administrative division codes, because resident ID
numbers and credit codes embed them and the validators check their province prefix.
Coordinates are approximate town centres and a box around each county, so meters land
on a map where the county really is; the boxes are kept disjoint so a meter's box alone
tells which county it belongs to.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Box:
    """A latitude/longitude rectangle (WGS-84 degrees)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


@dataclasses.dataclass(frozen=True)
class Town:
    """A subdistrict (街道) or town (镇): one reading area, one cluster of meters."""

    name: str
    name_en: str
    lat: float
    lon: float
    # Streets (…路, …街) get numbers and flats; villages (…村) get house numbers.
    places: tuple[str, ...]
    # Relative share of the county's customers living here.
    weight: float


@dataclasses.dataclass(frozen=True)
class County:
    code: str  # org unit code, e.g. ``zj-hz-fy``
    region_code: str  # GB/T 2260
    name: str
    name_en: str
    short: str  # as it appears inside company names: 杭州富阳…
    box: Box
    towns: tuple[Town, ...]
    # Relative share of the utility's customers.
    weight: float
    # Local trades, so enterprise names sound like the place (富阳 paper, 余姚 plastics).
    industries: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class City:
    code: str
    region_code: str
    name: str
    name_en: str
    short: str
    counties: tuple[County, ...]


@dataclasses.dataclass(frozen=True)
class Province:
    code: str
    region_code: str
    name: str
    name_en: str
    cities: tuple[City, ...]


FUYANG = County(
    code="zj-hz-fy",
    region_code="330183",
    name="富阳区",
    name_en="Fuyang District",
    short="富阳",
    box=Box(29.85, 30.20, 119.73, 120.20),
    weight=0.30,
    industries=("造纸", "光通信", "五金", "纺织", "包装", "建材"),
    towns=(
        Town(
            "富春街道",
            "Fuchun",
            30.048,
            119.955,
            ("江滨西路", "金桥北路", "桂花西路", "体育馆路", "恩波大道", "达夫路", "文教路"),
            0.34,
        ),
        Town("东洲街道", "Dongzhou", 30.080, 120.040, ("东洲路", "江滨东大道", "公望路"), 0.20),
        Town("银湖街道", "Yinhu", 30.135, 120.060, ("银湖街", "富闲路", "九龙大道"), 0.18),
        Town("新登镇", "Xindeng", 30.010, 119.770, ("城西村", "湘溪村", "半山村"), 0.16),
        Town("场口镇", "Changkou", 29.965, 119.935, ("东梓关村", "场口村", "青江村"), 0.12),
    ),
)

TONGLU = County(
    code="zj-hz-tl",
    region_code="330122",
    name="桐庐县",
    name_en="Tonglu County",
    short="桐庐",
    box=Box(29.60, 29.98, 119.35, 119.72),
    weight=0.18,
    industries=("制笔", "针织", "医疗器械", "物流", "竹木制品"),
    towns=(
        Town(
            "桐君街道",
            "Tongjun",
            29.797,
            119.690,
            ("迎春南路", "白云源路", "学圣路", "大奇山路", "滨江路"),
            0.36,
        ),
        Town("城南街道", "Chengnan", 29.770, 119.675, ("江南路", "洋洲南路", "瑶琳路"), 0.22),
        Town("旧县街道", "Jiuxian", 29.850, 119.705, ("旧县村", "母岭村", "泄口村"), 0.14),
        Town("分水镇", "Fenshui", 29.925, 119.430, ("朝阳路", "新龙路", "分水大道"), 0.16),
        Town("富春江镇", "Fuchunjiang", 29.690, 119.600, ("芦茨村", "石舍村", "俞赵村"), 0.12),
    ),
)

YUYAO = County(
    code="zj-nb-yy",
    region_code="330281",
    name="余姚市",
    name_en="Yuyao",
    short="余姚",
    box=Box(29.90, 30.25, 120.95, 121.40),
    weight=0.32,
    industries=("塑料", "模具", "家用电器", "轴承", "照明电器", "光电"),
    towns=(
        Town(
            "阳明街道",
            "Yangming",
            30.043,
            121.155,
            ("新建北路", "阳明西路", "舜水南路", "南雷南路", "谭家岭东路"),
            0.32,
        ),
        Town("梨洲街道", "Lizhou", 30.030, 121.130, ("梨洲路", "丰乐路", "玉立路"), 0.22),
        Town("凤山街道", "Fengshan", 30.050, 121.175, ("凤山路", "世南东路", "四明西路"), 0.20),
        Town("泗门镇", "Simen", 30.125, 121.040, ("谢家路村", "小路下村", "汝湖村"), 0.14),
        Town("马渚镇", "Mazhu", 30.040, 121.070, ("斗门村", "沈巷村", "开元村"), 0.12),
    ),
)

XIANGSHAN = County(
    code="zj-nb-xs",
    region_code="330225",
    name="象山县",
    name_en="Xiangshan County",
    short="象山",
    box=Box(29.15, 29.62, 121.68, 122.02),
    weight=0.20,
    industries=("针织", "水产品加工", "船舶修造", "食品", "模具"),
    towns=(
        Town(
            "丹东街道",
            "Dandong",
            29.478,
            121.875,
            ("丹河路", "天安路", "象山港路", "丹峰东路", "靖南大街"),
            0.34,
        ),
        Town("丹西街道", "Danxi", 29.470, 121.855, ("丹山路", "新华路", "来薰路"), 0.22),
        Town("爵溪街道", "Juexi", 29.455, 121.955, ("爵溪大道", "海滨路", "东海路"), 0.12),
        Town("石浦镇", "Shipu", 29.208, 121.950, ("人民路", "延昌街", "东门村"), 0.20),
        Town("西周镇", "Xizhou", 29.585, 121.725, ("儒雅洋村", "下沈村", "杰上村"), 0.12),
    ),
)

HANGZHOU = City("zj-hz", "330100", "杭州市", "Hangzhou", "杭州", (FUYANG, TONGLU))
NINGBO = City("zj-nb", "330200", "宁波市", "Ningbo", "宁波", (YUYAO, XIANGSHAN))
ZHEJIANG = Province("zj", "330000", "浙江省", "Zhejiang", (HANGZHOU, NINGBO))

COUNTIES: tuple[County, ...] = tuple(c for city in ZHEJIANG.cities for c in city.counties)

# The two units every county has (ORG-1): a supply station keeps the customers and meters,
# a business hall serves them at the counter.
STATION_SUFFIX = "st"
HALL_SUFFIX = "hall"


def city_of(county: County) -> City:
    return next(city for city in ZHEJIANG.cities if county in city.counties)


def station_code(county: County) -> str:
    return f"{county.code}-{STATION_SUFFIX}"


def hall_code(county: County) -> str:
    return f"{county.code}-{HALL_SUFFIX}"


def all_unit_codes() -> list[str]:
    """Every unit code of the demo tree, in creation order (the 15 of ORG-1)."""
    codes = [ZHEJIANG.code]
    for city in ZHEJIANG.cities:
        codes.append(city.code)
        for county in city.counties:
            codes += [county.code, station_code(county), hall_code(county)]
    return codes


def county_of_unit_code(code: str) -> County | None:
    """The county a unit belongs to, or None above county level."""
    for county in COUNTIES:
        if code == county.code or code.startswith(county.code + "-"):
            return county
    return None
