"""Generated demo data sets: realistic, deterministic, no downloads.

Each :class:`DemoDataset` describes one development data catalog (code, zone, provider,
fields with their sensitivity and masking rules) and :func:`generate` writes its rows to a
file: CSV (with a header, ISO timestamps), JSON lines or Parquet, as a provider would
upload it. One small CSV (marine litter surveys) is GB18030-encoded, as files from
provincial systems often are.

Rows come from DuckDB SQL over ``range()``: every value is a function of the row number
through ``hash()`` (never ``random()``), so the same scale gives the same bytes, and
``COPY`` streams the rows to the file with bounded memory whatever the scale. ``scale``
multiplies the row count exactly: sensor data sets add stations (the red-tide buoys: 10
buoys per scale unit, 87,600 hourly rows each unit; scale 115 gives 10,074,000 rows),
aggregate statistics add earlier periods.

The values follow the place (Xiamen bay, its districts, reservoirs and port areas) and
the seasons: water warms from 14 to 30 °C, red-tide blooms come in spring and summer, two
typhoons pass in late July and mid September (waves, wind, rain, surge, fewer trips),
the plum-rain season is the wettest, and the regional rain of a day is shared by the
weather stations, the rain gauges and the reservoirs' inflow.
"""

# The SQL is built from this module's constants and integers only, never from input.

import codecs
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

__all__ = ["DATASETS", "DemoDataset", "DemoField", "dataset", "generate"]


@dataclass(frozen=True)
class DemoField:
    column: str  # column name in the file (English snake_case)
    name_zh: str  # Chinese name (信息项名称)
    description: str  # short English description, with unit
    level: int  # sensitivity 1..4 (L1 public, L4 highly sensitive)
    is_identifier: bool  # identifies a person, vessel, company or device
    masking: str  # "keep" | "pseudonym" | "generalize" | "drop"
    generalize: str = ""  # "hour" | "day" | "month" | "year" | "grid:0.1" | "band:10"


@dataclass(frozen=True)
class DemoDataset:
    key: str
    code: str  # <zone prefix>-<4 digits>
    zone: str  # marine | ecology | transport | meteorology | water
    provider: str  # ocean | ecology | transport | weather | water
    name: str
    name_en: str
    summary: str
    keywords: str
    update_frequency: str
    sharing_type: str
    open_type: str
    file_format: str  # csv | jsonl | parquet
    encoding: str  # utf-8 | gb18030
    base_rows: int  # rows at scale 1
    fields: tuple[DemoField, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)

    def rows(self, scale: int = 1) -> int:
        return self.base_rows * scale


def _f(column, name_zh, description, level=1, masking="keep", generalize="", identifier=False):
    return DemoField(column, name_zh, description, level, identifier, masking, generalize)


# --- SQL helpers ---------------------------------------------------------------------------

TWO_PI = "6.283185307179586"

# Deterministic pseudo-random building blocks: hash() of (row or entity number, salt).
# DuckDB's own multi-argument hash(a, s) is strongly correlated between neighbouring
# salts, so the two are hashed apart and mixed by hashing again.
_MACROS = (
    "CREATE TEMP MACRO h2(a, s) AS hash(xor(hash(a::BIGINT), hash(s::BIGINT + 1000000000000)))",
    "CREATE TEMP MACRO u01(a, s) AS h2(a, s)::DOUBLE / 18446744073709551616.0",
    "CREATE TEMP MACRO hx(a, s, m) AS (h2(a, s) % (m)::UBIGINT)::BIGINT",
    # approximately standard normal: the sum of four uniforms, rescaled
    "CREATE TEMP MACRO gauss(a, s) AS (u01(a, s) + u01(a, s + 7919) + u01(a, s + 15838)"
    " + u01(a, s + 23757) - 2.0) * 1.7320508075688772",
    "CREATE TEMP MACRO pick(lst, a, s) AS lst[hx(a, s, len(lst)) + 1]",
    # two typhoons a year (late July, mid September), by hour of the year: 0 .. ~1
    "CREATE TEMP MACRO typhoon(hoy) AS exp(-pow((hoy - 4950) / 22.0, 2))"
    " + 0.75 * exp(-pow((hoy - 6270) / 18.0, 2))",
    # chance that a day is rainy, by day of the year: dry winter, plum rains in June
    "CREATE TEMP MACRO rain_p(doy) AS 0.16 + 0.30 * exp(-pow((doy - 160) / 40.0, 2))"
    " + 0.15 * exp(-pow((doy - 225) / 30.0, 2))",
    # the regional rain of a calendar day (mm), shared by every data set that uses it
    "CREATE TEMP MACRO rain_mm(dte) AS CASE"
    " WHEN u01(dte - DATE '2000-01-01', 31) < rain_p(dayofyear(dte))"
    " OR typhoon((dayofyear(dte) - 1) * 24 + 12) > 0.2"
    " THEN -ln(1.0 - u01(dte - DATE '2000-01-01', 32)) * 13.0"
    " + 110.0 * typhoon((dayofyear(dte) - 1) * 24 + 12)"
    " ELSE 0.0 END",
)


def _str_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _num_list(values) -> str:
    return "([" + ", ".join(repr(float(v)) for v in values) + "]::DOUBLE[])"


def _int_list(values) -> str:
    return "([" + ", ".join(str(int(v)) for v in values) + "]::BIGINT[])"


def _weighted(weights) -> str:
    """A list of 1-based indexes, each repeated by its weight: ``pick`` from it."""
    return _int_list([i + 1 for i, w in enumerate(weights) for _ in range(w)])


def _cycle(expr: str, period: float, peak: float) -> str:
    """A cosine of period ``period`` (same unit as ``expr``) that is 1 at ``peak``."""
    return f"cos({TWO_PI} * (({expr}) - {peak}) / {period})"


def _classify(expr: str, limits, *, descending: bool = False) -> str:
    """1 + the number of limits ``expr`` exceeds (or, descending, falls below)."""
    op = "<" if descending else ">"
    return "(1" + "".join(f" + ({expr} {op} {lim})::INTEGER" for lim in limits) + ")"


# --- places and names -----------------------------------------------------------------------

SEA_AREAS = (  # name, longitude, latitude, nutrient loading 0..1
    ("厦门西海域", 118.07, 24.49, 0.80),
    ("同安湾", 118.17, 24.58, 0.70),
    ("九龙江口", 118.00, 24.41, 1.00),
    ("厦门东部海域", 118.22, 24.46, 0.30),
    ("大嶝海域", 118.31, 24.56, 0.35),
    ("马銮湾", 118.02, 24.56, 0.90),
    ("杏林湾", 118.06, 24.58, 0.85),
    ("五缘湾", 118.19, 24.52, 0.50),
    ("鼓浪屿周边海域", 118.06, 24.44, 0.60),
    ("厦门湾口", 118.15, 24.38, 0.30),
)
BUOY_POSITIONS = (  # the first ten buoys' moorings
    (118.065, 24.470),
    (118.170, 24.570),
    (118.030, 24.400),
    (118.070, 24.430),
    (118.290, 24.560),
    (118.220, 24.450),
    (118.150, 24.380),
    (118.200, 24.530),
    (118.030, 24.550),
    (118.060, 24.500),
)
DISTRICTS = ("思明区", "湖里区", "集美区", "海沧区", "同安区", "翔安区")
DISTRICT_CODES = ("350203", "350206", "350211", "350205", "350212", "350213")
DISTRICT_CENTRES = (
    (118.10, 24.46),
    (118.13, 24.51),
    (118.04, 24.62),
    (117.98, 24.52),
    (118.15, 24.73),
    (118.25, 24.62),
)
# syllables for the names of stations or reservoirs beyond the named ones
_SYL1 = ("青", "龙", "竹", "梅", "松", "凤", "狮", "鹤", "金", "银", "云", "象")
_SYL2 = ("山", "岭", "坑", "溪", "湖", "潭", "洋", "林", "岩", "峰", "塘", "田")


def _extra_name(n: str, named: int, names, suffix: str) -> str:
    """SQL: the ``n``-th name: one of ``names`` while n < named, else made of syllables."""
    return (
        f"CASE WHEN {n} < {named} THEN {_str_list(names)}[{n} + 1] ELSE "
        f"{_str_list(_SYL1)}[{n} % 12 + 1] || {_str_list(_SYL2)}[({n} // 12) % 12 + 1]"
        f" || CASE WHEN {n} >= 144 THEN ({n} // 144)::VARCHAR ELSE '' END || '{suffix}' END"
    )


# --- marine ----------------------------------------------------------------------------------

BUOYS_PER_SCALE = 10
HOURS_2025 = 8760


def _bloom(k: int) -> str:
    """Bloom episode ``k`` of buoy ``b`` at hour ``h``: chlorophyll-a added (µg/L).

    Episode k starts between day 60 + 60k and day 105 + 60k (spring and summer), lasts
    3 to 8 days and peaks at 20 to 60 µg/L; a buoy has two or three episodes a year."""
    start = f"(1440 + {1440 * k} + hx(b, {110 + k}, 1080))"
    length = f"(72 + hx(b, {120 + k}, 121))"
    return (
        f"CASE WHEN {k} < 2 + hx(b, 99, 2) AND h >= {start} AND h < {start} + {length}"
        f" THEN (18.0 + 38.0 * u01(b, {130 + k}))"
        f" * pow(sin(pi() * (h - {start}) / {length}), 2) ELSE 0.0 END"
    )


def _sql_redtide_buoys(scale: int) -> str:
    n = HOURS_2025 * BUOYS_PER_SCALE * scale
    lons = _num_list(p[0] for p in BUOY_POSITIONS)
    lats = _num_list(p[1] for p in BUOY_POSITIONS)
    diurnal = _cycle("hr", 24, 15)
    return f"""
    SELECT buoy_id, longitude, latitude, ts,
        round(temp, 2) AS water_temp,
        round(least(33.0, greatest(28.0, sal)), 2) AS salinity,
        round(least(8.3, greatest(7.9, ph)), 2) AS ph,
        round(greatest(3.0, oxygen), 2) AS dissolved_oxygen,
        round(greatest(0.3, chl), 2) AS chlorophyll_a
    FROM (
        SELECT *,
            8.6 - 0.1 * (temp - 14.0) + 0.25 * {diurnal} + 2.2 * f * {diurnal}
                + 0.12 * gauss(i, 50) AS oxygen,
            8.08 + 0.04 * {diurnal} + 0.15 * f * (0.5 + 0.5 * {diurnal})
                + 0.025 * gauss(i, 60) AS ph
        FROM (
            SELECT *, least(1.0, bloom / 35.0) AS f,
                22.0 + 7.6 * {_cycle("d", 365, 202)} + 0.8 * (u01(b, 3) - 0.5)
                    + 0.45 * {diurnal} + 0.15 * gauss(i, 40) AS temp,
                31.8 - 2.2 * exp(-pow((d - 170) / 45.0, 2)) - 1.5 * u01(b, 5)
                    + 0.25 * gauss(i, 70) AS sal,
                2.3 + 1.0 * (0.5 + 0.5 * {_cycle("d", 365, 150)}) + 0.8 * (u01(b, 4) - 0.5)
                    + 0.25 * {_cycle("hr", 24, 14)} + 0.3 * gauss(i, 80)
                    + bloom * (1.0 + 0.05 * gauss(i, 90)) AS chl
            FROM (
                SELECT i, b, h, d, hr, ts,
                    printf('XM-B%02d', b + 1) AS buoy_id,
                    CASE WHEN b < 10 THEN {lons}[b + 1]
                        ELSE round(118.0 + 0.3 * u01(b, 1), 4) END AS longitude,
                    CASE WHEN b < 10 THEN {lats}[b + 1]
                        ELSE round(24.3 + 0.3 * u01(b, 2), 4) END AS latitude,
                    greatest({_bloom(0)}, {_bloom(1)}, {_bloom(2)}) AS bloom
                FROM (
                    SELECT i, i // {HOURS_2025} AS b, i % {HOURS_2025} AS h,
                        (i % {HOURS_2025}) // 24 AS d, i % 24 AS hr,
                        TIMESTAMP '2025-01-01 00:00:00' + to_hours(i % {HOURS_2025}) AS ts
                    FROM range({n}) t(i)
                )
            )
        )
    )
    """


SPECIES = (  # dominant species, weight, harmful
    ("东海原甲藻", 6, False),
    ("中肋骨条藻", 6, False),
    ("夜光藻", 4, False),
    ("锥状斯克里普藻", 2, False),
    ("球形棕囊藻", 2, True),
    ("米氏凯伦藻", 2, True),
    ("赤潮异弯藻", 1, True),
    ("红色中缢虫", 1, False),
    ("链状亚历山大藻", 1, True),
)


def _sql_redtide_events(scale: int) -> str:
    n = 60 * scale  # spread evenly over 2006..2025, in order
    species = _str_list(s[0] for s in SPECIES)
    harmful = _str_list(s[0] for s in SPECIES if s[2])
    return f"""
    SELECT printf('CT%d-%03d', year, i - ((year - 2006) * {n} + 19) // 20 + 1) AS event_id,
        {_str_list(a[0] for a in SEA_AREAS)}[a + 1] AS sea_area,
        start_date,
        start_date + (1 + least(19, floor(-ln(1.0 - u01(i, 4)) * 4.0)))::INTEGER AS end_date,
        round({_num_list(x[1] for x in SEA_AREAS)}[a + 1] + 0.04 * (u01(i, 5) - 0.5), 4)
            AS longitude,
        round({_num_list(x[2] for x in SEA_AREAS)}[a + 1] + 0.04 * (u01(i, 6) - 0.5), 4)
            AS latitude,
        species AS dominant_species,
        list_contains({harmful}, species) AS harmful,
        round(pow(10, 5.3 + 2.7 * u01(i, 7)))::BIGINT AS max_cell_density,
        round(0.5 * pow(600.0, pow(u01(i, 8), 1.6)), 1) AS area_km2,
        CASE WHEN list_contains({harmful}, species) AND u01(i, 9) < 0.7
                THEN round(10.0 + 1500.0 * pow(u01(i, 10), 2), 1)
            WHEN u01(i, 9) < 0.12 THEN round(120.0 * pow(u01(i, 10), 2), 1)
            ELSE 0.0 END AS economic_loss_10k_yuan,
        pick({_str_list(["浮标在线监测", "海上巡航", "卫星遥感", "渔民报告", "公众举报"])}, i, 11)
            AS discovered_by
    FROM (
        SELECT i, year, hx(i, 1, {len(SEA_AREAS)}) AS a,
            {species}[pick({_weighted(s[1] for s in SPECIES)}, i, 2)] AS species,
            make_date(year, 1, 1) + (79 + ((i * 20) % {n}) * 140 // {n} + hx(i, 3, 5))::INTEGER
                AS start_date
        FROM (SELECT i, 2006 + (i * 20) // {n} AS year FROM range({n}) t(i))
    )
    """


VESSEL_TYPES = (
    # type, weight, gross tonnage low/high, stay hours low/high, berth group, domestic only
    ("集装箱船", 30, 8000, 200000, 10, 40, 1, False),
    ("散货船", 16, 15000, 90000, 24, 120, 2, False),
    ("杂货船", 10, 1500, 20000, 20, 96, 2, False),
    ("油轮", 6, 3000, 160000, 20, 60, 3, False),
    ("化学品船", 4, 2000, 30000, 16, 48, 3, False),
    ("液化气船", 2, 3000, 100000, 20, 48, 3, False),
    ("客滚船", 6, 8000, 30000, 2, 8, 4, True),
    ("客船", 8, 200, 3000, 1, 4, 4, True),
    ("渔船", 12, 50, 600, 12, 240, 5, True),
    ("拖轮", 4, 200, 600, 4, 48, 6, True),
    ("工程船", 2, 500, 8000, 24, 240, 6, True),
)
BERTHS = (
    ("海天码头", "嵩屿码头", "远海自动化码头", "海润码头", "新海达码头", "国际货柜码头"),
    ("东渡港区", "刘五店港区", "招银港区", "后石港区", "石码港区"),
    ("石湖山油品码头", "海沧石化码头", "招银液体化工码头"),
    ("东渡邮轮码头", "五通客运码头", "东渡客运码头", "嵩屿客运码头"),
    ("高崎渔港", "欧厝渔港", "沙坡尾避风坞"),
    ("东渡港区工作船码头", "海沧港区工作船码头"),
)
FLAGS = (  # flag, weight for foreign-going types, MMSI maritime identification digits
    ("中国", 45, (412, 413, 414)),
    ("中国香港", 12, (477,)),
    ("巴拿马", 14, (351, 352, 353, 354, 355, 356, 357)),
    ("利比里亚", 10, (636,)),
    ("马绍尔群岛", 8, (538,)),
    ("新加坡", 7, (563, 564, 565, 566)),
    ("希腊", 4, (237, 239, 240, 241)),
)
PORTS_DOMESTIC = ("上海", "宁波舟山", "深圳", "广州", "青岛", "天津", "福州", "泉州", "汕头")
PORTS_ABROAD = (
    "高雄",
    "基隆",
    "台中",
    "香港",
    "新加坡",
    "釜山",
    "东京",
    "横滨",
    "马尼拉",
    "胡志明市",
    "巴生港",
    "洛杉矶",
    "长滩",
    "鹿特丹",
    "汉堡",
)
PORTS_FERRY = ("金门", "鼓浪屿", "台中", "基隆", "漳州港")
_CN_NAME_A = ("中远海运", "招商", "安通", "信风", "鹭", "闽", "鑫海", "华航")
_CN_NAME_A += ("海峡", "金海", "泉", "通达", "宏", "东方", "长航", "嘉")
_CN_NAME_B = ("之星", "明珠", "海", "顺", "祥", "发", "运", "盛", "达", "兴", "泰", "远")
_EN_NAME_A = ("EVER", "MSC", "CMA CGM", "MAERSK", "COSCO", "OOCL", "ONE", "HMM", "YM")
_EN_NAME_A += ("WAN HAI", "PACIFIC", "OCEAN", "GOLDEN", "GREAT", "STAR")
_EN_NAME_B = ("GLORY", "HARMONY", "PIONEER", "FORTUNE", "SPIRIT", "VICTORY", "DAWN")
_EN_NAME_B += ("BRIGHT", "UNITY", "EMPRESS", "PROSPER", "LEGEND")
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "159", "186")
MOBILE_PREFIXES += ("187", "188", "189", "177", "180", "181", "199")


def _sql_vessels_in_port(scale: int) -> str:
    n = 20000 * scale
    vessels = 2500 * scale  # MMSI stay unique up to a million vessels (scale 400)
    vt = VESSEL_TYPES
    mids = "[" + ", ".join(_int_list(f[2]) for f in FLAGS) + "]"
    berths = "[" + ", ".join(_str_list(b) for b in BERTHS) + "]"
    cn_name = (
        f"{_str_list(_CN_NAME_A)}[v % 16 + 1] || {_str_list(_CN_NAME_B)}[(v // 16) % 12 + 1]"
        " || (v // 192 + 1)::VARCHAR || '号'"
    )
    en_name = (
        f"{_str_list(_EN_NAME_A)}[v % 15 + 1] || ' ' || {_str_list(_EN_NAME_B)}[(v // 15) % 12 + 1]"
        " || ' ' || (v // 180 + 1)::VARCHAR"
    )
    return f"""
    SELECT {mids}[fi][hx(v, 5, len({mids}[fi])) + 1] * 1000000
            + (v * 104729 + 17) % 1000000 AS mmsi,
        CASE WHEN g = 5 THEN '闽厦渔' || printf('%05d', v)
            WHEN fi <= 2 THEN {cn_name} ELSE {en_name} END AS vessel_name,
        {_str_list(t[0] for t in vt)}[ti] AS vessel_type,
        {_str_list(f[0] for f in FLAGS)}[fi] AS flag,
        gross_tonnage,
        round(5.2 * pow(gross_tonnage, 0.35) * (0.95 + 0.1 * u01(v, 13)), 1) AS length_m,
        pick({berths}[g], i, 6) || (1 + hx(i, 7, 12))::VARCHAR || '号泊位' AS berth,
        arrival_time,
        arrival_time + to_minutes(
            {_int_list(t[4] * 60 for t in vt)}[ti]
            + hx(i, 8, {_int_list((t[5] - t[4]) * 60 for t in vt)}[ti])
        ) AS departure_time,
        CASE WHEN g = 4 THEN pick({_str_list(PORTS_FERRY)}, i, 9)
            WHEN g = 5 THEN pick({_str_list(["闽南渔场", "台湾浅滩渔场"])}, i, 9)
            WHEN g = 6 THEN '厦门港'
            WHEN fi <= 2 AND u01(i, 10) < 0.6 THEN pick({_str_list(PORTS_DOMESTIC)}, i, 9)
            ELSE pick({_str_list(PORTS_ABROAD)}, i, 9) END AS previous_port,
        pick({_str_list(MOBILE_PREFIXES)}, v, 14) || printf('%08d', hx(v, 15, 100000000))
            AS owner_phone
    FROM (
        SELECT *,
            CASE WHEN {_str_list(t[0] for t in vt)}[ti] IN
                    ({", ".join(repr(t[0]) for t in vt if t[7])}) THEN 1
                ELSE pick({_weighted(f[1] for f in FLAGS)}, v, 4) END AS fi,
            {_int_list(t[6] for t in vt)}[ti] AS g,
            round({_num_list(t[2] for t in vt)}[ti]
                * pow({_num_list(t[3] / t[2] for t in vt)}[ti], u01(v, 12)))::BIGINT
                AS gross_tonnage,
            TIMESTAMP '2025-01-01 00:00:00'
                + to_minutes((i * 525600) // {n} + hx(i, 2, 180)) AS arrival_time
        FROM (
            SELECT i, v, pick({_weighted(t[1] for t in vt)}, v, 3) AS ti
            FROM (SELECT i, hx(i, 1, {vessels}) AS v FROM range({n}) t(i))
        )
    )
    """


SEAWATER_CLASSES = ("一类", "二类", "三类", "四类", "劣四类")


def _sql_seawater_quality(scale: int) -> str:
    n = 40 * 24 * scale  # 40 stations a scale unit, monthly, 2024-2025
    areas = SEA_AREAS
    din = _classify("inorganic_nitrogen", (0.20, 0.30, 0.40, 0.50))
    phosphate = _classify("active_phosphate", (0.015, 0.030, 0.030, 0.045))
    cod = _classify("cod_mn", (2, 3, 4, 5))
    oxygen = _classify("dissolved_oxygen", (6, 5, 4, 3), descending=True)
    oil = _classify("petroleum", (0.05, 0.05, 0.30, 0.50))
    return f"""
    SELECT station_id, sea_area, longitude, latitude, sample_date, water_temp, salinity, ph,
        dissolved_oxygen, cod_mn, inorganic_nitrogen, active_phosphate, petroleum,
        {_str_list(SEAWATER_CLASSES)}[greatest({din}, {phosphate}, {cod}, {oxygen}, {oil})]
            AS water_quality_class
    FROM (
        SELECT station_id, sea_area, longitude, latitude, sample_date,
            round(temp, 1) AS water_temp,
            round(least(34.0, greatest(20.0,
                31.8 - 3.5 * f * rainy - 1.0 * f + 0.3 * gauss(i, 10))), 2) AS salinity,
            round(8.14 - 0.12 * f + 0.04 * gauss(i, 11), 2) AS ph,
            round(8.6 - 0.1 * (temp - 14.0) - 0.6 * f * rainy + 0.3 * gauss(i, 12), 2)
                AS dissolved_oxygen,
            round((0.5 + 1.4 * f) * exp(0.2 * gauss(i, 13)), 2) AS cod_mn,
            round((0.10 + 0.45 * f + 0.15 * rainy * f) * exp(0.25 * gauss(i, 14)), 3)
                AS inorganic_nitrogen,
            round((0.006 + 0.035 * f + 0.006 * rainy) * exp(0.3 * gauss(i, 15)), 4)
                AS active_phosphate,
            round(0.006 + 0.02 * f * u01(i, 16), 4) AS petroleum
        FROM (
            SELECT *, exp(-pow((dayofyear(sample_date) - 170) / 50.0, 2)) AS rainy,
                22.0 + 8.0 * {_cycle("dayofyear(sample_date)", 365, 202)}
                    + 0.5 * gauss(i, 9) AS temp
            FROM (
                SELECT i, printf('XMSW%03d', st + 1) AS station_id,
                    {_str_list(a[0] for a in areas)}[st % 10 + 1] AS sea_area,
                    round({_num_list(a[1] for a in areas)}[st % 10 + 1]
                        + 0.05 * (u01(st, 1) - 0.5), 4) AS longitude,
                    round({_num_list(a[2] for a in areas)}[st % 10 + 1]
                        + 0.05 * (u01(st, 2) - 0.5), 4) AS latitude,
                    {_num_list(a[3] for a in areas)}[st % 10 + 1] + 0.1 * (u01(st, 3) - 0.5)
                        AS f,
                    (DATE '2024-01-01' + to_months(i % 24))::DATE
                        + (3 + hx(i, 4, 20))::INTEGER AS sample_date
                FROM (SELECT i, i // 24 AS st FROM range({n}) t(i))
            )
        )
    )
    """


LITTER_SITES = (  # site, longitude, latitude, littering factor
    ("观音山沙滩", 118.201, 24.498, 1.1),
    ("黄厝海滩", 118.185, 24.455, 1.0),
    ("曾厝垵海滩", 118.126, 24.433, 1.4),
    ("鼓浪屿港仔后海滩", 118.063, 24.447, 0.9),
    ("五缘湾湿地公园岸段", 118.181, 24.522, 0.8),
    ("天圆地方沙滩", 118.102, 24.436, 1.2),
    ("大嶝岛海滩", 118.335, 24.553, 0.7),
    ("下潭尾红树林", 118.283, 24.604, 1.5),
    ("海沧湾公园岸段", 118.035, 24.484, 1.0),
    ("集美学村海滩", 118.104, 24.583, 0.9),
)
LITTER_TYPES = (  # type, mean items per 100 m², mean item weight (kg)
    ("塑料", 35.0, 0.015),
    ("泡沫", 12.0, 0.004),
    ("玻璃", 3.0, 0.12),
    ("金属", 2.0, 0.05),
    ("织物", 2.0, 0.08),
    ("木制品", 4.0, 0.2),
)
SURVEYORS = ("市海洋环境监测站", "海洋大学海洋与地球学院", "蓝色海湾公益联盟", "区海洋执法大队")


def _sql_marine_litter(scale: int) -> str:
    n = 10 * 8 * 6 * scale  # sites x quarters 2024-2025 x litter types
    s = LITTER_SITES
    return f"""
    SELECT CASE WHEN site < 10 THEN {_str_list(x[0] for x in s)}[site + 1]
                ELSE {_str_list(x[0] for x in s)}[site % 10 + 1]
                    || (site // 10 + 1)::VARCHAR || '号断面' END AS survey_site,
        round({_num_list(x[1] for x in s)}[site % 10 + 1]
            + CASE WHEN site < 10 THEN 0 ELSE 0.01 * (u01(site, 1) - 0.5) END, 4) AS longitude,
        round({_num_list(x[2] for x in s)}[site % 10 + 1]
            + CASE WHEN site < 10 THEN 0 ELSE 0.01 * (u01(site, 2) - 0.5) END, 4) AS latitude,
        survey_date,
        {_str_list(t[0] for t in LITTER_TYPES)}[lt + 1] AS litter_type,
        round(items, 1) AS count_per_100m2,
        round(items * {_num_list(t[2] for t in LITTER_TYPES)}[lt + 1]
            * exp(0.3 * gauss(i, 5)), 3) AS weight_kg,
        {_str_list(SURVEYORS)}[(site + q) % {len(SURVEYORS)} + 1] AS surveyor_org
    FROM (
        SELECT *,
            {_num_list(t[1] for t in LITTER_TYPES)}[lt + 1]
                * {_num_list(x[3] for x in s)}[site % 10 + 1]
                * (1.0 + 0.3 * {_cycle("dayofyear(survey_date)", 365, 200)})
                * exp(0.4 * gauss(i, 4)) AS items
        FROM (
            SELECT i, site, q, lt,
                (DATE '2024-02-01' + to_months(q * 3))::DATE
                    + (hx(site * 8 + q, 3, 20))::INTEGER AS survey_date
            FROM (SELECT i, i // 48 AS site, (i // 6) % 8 AS q, i % 6 AS lt FROM range({n}) t(i))
        )
    )
    """


WAVE_STATIONS = (  # sea area, exposure
    ("厦门湾口", 0.9),
    ("厦门东部海域", 1.1),
    ("大嶝海域", 0.8),
    ("围头湾", 1.2),
    ("九龙江口外", 0.7),
)


def _sql_wave_observations(scale: int) -> str:
    n = HOURS_2025 * 5 * scale
    return f"""
    SELECT station_id, sea_area, ts,
        round(hs, 2) AS significant_wave_height_m,
        round(hs * (1.55 + 0.35 * u01(i, 5)), 2) AS max_wave_height_m,
        round(3.2 + 2.4 * sqrt(hs) + 0.3 * gauss(i, 6), 1) AS mean_wave_period_s,
        (((CASE WHEN typhoon(h) > 0.3 THEN 110 WHEN {_cycle("d", 365, 15)} > 0 THEN 50
                ELSE 200 END + 25 * gauss(i, 7))::INTEGER % 360) + 360) % 360
            AS wave_direction_deg,
        CASE WHEN hs <= 0.1 THEN 1 WHEN hs <= 0.5 THEN 2 WHEN hs <= 1.25 THEN 3
            WHEN hs <= 2.5 THEN 4 WHEN hs <= 4.0 THEN 5 WHEN hs <= 6.0 THEN 6
            WHEN hs <= 9.0 THEN 7 ELSE 8 END AS sea_state
    FROM (
        SELECT *,
            greatest(0.1, exposure * (0.75 + 0.2 * {_cycle("d", 365, 15)})
                * (1.0 + 0.35 * sin({TWO_PI} * h / 127.2 + 0.8)
                    + 0.2 * sin({TWO_PI} * h / 55.2 + 1.7))
                * exp(0.1 * gauss(i, 4)) + 4.8 * exposure * typhoon(h)) AS hs
        FROM (
            SELECT i, h, h // 24 AS d, printf('XM-W%02d', st + 1) AS station_id,
                {_str_list(w[0] for w in WAVE_STATIONS)}[st % 5 + 1] AS sea_area,
                {_num_list(w[1] for w in WAVE_STATIONS)}[st % 5 + 1]
                    * CASE WHEN st < 5 THEN 1.0 ELSE 0.8 + 0.4 * u01(st, 3) END AS exposure,
                TIMESTAMP '2025-01-01 00:00:00' + to_hours(h) AS ts
            FROM (SELECT i, i // {HOURS_2025} AS st, i % {HOURS_2025} AS h FROM range({n}) t(i))
        )
    )
    """


TIDE_STATIONS = (("厦门验潮站", 0.0, 1.0), ("刘五店验潮站", 0.25, 1.05), ("石码验潮站", 0.6, 0.85))


def _sql_tide_levels(scale: int) -> str:
    n = HOURS_2025 * 3 * scale
    t = TIDE_STATIONS
    constituents = " + ".join(
        f"{amp} * cos({TWO_PI} * (h - lag) / {period} - {phase})"
        for amp, period, phase in (
            (195.0, 12.4206012, 1.2),  # M2
            (55.0, 12.0, 2.1),  # S2
            (32.0, 23.9344697, 0.6),  # K1
            (26.0, 25.8193417, 2.9),  # O1
        )
    )
    return f"""
    SELECT station, ts, predicted + surge AS tide_level_cm, predicted AS predicted_tide_cm,
        surge AS surge_cm
    FROM (
        SELECT station, ts,
            round(40.0 + 10.0 * {_cycle("h // 24", 365, 280)}
                + amp * ({constituents}))::INTEGER AS predicted,
            round(3.0 * gauss(i, 4) + 70.0 * typhoon(h)
                + 8.0 * sin({TWO_PI} * h / 146.4))::INTEGER AS surge
        FROM (
            SELECT i, h,
                CASE WHEN st < 3 THEN {_str_list(x[0] for x in t)}[st + 1]
                    ELSE printf('临时验潮点%03d', st + 1) END AS station,
                CASE WHEN st < 3 THEN {_num_list(x[1] for x in t)}[st + 1]
                    ELSE u01(st, 1) END AS lag,
                CASE WHEN st < 3 THEN {_num_list(x[2] for x in t)}[st + 1]
                    ELSE 0.8 + 0.3 * u01(st, 2) END AS amp,
                TIMESTAMP '2025-01-01 00:00:00' + to_hours(h) AS ts
            FROM (SELECT i, i // {HOURS_2025} AS st, i % {HOURS_2025} AS h FROM range({n}) t(i))
        )
    )
    """


# --- ecology and environment ----------------------------------------------------------------

AIR_STATIONS = (  # name, particulate factor, traffic factor
    ("鼓浪屿", 0.75, 0.5),
    ("洪文", 1.0, 1.0),
    ("湖里", 1.05, 1.2),
    ("溪东", 1.0, 0.9),
    ("大生里", 1.1, 1.3),
    ("集美", 0.95, 0.9),
    ("同安古楼", 1.05, 0.9),
    ("翔安新城", 0.9, 0.8),
)
# HJ 633-2012 breakpoints: IAQI 0, 50, 100, 150, 200, 300, 400, 500
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
AQI_BREAKPOINTS = {
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "o3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "no2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "so2": (0, 150, 500, 650, 800, 1600, 2100, 2620),
    "co": (0, 5, 10, 35, 60, 90, 120, 150),
}
AIR_POLLUTANT_LABELS = {
    "pm25": "PM2.5",
    "pm10": "PM10",
    "o3": "O3",
    "no2": "NO2",
    "so2": "SO2",
    "co": "CO",
}


def _iaqi(column: str) -> str:
    bp = AQI_BREAKPOINTS[column]
    cases = " ".join(
        f"WHEN {column} <= {bp[k + 1]} THEN {IAQI[k]} + ({IAQI[k + 1] - IAQI[k]}) * "
        f"({column} - {bp[k]}) / {float(bp[k + 1] - bp[k])}"
        for k in range(len(bp) - 1)
    )
    return f"(CASE {cases} ELSE 500 END)"


def _sql_air_quality(scale: int) -> str:
    n = HOURS_2025 * 8 * scale
    s = AIR_STATIONS
    regional = (
        f"exp(0.35 * sin({TWO_PI} * d / 7.3 + 1.1) + 0.25 * sin({TWO_PI} * d / 3.1 + 0.4)"
        f" + 0.2 * sin({TWO_PI} * d / 17.0 + 2.0))"
    )
    pollutants = list(AQI_BREAKPOINTS)
    primary = " ".join(
        f"WHEN i_{p} = top THEN '{AIR_POLLUTANT_LABELS[p]}'" for p in ("pm25", "pm10", "o3", "no2")
    )
    return f"""
    SELECT station_code, station_name, ts, aqi,
        CASE WHEN aqi <= 50 THEN '优' WHEN aqi <= 100 THEN '良' WHEN aqi <= 150 THEN '轻度污染'
            WHEN aqi <= 200 THEN '中度污染' WHEN aqi <= 300 THEN '重度污染' ELSE '严重污染' END
            AS quality_level,
        CASE WHEN aqi <= 50 THEN NULL {primary} ELSE 'SO2' END AS primary_pollutant,
        pm25, pm10, o3, no2, so2, co
    FROM (
        SELECT *, ceil(top)::INTEGER AS aqi
        FROM (
            SELECT *, greatest({", ".join(f"i_{p}" for p in pollutants)}) AS top
            FROM (
                SELECT *, {", ".join(f"{_iaqi(p)} AS i_{p}" for p in pollutants)}
                FROM (
                    SELECT station_code, station_name, ts, pm25,
                        round(pm25 * (1.3 + 0.4 * u01(i, 21)))::INTEGER AS pm10,
                        greatest(2, round(ozone - 0.3 * no2))::INTEGER AS o3,
                        no2,
                        round(4.0 + 4.0 * u01(i, 22))::INTEGER AS so2,
                        round((0.45 + 0.15 * {_cycle("d", 365, 15)})
                            * exp(0.2 * gauss(i, 23)), 1) AS co
                    FROM (
                        SELECT *,
                            round(24.0 * (1.0 + 0.4 * {_cycle("d", 365, 15)}) * pf * {regional}
                                * (1.0 + 0.15 * {_cycle("hr", 12, 9)}) * exp(0.22 * gauss(i, 24))
                                * (1.0 - 0.6 * typhoon(h)))::INTEGER AS pm25,
                            round(22.0 * tf * (1.0 + 0.35 * {_cycle("hr", 12, 8.5)})
                                * (1.0 + 0.2 * {_cycle("d", 365, 15)})
                                * exp(0.25 * gauss(i, 25)))::INTEGER AS no2,
                            (25.0 + 90.0 * pow(greatest(0.0, sin(pi() * (hr - 7) / 12.0)), 1.5)
                                * (1.0 + 0.3 * {_cycle("d", 182.5, 115)}))
                                * exp(0.15 * gauss(i, 26)) * sqrt({regional}) AS ozone
                        FROM (
                            SELECT i, h, h // 24 AS d, h % 24 AS hr,
                                printf('%04dA', 1314 + st) AS station_code,
                                CASE WHEN st < 8 THEN {_str_list(x[0] for x in s)}[st + 1]
                                    ELSE printf('空气微站%04d', st + 1) END AS station_name,
                                {_num_list(x[1] for x in s)}[st % 8 + 1] AS pf,
                                {_num_list(x[2] for x in s)}[st % 8 + 1] AS tf,
                                TIMESTAMP '2025-01-01 00:00:00' + to_hours(h) AS ts
                            FROM (
                                SELECT i, i // {HOURS_2025} AS st, i % {HOURS_2025} AS h
                                FROM range({n}) t(i)
                            )
                        )
                    )
                )
            )
        )
    )
    """


DRINKING_SOURCES = (  # name, type, district, loading 0..1
    ("汀溪水库", "水库型", "同安区", 0.30),
    ("坂头水库", "水库型", "集美区", 0.50),
    ("石兜水库", "水库型", "集美区", 0.60),
    ("莲花水库", "水库型", "同安区", 0.35),
    ("上李水库", "水库型", "思明区", 0.55),
    ("溪东水库", "水库型", "同安区", 0.60),
    ("竹坝水库", "水库型", "同安区", 0.50),
    ("北溪引水取水口", "河流型", "海沧区", 0.80),
)
SURFACE_CLASSES = ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")


def _sql_drinking_water_sources(scale: int) -> str:
    n = 8 * 36 * scale  # sources x months 2023-2025
    ds = DRINKING_SOURCES
    cod = _classify("permanganate_index", (2, 4, 6, 10, 15))
    nh3 = _classify("ammonia_nitrogen", (0.15, 0.5, 1.0, 1.5, 2.0))
    tp_lake = _classify("total_phosphorus", (0.01, 0.025, 0.05, 0.1, 0.2))
    tp_river = _classify("total_phosphorus", (0.02, 0.1, 0.2, 0.3, 0.4))
    oxygen = _classify("dissolved_oxygen", (7.5, 6, 5, 3, 2), descending=True)
    grade = (
        f"greatest({cod}, {nh3}, {oxygen}, "
        f"CASE WHEN source_type = '河流型' THEN {tp_river} ELSE {tp_lake} END)"
    )
    return f"""
    SELECT source_name, source_type, district, sample_date, water_temp, ph, dissolved_oxygen,
        permanganate_index, ammonia_nitrogen, total_phosphorus, total_nitrogen, fecal_coliform,
        {_str_list(SURFACE_CLASSES)}[{grade}] AS water_quality_class,
        {grade} <= 3 AS compliant
    FROM (
        SELECT source_name, source_type, district, sample_date,
            round(temp, 1) AS water_temp,
            round(7.0 + 0.6 * u01(i, 5), 2) AS ph,
            round(9.4 - 0.12 * (temp - 12.0) - 0.8 * q * rainy + 0.3 * gauss(i, 6), 2)
                AS dissolved_oxygen,
            round((1.3 + 1.6 * q) * (1.0 + 0.15 * rainy) * exp(0.15 * gauss(i, 7)), 2)
                AS permanganate_index,
            round((0.04 + 0.25 * q) * exp(0.35 * gauss(i, 8)), 3) AS ammonia_nitrogen,
            round(CASE WHEN source_type = '河流型' THEN 0.03 + 0.06 * q ELSE 0.008 + 0.03 * q END
                * (1.0 + 0.3 * rainy) * exp(0.3 * gauss(i, 9)), 3) AS total_phosphorus,
            round((0.5 + 1.0 * q) * exp(0.2 * gauss(i, 10)), 2) AS total_nitrogen,
            round(20.0 + 1500.0 * q * pow(u01(i, 11), 3))::BIGINT AS fecal_coliform
        FROM (
            SELECT *, exp(-pow((dayofyear(sample_date) - 170) / 50.0, 2)) AS rainy,
                20.5 - 7.0 * {_cycle("dayofyear(sample_date)", 365, 20)} + 0.6 * gauss(i, 4)
                    AS temp
            FROM (
                SELECT i,
                    {_extra_name("src", len(ds), [x[0] for x in ds], "水库")} AS source_name,
                    CASE WHEN src < {len(ds)} THEN {_str_list(x[1] for x in ds)}[src + 1]
                        ELSE '水库型' END AS source_type,
                    CASE WHEN src < {len(ds)} THEN {_str_list(x[2] for x in ds)}[src + 1]
                        ELSE {_str_list(DISTRICTS)}[hx(src, 1, 6) + 1] END AS district,
                    CASE WHEN src < {len(ds)} THEN {_num_list(x[3] for x in ds)}[src + 1]
                        ELSE 0.3 + 0.5 * u01(src, 2) END AS q,
                    (DATE '2023-01-01' + to_months(i % 36))::DATE
                        + (4 + hx(i, 3, 10))::INTEGER AS sample_date
                FROM (SELECT i, i // 36 AS src FROM range({n}) t(i))
            )
        )
    )
    """


INDUSTRIES = (
    # industry, name word, discharge t/day low/high, COD limit, ammonia limit (mg/L)
    ("污水处理", "水务", 20000, 150000, 50, 5),
    ("电镀", "电镀", 50, 600, 80, 15),
    ("印染", "印染", 500, 5000, 80, 10),
    ("化工", "化工", 300, 4000, 100, 15),
    ("食品加工", "食品", 200, 3000, 100, 15),
    ("电子制造", "电子", 300, 5000, 100, 15),
    ("造纸", "纸业", 1000, 10000, 90, 8),
    ("制药", "制药", 100, 1500, 100, 15),
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _sql_pollution_source_emissions(scale: int) -> str:
    n = 25 * 365 * scale  # enterprises x days of 2025
    ind = INDUSTRIES
    checksum = (
        "list_sum(list_transform(range(17), lambda k: "
        f"(ascii(substr(first17, k + 1, 1)) - 48) * {_int_list(USCC_WEIGHTS)}[k + 1]))"
    )
    return f"""
    SELECT first17 || substr('{USCC_ALPHABET}', ((31 - {checksum} % 31) % 31)::INTEGER + 1, 1)
            AS credit_code,
        '厦门' || {_str_list("鑫华宏联恒凯瑞新金东")}[e % 10 + 1]
            || {_str_list("达盛源泰丰诚安顺鹭海")}[(e // 10) % 10 + 1]
            || CASE WHEN e >= 100 THEN (e // 100 + 1)::VARCHAR ELSE '' END
            || {_str_list(x[1] for x in ind)}[k + 1] || '有限公司' AS enterprise_name,
        {_str_list(DISTRICTS)}[dist + 1] AS district,
        {_str_list(x[0] for x in ind)}[k + 1] AS industry,
        date,
        round({_num_list(x[2] for x in ind)}[k + 1]
            * pow({_num_list(x[3] / x[2] for x in ind)}[k + 1], u01(e, 2))
            * (1.0 + 0.12 * gauss(i, 3)) * CASE WHEN isodow(date) = 7 THEN 0.85 ELSE 1.0 END
        )::BIGINT AS wastewater_t,
        cod_mg_l, cod_limit AS cod_limit_mg_l,
        ammonia_mg_l, nh3_limit AS ammonia_limit_mg_l,
        round(6.6 + 1.4 * u01(i, 8), 2) AS ph,
        cod_mg_l > cod_limit OR ammonia_mg_l > nh3_limit AS exceeds_limit
    FROM (
        SELECT *,
            round(cod_limit * (0.25 + 0.35 * u01(e, 3)) * exp(0.2 * gauss(i, 4))
                * CASE WHEN u01(i, 5) < 0.01 THEN 2.2 ELSE 1.0 END, 1) AS cod_mg_l,
            round(nh3_limit * (0.15 + 0.35 * u01(e, 6)) * exp(0.3 * gauss(i, 7))
                * CASE WHEN u01(i, 5) > 0.995 THEN 3.5 ELSE 1.0 END, 2) AS ammonia_mg_l
        FROM (
            SELECT i, e, k, dist, date,
                '91' || {_str_list(DISTRICT_CODES)}[dist + 1]
                    || printf('%09d', hx(e, 1, 1000000000)) AS first17,
                {_int_list(x[4] for x in ind)}[k + 1] AS cod_limit,
                {_int_list(x[5] for x in ind)}[k + 1] AS nh3_limit
            FROM (
                SELECT i, i // 365 AS e, (i // 365) % {len(ind)} AS k,
                    hx(i // 365, 9, 6) AS dist,
                    DATE '2025-01-01' + (i % 365)::INTEGER AS date
                FROM range({n}) t(i)
            )
        )
    )
    """


# --- transport --------------------------------------------------------------------------------

TRIP_MODES = (  # mode, trips per day citywide, minutes per trip, km/h
    ("公交", 1100000, 35.0, 12.0),
    ("地铁", 650000, 32.0, 22.0),
    ("出租车", 260000, 18.0, 25.0),
    ("网约车", 380000, 21.0, 26.0),
)
TRIP_DISTRICT_WEIGHTS = (  # per mode, in DISTRICTS order
    (1.0, 0.9, 0.55, 0.38, 0.35, 0.3),
    (1.0, 1.0, 0.7, 0.45, 0.15, 0.3),
    (1.0, 0.85, 0.35, 0.25, 0.2, 0.18),
    (1.0, 0.9, 0.5, 0.35, 0.3, 0.3),
)
TRIP_DISTRICT_DURATION = (0.9, 0.95, 1.1, 1.05, 1.25, 1.2)
TRIP_WEEKEND_FACTOR = (0.85, 0.8, 1.05, 1.15)


TRIP_NIGHT_FACTOR = (0.05, 0.0, 0.9, 1.1)  # 00:00-06:00: night buses, no metro


def _bump(hour: int, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


def _trip_profile(mode: int, weekend: bool) -> list[float]:
    """The share of a day's trips in each hour (sums to 1)."""
    values = []
    for hour in range(24):
        if weekend:
            p = 0.15 + 0.9 * _bump(hour, 11, 3.0) + 0.9 * _bump(hour, 17, 3.0)
        else:
            p = 0.15 + 1.6 * _bump(hour, 8, 1.2) + 1.3 * _bump(hour, 18, 1.5)
            p += 0.6 * _bump(hour, 13, 3.0)
        if hour < 6:
            p *= TRIP_NIGHT_FACTOR[mode]
        elif hour == 23:
            p *= 0.5
        values.append(p)
    total = sum(values)
    return [round(v / total, 6) for v in values]


def _sql_transport_trips(scale: int) -> str:
    hours = HOURS_2025 * scale  # the hours before 2026, 6 districts x 4 modes each
    n = hours * 24
    profiles = {
        weekend: "["
        + ", ".join(_num_list(_trip_profile(m, weekend)) for m in range(len(TRIP_MODES)))
        + "]"
        for weekend in (False, True)
    }
    shares = "[" + ", ".join(_num_list(w) for w in TRIP_DISTRICT_WEIGHTS) + "]"
    return f"""
    SELECT ts, {_str_list(DISTRICTS)}[dist + 1] AS district,
        {_str_list(m[0] for m in TRIP_MODES)}[mode + 1] AS mode,
        trips,
        CASE WHEN trips > 0 THEN round(minutes, 1) END AS avg_duration_min,
        CASE WHEN trips > 0 THEN round(minutes / 60.0
            * {_num_list(m[3] for m in TRIP_MODES)}[mode + 1] / congestion, 1) END
            AS avg_distance_km
    FROM (
        SELECT *,
            round({_num_list(m[1] for m in TRIP_MODES)}[mode + 1]
                * {shares}[mode + 1][dist + 1] / list_sum({shares}[mode + 1])
                * CASE WHEN weekend THEN {_num_list(TRIP_WEEKEND_FACTOR)}[mode + 1]
                    * {profiles[True]}[mode + 1][hr + 1]
                    ELSE {profiles[False]}[mode + 1][hr + 1] END
                * CASE WHEN doy BETWEEN 28 AND 42 THEN 0.6
                    WHEN doy BETWEEN 274 AND 280 THEN 0.8 ELSE 1.0 END
                * (1.0 - 0.8 * typhoon(hoy)) * exp(0.06 * gauss(i, 1)))::BIGINT AS trips,
            {_num_list(m[2] for m in TRIP_MODES)}[mode + 1]
                * {_num_list(TRIP_DISTRICT_DURATION)}[dist + 1] * congestion
                * exp(0.05 * gauss(i, 2)) AS minutes
        FROM (
            SELECT *,
                CASE WHEN mode = 1 OR weekend THEN 1.0 WHEN hr IN (7, 8, 17, 18) THEN 1.3
                    WHEN hr IN (9, 16, 19) THEN 1.12 ELSE 1.0 END AS congestion
            FROM (
                SELECT *, hour(ts) AS hr, isodow(ts) >= 6 AS weekend, dayofyear(ts) AS doy,
                    (dayofyear(ts) - 1) * 24 + hour(ts) AS hoy
                FROM (
                    SELECT i, (i % 24) // 4 AS dist, i % 4 AS mode,
                        TIMESTAMP '2026-01-01 00:00:00' - to_hours({hours}) + to_hours(i // 24)
                            AS ts
                    FROM range({n}) t(i)
                )
            )
        )
    )
    """


PORT_AREAS = (  # port area, share of cargo, share of containers
    ("东渡港区", 0.12, 0.22),
    ("海沧港区", 0.33, 0.45),
    ("嵩屿港区", 0.10, 0.20),
    ("翔安港区", 0.05, 0.06),
    ("招银港区", 0.14, 0.06),
    ("后石港区", 0.18, 0.0),
    ("石码港区", 0.08, 0.01),
)


def _sql_port_throughput(scale: int) -> str:
    months = 60 * scale  # the months before 2026, 7 port areas x 2 trades each
    n = months * 14
    p = PORT_AREAS
    seasonal = _num_list((0.97, 0.80, 0.98, 1.0, 1.02, 1.01, 1.03, 1.02, 1.0, 0.98, 1.03, 1.06))
    return f"""
    SELECT month, {_str_list(x[0] for x in p)}[area + 1] AS port_area,
        CASE WHEN foreign_trade THEN '外贸' ELSE '内贸' END AS trade_type,
        round(cargo, 2) AS cargo_throughput_10k_t,
        teu AS container_teu,
        round(cargo * 1.1 + teu / 2500.0 + 3)::BIGINT AS vessel_calls
    FROM (
        SELECT *,
            1833.0 * {_num_list(x[1] for x in p)}[area + 1]
                * CASE WHEN foreign_trade THEN 0.45 ELSE 0.55 END * f AS cargo,
            round(1040000.0 * {_num_list(x[2] for x in p)}[area + 1]
                * CASE WHEN foreign_trade THEN 0.62 ELSE 0.38 END * f)::BIGINT AS teu
        FROM (
            SELECT *, pow(1.035, -({months} - 1 - i // 14) / 12.0)
                * {seasonal}[month(month)] * exp(0.05 * gauss(i, 1)) AS f
            FROM (
                SELECT i, (i // 2) % 7 AS area, i % 2 = 1 AS foreign_trade,
                    (DATE '2026-01-01' - to_months({months}) + to_months(i // 14))::DATE AS month
                FROM range({n}) t(i)
            )
        )
    )
    """


# --- meteorology ------------------------------------------------------------------------------

WEATHER_STATIONS = ("59134", "59129", "59130")  # the national stations, then automatic ones


def _sql_weather_hourly(scale: int) -> str:
    n = HOURS_2025 * 10 * scale
    diurnal = _cycle("hr", 24, 15)
    return f"""
    SELECT station_id, ts, round(temp, 1) AS temperature,
        round(least(100.0, greatest(25.0, 76.0 + 6.0 * {_cycle("d", 365, 140)}
            - 9.0 * {diurnal} + CASE WHEN rain > 0 THEN 14.0 ELSE 0.0 END
            + 4.0 * gauss(i, 4))))::INTEGER AS relative_humidity,
        round(greatest(0.0, (3.0 + 0.5 * {_cycle("d", 365, 0)} + 1.0 * {diurnal})
            * exp(0.3 * gauss(i, 5)) + 22.0 * tp), 1) AS wind_speed,
        (((CASE WHEN tp > 0.3 THEN 100 WHEN {_cycle("d", 365, 15)} > 0 THEN 45 ELSE 200 END
            + 40 * gauss(i, 6))::INTEGER % 360) + 360) % 360 AS wind_direction,
        round(rain, 1) AS precipitation,
        round(1013.0 + 8.0 * {_cycle("d", 365, 15)} + 1.2 * {_cycle("hr", 12, 10)}
            - 35.0 * tp - 0.12 * altitude + 0.6 * gauss(i, 7), 1) AS pressure,
        round(least(30.0, greatest(0.5, 18.0 + 6.0 * {_cycle("d", 365, 250)}
            - CASE WHEN rain > 0 THEN 8.0 + rain ELSE 0.0 END + 2.0 * gauss(i, 8))), 1)
            AS visibility_km
    FROM (
        SELECT *,
            21.0 - 6.8 * {_cycle("d", 365, 20)} + 3.2 * {diurnal} * (1.0 - 0.5 * wet)
                + 1.5 * sin({TWO_PI} * d / 6.7 + 0.3) - 0.0065 * altitude - 2.0 * tp
                + 0.4 * gauss(i, 3) AS temp,
            CASE WHEN tp > 0.3 THEN rain_day / 24.0 * -ln(1.0 - u01(i, 2))
                WHEN wet > 0 AND u01(i, 1) < 0.3 THEN rain_day / 7.2 * -ln(1.0 - u01(i, 2))
                ELSE 0.0 END * (0.7 + 0.6 * u01(st, 9)) AS rain
        FROM (
            SELECT *, rain_mm(ts::DATE) AS rain_day, (rain_mm(ts::DATE) > 0)::INTEGER AS wet,
                typhoon(h) AS tp
            FROM (
                SELECT i, st, h, h // 24 AS d, h % 24 AS hr,
                    CASE WHEN st < 3 THEN {_str_list(WEATHER_STATIONS)}[st + 1]
                        ELSE printf('F%04d', 2000 + st - 2) END AS station_id,
                    CASE WHEN st = 0 THEN 139.0 ELSE 5.0 + 300.0 * pow(u01(st, 1), 2) END
                        AS altitude,
                    TIMESTAMP '2025-01-01 00:00:00' + to_hours(h) AS ts
                FROM (SELECT i, i // {HOURS_2025} AS st, i % {HOURS_2025} AS h FROM range({n}) t(i))
            )
        )
    )
    """


def _sql_daily_precipitation(scale: int) -> str:
    n = 30 * 365 * scale  # rain gauges x days of 2025
    lons = _num_list(c[0] for c in DISTRICT_CENTRES)
    lats = _num_list(c[1] for c in DISTRICT_CENTRES)
    return f"""
    SELECT station_id, {_str_list(DISTRICTS)}[dist + 1] AS district, longitude, latitude, date,
        round(amount, 1) AS precipitation_mm,
        CASE WHEN hours = 0 THEN 0.0
            ELSE round(least(amount, amount / hours * (1.3 + 1.7 * u01(i, 6))), 1) END
            AS max_hourly_mm,
        hours AS rain_hours
    FROM (
        SELECT *, CASE WHEN round(amount, 1) = 0 THEN 0
                ELSE least(24, greatest(1, ceil(amount / (1.5 + 3.0 * u01(i, 5)))))::INTEGER
                END AS hours
        FROM (
            SELECT *,
                CASE WHEN rain_mm(date) > 0
                    THEN rain_mm(date) * exp(0.45 * gauss(i, 3)) * (0.9 + 0.3 * u01(g, 4))
                    WHEN u01(i, 4) < 0.08 * exp(-pow((dayofyear(date) - 200) / 45.0, 2))
                    THEN -ln(1.0 - u01(i, 7)) * 5.0
                    ELSE 0.0 END AS amount
            FROM (
                SELECT i, g, dist, date, printf('R%04d', 5001 + g) AS station_id,
                    round({lons}[dist + 1] + 0.1 * (u01(g, 1) - 0.5), 4) AS longitude,
                    round({lats}[dist + 1] + 0.1 * (u01(g, 2) - 0.5), 4) AS latitude
                FROM (
                    SELECT i, i // 365 AS g, (i // 365) % 6 AS dist,
                        DATE '2025-01-01' + (i % 365)::INTEGER AS date
                    FROM range({n}) t(i)
                )
            )
        )
    )
    """


# --- water conservancy ------------------------------------------------------------------------

RESERVOIRS = (
    # name, district, capacity (10^4 m³), normal pool level, flood-limit level, dead level (m)
    ("汀溪水库", "同安区", 4790.0, 121.0, 119.5, 98.0),
    ("坂头水库", "集美区", 2030.0, 85.5, 84.5, 66.0),
    ("石兜水库", "集美区", 1580.0, 63.0, 62.0, 46.0),
    ("莲花水库", "同安区", 4300.0, 176.0, 174.5, 150.0),
    ("上李水库", "思明区", 1070.0, 58.5, 57.5, 41.0),
    ("竹坝水库", "同安区", 1600.0, 45.0, 44.0, 30.0),
    ("溪东水库", "同安区", 1300.0, 88.0, 87.0, 70.0),
    ("东坑水库", "翔安区", 900.0, 35.0, 34.0, 22.0),
)


def _sql_reservoir_levels(scale: int) -> str:
    n = 8 * 365 * scale  # reservoirs x days of 2025
    r = RESERVOIRS
    k = len(r)

    def prop(index: int, extra: str) -> str:
        return (
            f"CASE WHEN res < {k} THEN {_num_list(x[index] for x in r)}[res + 1] ELSE {extra} END"
        )

    rain_index = (
        "(rain_mm(date) + 0.6 * rain_mm(date - 1) + 0.35 * rain_mm(date - 2)"
        " + 0.2 * rain_mm(date - 3))"
    )
    return f"""
    SELECT reservoir, district, date, round(level, 2) AS water_level_m,
        flood_limit AS flood_limit_level_m,
        round(capacity * (0.06 + 0.94 * pow(greatest(0.02, (level - dead) / (normal - dead)),
            1.35)), 1) AS storage_10k_m3,
        round(inflow, 2) AS inflow_m3s,
        round(capacity / 4000.0 * (0.8 + 0.1 * gauss(i, 5))
            + CASE WHEN raw > flood_limit AND flood_season
                THEN (raw - flood_limit) * capacity / 150.0 ELSE 0.0 END, 2) AS outflow_m3s
    FROM (
        SELECT *,
            CASE WHEN flood_season AND raw > flood_limit
                THEN flood_limit + 0.3 * (raw - flood_limit) ELSE raw END AS level
        FROM (
            SELECT *,
                dead + (normal - dead) * least(1.02, 0.74
                    + 0.14 * sin({TWO_PI} * (dayofyear(date) - 120) / 365.0)
                    + least(0.12, 0.0015 * rain_index) + 0.05 * (u01(res, 3) - 0.5)
                    + 0.02 * sin({TWO_PI} * dayofyear(date) / 23.0 + 6.0 * u01(res, 4)))
                    AS raw,
                capacity / 4000.0 * (0.5 + rain_p(dayofyear(date)) / 0.46)
                    * exp(0.15 * gauss(i, 6)) + capacity * rain_index * 0.000048 AS inflow
            FROM (
                SELECT i, res, date, {rain_index} AS rain_index,
                    dayofyear(date) BETWEEN 105 AND 288 AS flood_season,
                    {_extra_name("res", k, [x[0] for x in r], "水库")} AS reservoir,
                    CASE WHEN res < {k} THEN {_str_list(x[1] for x in r)}[res + 1]
                        ELSE {_str_list(DISTRICTS)}[hx(res, 1, 6) + 1] END AS district,
                    {prop(2, "round(300.0 + 1500.0 * u01(res, 2))")} AS capacity,
                    {prop(3, "round(30.0 + 60.0 * u01(res, 5), 1) + 15.0")} AS normal,
                    {prop(4, "round(30.0 + 60.0 * u01(res, 5), 1) + 14.0")} AS flood_limit,
                    {prop(5, "round(30.0 + 60.0 * u01(res, 5), 1)")} AS dead
                FROM (
                    SELECT i, i // 365 AS res, DATE '2025-01-01' + (i % 365)::INTEGER AS date
                    FROM range({n}) t(i)
                )
            )
        )
    )
    """


# --- the catalogs -----------------------------------------------------------------------------

_LON = "longitude, WGS-84 degrees east"
_LAT = "latitude, WGS-84 degrees north"

DATASETS: tuple[DemoDataset, ...] = (
    DemoDataset(
        key="redtide_buoys",
        code="HY-0001",
        zone="marine",
        provider="ocean",
        name="赤潮监测浮标在线观测数据",
        name_en="Red-tide monitoring buoy observations",
        summary="厦门海域赤潮监测浮标逐小时在线观测的叶绿素a、溶解氧、水温、盐度和pH，"
        "可用于赤潮预警与海洋生态研究。",
        keywords="赤潮,浮标,叶绿素a,溶解氧,red tide,buoy,chlorophyll-a,dissolved oxygen",
        update_frequency="realtime",
        sharing_type="conditional",
        open_type="conditional",
        file_format="parquet",
        encoding="utf-8",
        base_rows=HOURS_2025 * BUOYS_PER_SCALE,
        fields=(
            _f("buoy_id", "浮标编号", "buoy (device) identifier", 2, "pseudonym", identifier=True),
            _f("longitude", "经度", _LON),
            _f("latitude", "纬度", _LAT),
            _f("ts", "观测时间", "observation time, hourly, local time (UTC+8)"),
            _f("water_temp", "水温", "sea surface water temperature, °C"),
            _f("salinity", "盐度", "salinity, PSU"),
            _f("ph", "pH值", "pH, dimensionless"),
            _f("dissolved_oxygen", "溶解氧", "dissolved oxygen, mg/L"),
            _f("chlorophyll_a", "叶绿素a浓度", "chlorophyll-a concentration, µg/L"),
        ),
    ),
    DemoDataset(
        key="redtide_events",
        code="HY-0002",
        zone="marine",
        provider="ocean",
        name="赤潮灾害事件记录",
        name_en="Red-tide events",
        summary="2006年以来厦门海域发现的赤潮事件：海域、起止日期、优势种、最大细胞密度、"
        "影响面积和直接经济损失。",
        keywords="赤潮,藻华,优势种,海洋灾害,red tide,algal bloom,harmful algae",
        update_frequency="irregular",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=60,
        fields=(
            _f("event_id", "事件编号", "event number, CT<year>-<sequence>"),
            _f("sea_area", "发生海域", "sea area where the bloom was found"),
            _f("start_date", "开始日期", "date the bloom was first found"),
            _f("end_date", "结束日期", "date the bloom had dissipated"),
            _f("longitude", "中心经度", "bloom centre " + _LON, 2, "generalize", "grid:0.1"),
            _f("latitude", "中心纬度", "bloom centre " + _LAT, 2, "generalize", "grid:0.1"),
            _f("dominant_species", "优势种", "dominant algal species"),
            _f("harmful", "是否有毒有害", "true when the dominant species is toxic or harmful"),
            _f("max_cell_density", "最大细胞密度", "maximum cell density, cells/L"),
            _f("area_km2", "影响面积", "affected sea area, km²"),
            _f(
                "economic_loss_10k_yuan",
                "直接经济损失",
                "direct economic loss (aquaculture, tourism), 10,000 yuan",
                3,
                "generalize",
                "band:100",
            ),
            _f("discovered_by", "发现方式", "how the bloom was found"),
        ),
    ),
    DemoDataset(
        key="vessels_in_port",
        code="HY-0003",
        zone="marine",
        provider="ocean",
        name="在港船舶动态信息",
        name_en="Vessels in port",
        summary="厦门港在港船舶的到港、离港、泊位、船舶类型和吨位信息，按船舶航次记录。",
        keywords="在港船舶,MMSI,泊位,到港,离港,vessel,port call,berth,AIS",
        update_frequency="realtime",
        sharing_type="conditional",
        open_type="not_open",
        file_format="jsonl",
        encoding="utf-8",
        base_rows=20000,
        fields=(
            _f("mmsi", "海上移动业务识别码", "MMSI, 9 digits", 3, "pseudonym", identifier=True),
            _f("vessel_name", "船名", "vessel name", 2, "pseudonym"),
            _f("vessel_type", "船舶类型", "vessel type"),
            _f("flag", "船籍", "flag state or region"),
            _f("gross_tonnage", "总吨", "gross tonnage, GT", 2, "generalize", "band:5000"),
            _f("length_m", "船长", "length overall, m"),
            _f("berth", "泊位", "berth"),
            _f("arrival_time", "到港时间", "arrival time, local", 2, "generalize", "hour"),
            _f("departure_time", "离港时间", "departure time, local", 2, "generalize", "hour"),
            _f("previous_port", "上一港", "previous port of call"),
            _f(
                "owner_phone",
                "船东联系电话",
                "mobile phone of the owner or agent, 11 digits",
                4,
                "drop",
                identifier=True,
            ),
        ),
    ),
    DemoDataset(
        key="seawater_quality",
        code="HY-0004",
        zone="marine",
        provider="ocean",
        name="近岸海域水质监测数据",
        name_en="Coastal sea water quality",
        summary="近岸海域水质监测站位逐月采样结果，含化学需氧量、无机氮、活性磷酸盐，"
        "按GB 3097-1997评价水质类别。",
        keywords="海洋水质,无机氮,活性磷酸盐,水质类别,sea water quality,nutrients,GB 3097",
        update_frequency="monthly",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=40 * 24,
        fields=(
            _f("station_id", "站位编号", "monitoring station code"),
            _f("sea_area", "所属海域", "sea area"),
            _f("longitude", "经度", _LON),
            _f("latitude", "纬度", _LAT),
            _f("sample_date", "采样日期", "sampling date"),
            _f("water_temp", "水温", "water temperature, °C"),
            _f("salinity", "盐度", "salinity, PSU"),
            _f("ph", "pH值", "pH, dimensionless"),
            _f("dissolved_oxygen", "溶解氧", "dissolved oxygen, mg/L"),
            _f("cod_mn", "化学需氧量", "chemical oxygen demand (alkaline KMnO4), mg/L"),
            _f("inorganic_nitrogen", "无机氮", "dissolved inorganic nitrogen, mg/L"),
            _f("active_phosphate", "活性磷酸盐", "reactive phosphate (as P), mg/L"),
            _f("petroleum", "石油类", "petroleum hydrocarbons, mg/L"),
            _f("water_quality_class", "水质类别", "sea water quality class, GB 3097-1997"),
        ),
    ),
    DemoDataset(
        key="marine_litter",
        code="HY-0005",
        zone="marine",
        provider="ocean",
        name="海洋垃圾监测调查数据",
        name_en="Marine litter surveys",
        summary="岸滩海洋垃圾季度监测调查结果，按垃圾类型统计每百平方米数量和重量。",
        keywords="海洋垃圾,岸滩垃圾,塑料,marine litter,beach litter,plastic",
        update_frequency="quarterly",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="csv",
        encoding="gb18030",
        base_rows=10 * 8 * 6,
        fields=(
            _f("survey_site", "调查断面", "survey site (beach transect)"),
            _f("longitude", "经度", _LON),
            _f("latitude", "纬度", _LAT),
            _f("survey_date", "调查日期", "survey date"),
            _f("litter_type", "垃圾类型", "litter material"),
            _f("count_per_100m2", "密度", "items per 100 m²"),
            _f("weight_kg", "重量", "weight per 100 m², kg"),
            _f("surveyor_org", "调查单位", "organization that surveyed"),
        ),
    ),
    DemoDataset(
        key="wave_observations",
        code="HY-0006",
        zone="marine",
        provider="ocean",
        name="海浪观测数据",
        name_en="Wave observations",
        summary="波浪浮标逐小时观测的有效波高、最大波高、平均周期和浪向，含台风过程。",
        keywords="海浪,有效波高,台风,浪向,waves,significant wave height,typhoon",
        update_frequency="realtime",
        sharing_type="unconditional",
        open_type="conditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=HOURS_2025 * 5,
        fields=(
            _f(
                "station_id",
                "浮标编号",
                "wave buoy (device) identifier",
                2,
                "pseudonym",
                identifier=True,
            ),
            _f("sea_area", "所属海域", "sea area"),
            _f("ts", "观测时间", "observation time, hourly, local"),
            _f("significant_wave_height_m", "有效波高", "significant wave height H1/3, m"),
            _f("max_wave_height_m", "最大波高", "maximum wave height, m"),
            _f("mean_wave_period_s", "平均周期", "mean wave period, s"),
            _f("wave_direction_deg", "浪向", "direction waves come from, degrees from north"),
            _f("sea_state", "海况等级", "sea state (Douglas scale)"),
        ),
    ),
    DemoDataset(
        key="tide_levels",
        code="HY-0007",
        zone="marine",
        provider="ocean",
        name="验潮站潮位观测数据",
        name_en="Tide gauge levels",
        summary="验潮站逐小时实测潮位、天文潮预报潮位和增减水，基面为1985国家高程基准。",
        keywords="潮位,验潮站,风暴潮,增水,tide,tide gauge,storm surge",
        update_frequency="realtime",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="parquet",
        encoding="utf-8",
        base_rows=HOURS_2025 * 3,
        fields=(
            _f("station", "验潮站", "tide gauge station"),
            _f("ts", "观测时间", "observation time, hourly, local"),
            _f("tide_level_cm", "实测潮位", "observed water level, cm above the 1985 datum"),
            _f("predicted_tide_cm", "天文潮位", "predicted astronomical tide, cm"),
            _f("surge_cm", "增减水", "observed minus predicted level, cm"),
        ),
    ),
    DemoDataset(
        key="air_quality",
        code="ST-0001",
        zone="ecology",
        provider="ecology",
        name="环境空气质量监测小时数据",
        name_en="Hourly air quality",
        summary="环境空气质量监测站逐小时六项污染物浓度、空气质量指数和首要污染物（HJ 633-2012）。",
        keywords="空气质量,AQI,PM2.5,臭氧,air quality,particulate matter,ozone",
        update_frequency="realtime",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="parquet",
        encoding="utf-8",
        base_rows=HOURS_2025 * 8,
        fields=(
            _f("station_code", "站点编码", "monitoring station code"),
            _f("station_name", "站点名称", "monitoring station name"),
            _f("ts", "监测时间", "hour of measurement, local"),
            _f("aqi", "空气质量指数", "air quality index (HJ 633-2012), dimensionless"),
            _f("quality_level", "空气质量级别", "AQI category"),
            _f("primary_pollutant", "首要污染物", "primary pollutant when AQI > 50"),
            _f("pm25", "PM2.5浓度", "PM2.5, µg/m³"),
            _f("pm10", "PM10浓度", "PM10, µg/m³"),
            _f("o3", "臭氧浓度", "ozone, 1-hour, µg/m³"),
            _f("no2", "二氧化氮浓度", "nitrogen dioxide, µg/m³"),
            _f("so2", "二氧化硫浓度", "sulphur dioxide, µg/m³"),
            _f("co", "一氧化碳浓度", "carbon monoxide, mg/m³"),
        ),
    ),
    DemoDataset(
        key="drinking_water_sources",
        code="ST-0002",
        zone="ecology",
        provider="ecology",
        name="集中式饮用水水源地水质监测数据",
        name_en="Drinking water source quality",
        summary="集中式饮用水水源地逐月水质监测结果，按GB 3838-2002评价水质类别和达标情况。",
        keywords="饮用水水源地,水质,高锰酸盐指数,氨氮,drinking water source,GB 3838",
        update_frequency="monthly",
        sharing_type="unconditional",
        open_type="conditional",
        file_format="jsonl",
        encoding="utf-8",
        base_rows=8 * 36,
        fields=(
            _f("source_name", "水源地名称", "water source"),
            _f("source_type", "水源地类型", "reservoir or river source"),
            _f("district", "所在区", "district"),
            _f("sample_date", "采样日期", "sampling date"),
            _f("water_temp", "水温", "water temperature, °C"),
            _f("ph", "pH值", "pH, dimensionless"),
            _f("dissolved_oxygen", "溶解氧", "dissolved oxygen, mg/L"),
            _f("permanganate_index", "高锰酸盐指数", "permanganate index, mg/L"),
            _f("ammonia_nitrogen", "氨氮", "ammonia nitrogen, mg/L"),
            _f("total_phosphorus", "总磷", "total phosphorus, mg/L"),
            _f("total_nitrogen", "总氮", "total nitrogen, mg/L"),
            _f("fecal_coliform", "粪大肠菌群", "fecal coliform bacteria, MPN/L"),
            _f("water_quality_class", "水质类别", "surface water class, GB 3838-2002"),
            _f("compliant", "是否达标", "true when class III or better"),
        ),
    ),
    DemoDataset(
        key="pollution_source_emissions",
        code="ST-0003",
        zone="ecology",
        provider="ecology",
        name="重点排污单位废水在线监测日数据",
        name_en="Wastewater emissions of key polluters",
        summary="重点排污单位废水排放口在线监测的日排放量、化学需氧量和氨氮浓度及超标情况。",
        keywords="排污单位,在线监测,化学需氧量,氨氮,超标,emissions,wastewater,COD",
        update_frequency="daily",
        sharing_type="conditional",
        open_type="conditional",
        file_format="jsonl",
        encoding="utf-8",
        base_rows=25 * 365,
        fields=(
            _f(
                "credit_code",
                "统一社会信用代码",
                "unified social credit code of the enterprise, 18 characters",
                2,
                "pseudonym",
                identifier=True,
            ),
            _f("enterprise_name", "单位名称", "enterprise name", 2, "pseudonym"),
            _f("district", "所在区", "district"),
            _f("industry", "行业类别", "industry"),
            _f("date", "监测日期", "day of measurement"),
            _f(
                "wastewater_t",
                "废水排放量",
                "wastewater discharged that day, tonnes",
                3,
                "generalize",
                "band:1000",
            ),
            _f("cod_mg_l", "化学需氧量", "COD, daily mean, mg/L", 2),
            _f("cod_limit_mg_l", "化学需氧量排放限值", "COD discharge limit, mg/L"),
            _f("ammonia_mg_l", "氨氮", "ammonia nitrogen, daily mean, mg/L", 2),
            _f("ammonia_limit_mg_l", "氨氮排放限值", "ammonia nitrogen discharge limit, mg/L"),
            _f("ph", "pH值", "pH, daily mean, dimensionless"),
            _f("exceeds_limit", "是否超标", "true when a daily mean exceeds its limit", 2),
        ),
    ),
    DemoDataset(
        key="transport_trips",
        code="JT-0001",
        zone="transport",
        provider="transport",
        name="公共出行分区分时统计",
        name_en="Trips by hour, district and mode",
        summary="公交、地铁、出租车和网约车出行量按小时和行政区汇总，含平均出行时长和距离。",
        keywords="出行量,公交,地铁,网约车,出租车,trips,bus,metro,taxi,ride-hailing",
        update_frequency="daily",
        sharing_type="conditional",
        open_type="conditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=HOURS_2025 * 24,
        fields=(
            _f("ts", "统计时段", "start of the hour, local"),
            _f("district", "行政区", "district where trips started"),
            _f("mode", "出行方式", "travel mode"),
            _f("trips", "出行量", "trips started in the hour"),
            _f("avg_duration_min", "平均出行时长", "mean trip duration, minutes"),
            _f("avg_distance_km", "平均出行距离", "mean trip distance, km"),
        ),
    ),
    DemoDataset(
        key="port_throughput",
        code="JT-0002",
        zone="transport",
        provider="transport",
        name="港口吞吐量月度统计",
        name_en="Monthly port throughput",
        summary="厦门港各港区内外贸货物吞吐量、集装箱吞吐量和船舶艘次的月度统计。",
        keywords="港口吞吐量,集装箱,港区,port throughput,container,TEU",
        update_frequency="monthly",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=60 * 14,
        fields=(
            _f("month", "统计月份", "first day of the month"),
            _f("port_area", "港区", "port area"),
            _f("trade_type", "内外贸", "domestic or foreign trade"),
            _f("cargo_throughput_10k_t", "货物吞吐量", "cargo throughput, 10,000 tonnes"),
            _f("container_teu", "集装箱吞吐量", "container throughput, TEU"),
            _f("vessel_calls", "船舶艘次", "vessel calls"),
        ),
    ),
    DemoDataset(
        key="weather_hourly",
        code="QX-0001",
        zone="meteorology",
        provider="weather",
        name="气象站逐小时观测数据",
        name_en="Hourly weather station observations",
        summary="国家站和区域自动气象站逐小时气温、相对湿度、风、降水、气压和能见度观测。",
        keywords="气象,自动站,气温,降水,风速,weather,temperature,precipitation,wind",
        update_frequency="realtime",
        sharing_type="unconditional",
        open_type="conditional",
        file_format="parquet",
        encoding="utf-8",
        base_rows=HOURS_2025 * 10,
        fields=(
            _f(
                "station_id",
                "站号",
                "weather station (device) number",
                2,
                "pseudonym",
                identifier=True,
            ),
            _f("ts", "观测时间", "observation time, hourly, local"),
            _f("temperature", "气温", "air temperature, °C"),
            _f("relative_humidity", "相对湿度", "relative humidity, %"),
            _f("wind_speed", "风速", "10-minute mean wind speed, m/s"),
            _f("wind_direction", "风向", "direction wind blows from, degrees from north"),
            _f("precipitation", "小时降水量", "precipitation in the hour, mm"),
            _f("pressure", "本站气压", "station pressure, hPa"),
            _f("visibility_km", "能见度", "visibility, km"),
        ),
    ),
    DemoDataset(
        key="daily_precipitation",
        code="QX-0002",
        zone="meteorology",
        provider="weather",
        name="雨量站逐日降水量",
        name_en="Daily precipitation at rain gauges",
        summary="全市雨量站逐日降水量、最大小时雨强和降水时数。",
        keywords="降水量,雨量站,暴雨,precipitation,rain gauge,rainfall",
        update_frequency="daily",
        sharing_type="unconditional",
        open_type="unconditional",
        file_format="csv",
        encoding="utf-8",
        base_rows=30 * 365,
        fields=(
            _f("station_id", "站号", "rain gauge (device) number", 2, "pseudonym", identifier=True),
            _f("district", "所在区", "district"),
            _f("longitude", "经度", _LON, 2, "generalize", "grid:0.1"),
            _f("latitude", "纬度", _LAT, 2, "generalize", "grid:0.1"),
            _f("date", "日期", "day (20:00 to 20:00 local)"),
            _f("precipitation_mm", "日降水量", "daily precipitation, mm"),
            _f("max_hourly_mm", "最大小时雨强", "highest hourly precipitation, mm"),
            _f("rain_hours", "降水时数", "hours with precipitation"),
        ),
    ),
    DemoDataset(
        key="reservoir_levels",
        code="SL-0001",
        zone="water",
        provider="water",
        name="水库水情日报",
        name_en="Daily reservoir levels",
        summary="全市主要水库逐日8时水位、蓄水量、入库和出库流量，以及汛限水位。",
        keywords="水库,水位,蓄水量,入库流量,汛限水位,reservoir,water level,storage,inflow",
        update_frequency="daily",
        sharing_type="conditional",
        open_type="conditional",
        file_format="jsonl",
        encoding="utf-8",
        base_rows=8 * 365,
        fields=(
            _f("reservoir", "水库名称", "reservoir"),
            _f("district", "所在区", "district"),
            _f("date", "日期", "day (levels at 08:00 local)"),
            _f("water_level_m", "库水位", "water level, m above the 1985 datum"),
            _f("flood_limit_level_m", "汛限水位", "flood-season limit level, m"),
            _f("storage_10k_m3", "蓄水量", "storage, 10,000 m³"),
            _f("inflow_m3s", "入库流量", "inflow, m³/s"),
            _f("outflow_m3s", "出库流量", "outflow, m³/s"),
        ),
    ),
)

_BUILDERS = {
    "redtide_buoys": _sql_redtide_buoys,
    "redtide_events": _sql_redtide_events,
    "vessels_in_port": _sql_vessels_in_port,
    "seawater_quality": _sql_seawater_quality,
    "marine_litter": _sql_marine_litter,
    "wave_observations": _sql_wave_observations,
    "tide_levels": _sql_tide_levels,
    "air_quality": _sql_air_quality,
    "drinking_water_sources": _sql_drinking_water_sources,
    "pollution_source_emissions": _sql_pollution_source_emissions,
    "transport_trips": _sql_transport_trips,
    "port_throughput": _sql_port_throughput,
    "weather_hourly": _sql_weather_hourly,
    "daily_precipitation": _sql_daily_precipitation,
    "reservoir_levels": _sql_reservoir_levels,
}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


def dataset(key: str) -> DemoDataset:
    """The demo data set called ``key``."""
    for candidate in DATASETS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def select_sql(demo: DemoDataset, scale: int = 1) -> str:
    """The SELECT that yields the data set's rows (it needs this module's macros)."""
    return _BUILDERS[demo.key](scale)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(tmp_dir: Path, threads: int) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        config={
            "memory_limit": "1GB",
            "threads": threads,
            "temp_directory": str(tmp_dir),
            "preserve_insertion_order": True,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    connection.execute("SET enable_progress_bar = false").fetchall()
    for macro in _MACROS:
        connection.execute(macro).fetchall()
    return connection


def generate(dataset: DemoDataset, out_dir: Path, *, scale: int = 1, threads: int = 2) -> Path:
    """Write the dataset (rows = base_rows * scale, deterministic: same bytes for same scale)
    to ``out_dir / f"{dataset.key}.{ext}"`` and return the path.

    DuckDB streams the rows into a temporary file that replaces the target only when it
    is complete, so memory stays bounded at any scale."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dataset.key}.{EXTENSIONS[dataset.file_format]}"
    partial = out_dir / f".{target.name}.partial"
    work = out_dir / f".{dataset.key}.work"
    work.mkdir(exist_ok=True)
    try:
        select = select_sql(dataset, scale)
        if dataset.file_format == "parquet":
            options = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
        elif dataset.file_format == "jsonl":
            options = "FORMAT json"
        else:
            options = "FORMAT csv, HEADER true, DELIMITER ','"
        utf8 = work / "utf8.out" if dataset.encoding != "utf-8" else partial
        connection = _connect(work, threads)
        try:
            connection.execute(f"COPY ({select}) TO {_literal(str(utf8))} ({options})").fetchall()
        finally:
            connection.close()
        if utf8 != partial:
            _transcode(utf8, partial, dataset.encoding)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return target


def _transcode(source: Path, dest: Path, encoding: str) -> None:
    """Re-encode a UTF-8 text file, streamed."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    encoder = codecs.getincrementalencoder(encoding)(errors="strict")
    with open(source, "rb") as reader, open(dest, "wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(encoder.encode(decoder.decode(chunk)))
        writer.write(encoder.encode(decoder.decode(b"", final=True), final=True))
