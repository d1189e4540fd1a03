"""Transport zone: trips by mode and district, port throughput.

The SQL is built from constants and integers only, never from input."""

import math

from demo.data.base import DISTRICTS, HOURS_2025, DemoDataset, col, num_list, str_list

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
        + ", ".join(num_list(_trip_profile(m, weekend)) for m in range(len(TRIP_MODES)))
        + "]"
        for weekend in (False, True)
    }
    shares = "[" + ", ".join(num_list(w) for w in TRIP_DISTRICT_WEIGHTS) + "]"
    return f"""
    SELECT ts, {str_list(DISTRICTS)}[dist + 1] AS district,
        {str_list(m[0] for m in TRIP_MODES)}[mode + 1] AS mode,
        trips,
        CASE WHEN trips > 0 THEN round(minutes, 1) END AS avg_duration_min,
        CASE WHEN trips > 0 THEN round(minutes / 60.0
            * {num_list(m[3] for m in TRIP_MODES)}[mode + 1] / congestion, 1) END
            AS avg_distance_km
    FROM (
        SELECT *,
            round({num_list(m[1] for m in TRIP_MODES)}[mode + 1]
                * {shares}[mode + 1][dist + 1] / list_sum({shares}[mode + 1])
                * CASE WHEN weekend THEN {num_list(TRIP_WEEKEND_FACTOR)}[mode + 1]
                    * {profiles[True]}[mode + 1][hr + 1]
                    ELSE {profiles[False]}[mode + 1][hr + 1] END
                * CASE WHEN doy BETWEEN 28 AND 42 THEN 0.6
                    WHEN doy BETWEEN 274 AND 280 THEN 0.8 ELSE 1.0 END
                * (1.0 - 0.8 * typhoon(hoy)) * exp(0.06 * gauss(i, 1)))::BIGINT AS trips,
            {num_list(m[2] for m in TRIP_MODES)}[mode + 1]
                * {num_list(TRIP_DISTRICT_DURATION)}[dist + 1] * congestion
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
    seasonal = num_list((0.97, 0.80, 0.98, 1.0, 1.02, 1.01, 1.03, 1.02, 1.0, 0.98, 1.03, 1.06))
    return f"""
    SELECT month, {str_list(x[0] for x in p)}[area + 1] AS port_area,
        CASE WHEN foreign_trade THEN '外贸' ELSE '内贸' END AS trade_type,
        round(cargo, 2) AS cargo_throughput_10k_t,
        teu AS container_teu,
        round(cargo * 1.1 + teu / 2500.0 + 3)::BIGINT AS vessel_calls
    FROM (
        SELECT *,
            1833.0 * {num_list(x[1] for x in p)}[area + 1]
                * CASE WHEN foreign_trade THEN 0.45 ELSE 0.55 END * f AS cargo,
            round(1040000.0 * {num_list(x[2] for x in p)}[area + 1]
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


DATASETS: tuple[DemoDataset, ...] = (
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
            col("ts", "统计时段", "统计时段起点，北京时间"),
            col("district", "行政区", "出行起点所在行政区"),
            col("mode", "出行方式", "出行方式"),
            col("trips", "出行量", "该小时内出发的出行次数"),
            col("avg_duration_min", "平均出行时长", "平均出行时长，分钟"),
            col("avg_distance_km", "平均出行距离", "平均出行距离，km"),
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
            col("month", "统计月份", "统计月份（当月第一天）"),
            col("port_area", "港区", "港区"),
            col("trade_type", "内外贸", "内贸或外贸"),
            col("cargo_throughput_10k_t", "货物吞吐量", "货物吞吐量，万吨"),
            col("container_teu", "集装箱吞吐量", "集装箱吞吐量，标准箱（TEU）"),
            col("vessel_calls", "船舶艘次", "船舶艘次"),
        ),
    ),
)

BUILDERS = {
    "transport_trips": _sql_transport_trips,
    "port_throughput": _sql_port_throughput,
}
