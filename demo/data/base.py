"""What every demo data set is made of: its description (DemoDataset, DemoField), the DuckDB
macros and SQL helpers its rows come from, and the places they follow (Xiamen bay, its
districts and sea areas). The SQL is built from constants and integers only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoField:
    column: str  # column name in the file (English snake_case)
    name_zh: str  # Chinese name (信息项名称)
    description: str  # short description in Chinese, as the catalog publishes it, with unit
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


def col(column, name_zh, description, level=1, masking="keep", generalize="", identifier=False):
    return DemoField(column, name_zh, description, level, identifier, masking, generalize)


# --- SQL helpers ---------------------------------------------------------------------------

TWO_PI = "6.283185307179586"

# Deterministic pseudo-random building blocks: hash() of (row or entity number, salt).
# DuckDB's own multi-argument hash(a, s) is strongly correlated between neighbouring
# salts, so the two are hashed apart and mixed by hashing again.
MACROS = (
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


def str_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def num_list(values) -> str:
    return "([" + ", ".join(repr(float(v)) for v in values) + "]::DOUBLE[])"


def int_list(values) -> str:
    return "([" + ", ".join(str(int(v)) for v in values) + "]::BIGINT[])"


def weighted(weights) -> str:
    """A list of 1-based indexes, each repeated by its weight: ``pick`` from it."""
    return int_list([i + 1 for i, w in enumerate(weights) for _ in range(w)])


def cycle(expr: str, period: float, peak: float) -> str:
    """A cosine of period ``period`` (same unit as ``expr``) that is 1 at ``peak``."""
    return f"cos({TWO_PI} * (({expr}) - {peak}) / {period})"


def classify(expr: str, limits, *, descending: bool = False) -> str:
    """1 + the number of limits ``expr`` exceeds (or, descending, falls below)."""
    op = "<" if descending else ">"
    return "(1" + "".join(f" + ({expr} {op} {lim})::INTEGER" for lim in limits) + ")"


HOURS_2025 = 8760  # the hourly data sets cover 2025

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


def extra_name(n: str, named: int, names, suffix: str) -> str:
    """SQL: the ``n``-th name: one of ``names`` while n < named, else made of syllables."""
    return (
        f"CASE WHEN {n} < {named} THEN {str_list(names)}[{n} + 1] ELSE "
        f"{str_list(_SYL1)}[{n} % 12 + 1] || {str_list(_SYL2)}[({n} // 12) % 12 + 1]"
        f" || CASE WHEN {n} >= 144 THEN ({n} // 144)::VARCHAR ELSE '' END || '{suffix}' END"
    )


LON = "经度，WGS-84，东经度数"
LAT = "纬度，WGS-84，北纬度数"
