"""Henan's prefecture-level divisions (GB/T 2260), for grouping organisations by city."""

from __future__ import annotations

HENAN_CITIES: dict[str, tuple[str, str]] = {
    "4101": ("郑州", "Zhengzhou"),
    "4102": ("开封", "Kaifeng"),
    "4103": ("洛阳", "Luoyang"),
    "4104": ("平顶山", "Pingdingshan"),
    "4105": ("安阳", "Anyang"),
    "4106": ("鹤壁", "Hebi"),
    "4107": ("新乡", "Xinxiang"),
    "4108": ("焦作", "Jiaozuo"),
    "4109": ("濮阳", "Puyang"),
    "4110": ("许昌", "Xuchang"),
    "4111": ("漯河", "Luohe"),
    "4112": ("三门峡", "Sanmenxia"),
    "4113": ("南阳", "Nanyang"),
    "4114": ("商丘", "Shangqiu"),
    "4115": ("信阳", "Xinyang"),
    "4116": ("周口", "Zhoukou"),
    "4117": ("驻马店", "Zhumadian"),
    "4190": ("省直辖", "Provincial"),
    "4100": ("省直属", "Provincial"),
}


def city_of(region: str) -> str:
    """Chinese city name for a 6-digit region code ("41xxxx"); '省外' outside Henan."""
    if not region.startswith("41"):
        return "省外"
    return HENAN_CITIES.get(region[:4], ("河南", "Henan"))[0]
