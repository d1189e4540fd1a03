"""Water conservancy zone: reservoir levels.

The SQL is built from constants and integers only, never from input."""

from demo.data.base import DISTRICTS, TWO_PI, DemoDataset, col, extra_name, num_list, str_list

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
        return f"CASE WHEN res < {k} THEN {num_list(x[index] for x in r)}[res + 1] ELSE {extra} END"

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
                    {extra_name("res", k, [x[0] for x in r], "水库")} AS reservoir,
                    CASE WHEN res < {k} THEN {str_list(x[1] for x in r)}[res + 1]
                        ELSE {str_list(DISTRICTS)}[hx(res, 1, 6) + 1] END AS district,
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


DATASETS: tuple[DemoDataset, ...] = (
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
            col("reservoir", "水库名称", "水库名称"),
            col("district", "所在区", "所在行政区"),
            col("date", "日期", "日期（北京时间8时水位）"),
            col("water_level_m", "库水位", "库水位，1985国家高程基准以上米数"),
            col("flood_limit_level_m", "汛限水位", "汛限水位，m"),
            col("storage_10k_m3", "蓄水量", "蓄水量，万m³"),
            col("inflow_m3s", "入库流量", "入库流量，m³/s"),
            col("outflow_m3s", "出库流量", "出库流量，m³/s"),
        ),
    ),
)

BUILDERS = {
    "reservoir_levels": _sql_reservoir_levels,
}
