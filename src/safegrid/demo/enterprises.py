"""Enterprise customers: company names and unified social credit codes (GB 32100).

Names follow the registered-name pattern 行政区划 + 字号 + 行业 + 组织形式
(``杭州富阳恒达造纸有限公司``), with trades typical of each county. Credit codes embed the
county's region code and a GB 11714 organisation code with its own check character, so
they look like the real thing as well as passing the platform's MOD 31 check.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import date

from safegrid.customers.validation import uscc_check_char
from safegrid.demo.geography import County, city_of

_TRADE_NAME_CHARS = "恒达鑫源华丰永盛金诚宏远富强利兴盛泰嘉和瑞祥新宇天成明辉宝隆中力"

# Businesses billed on the commercial tariff rather than the industrial one.
_COMMERCIAL = ("商贸", "超市", "酒店", "餐饮管理", "物业管理", "商业管理")
_FORMS = (("有限公司", 80), ("股份有限公司", 8), ("实业有限公司", 12))

# GB 32100 character set and GB 11714 (organisation code) weights.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Credit codes issued since the 2015 reform carry "MA" organisation codes.
_REFORM = date(2016, 1, 1)


@dataclasses.dataclass(frozen=True)
class Company:
    name: str
    credit_code: str
    tariff_category: str  # "industrial" | "commercial"


def _org_code_check(body: str) -> str:
    """GB 11714 MOD 11 check character over the 8-character body."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, region_code: str, registered: date) -> str:
    if registered >= _REFORM:
        body = "MA2" + "".join(rng.choice(_USCC_CHARS) for _ in range(5))
    else:
        body = f"{rng.randint(10_000_000, 79_999_999)}"
    # "9" = registered by market regulation, "1" = a company.
    first17 = f"91{region_code}{body}{_org_code_check(body)}"
    return first17 + uscc_check_char(first17)


def company(rng: random.Random, county: County, registered: date, taken: set[str]) -> Company:
    """``taken`` holds names already used: a registered name is unique in its region."""
    for attempt in itertools.count():
        commercial = rng.random() < 0.3
        trade = rng.choice(_COMMERCIAL) if commercial else rng.choice(county.industries)
        trade_name = "".join(rng.sample(_TRADE_NAME_CHARS, 2))
        if attempt > 20:  # pool exhausted at very large --customers: number the names
            trade_name += str(attempt)
        form = rng.choices([f for f, _ in _FORMS], [w for _, w in _FORMS])[0]
        name = f"{city_of(county).short}{county.short}{trade_name}{trade}{form}"
        if name not in taken:
            taken.add(name)
            break
    return Company(
        name=name,
        credit_code=credit_code(rng, county.region_code, registered),
        tariff_category="commercial" if commercial else "industrial",
    )
