"""Meteorology zone: hourly weather and daily precipitation.

The SQL is built from constants and integers only, never from input."""

from demo.data.base import (
    DISTRICT_CENTRES,
    DISTRICTS,
    HOURS_2025,
    LAT,
    LON,
    TWO_PI,
    DemoDataset,
    col,
    cycle,
    num_list,
    str_list,
)

WEATHER_STATIONS = ("59134", "59129", "59130")  # the national stations, then automatic ones


def _sql_weather_hourly(scale: int) -> str:
    n = HOURS_2025 * 10 * scale
    diurnal = cycle("hr", 24, 15)
    return f"""
    SELECT station_id, ts, round(temp, 1) AS temperature,
        round(least(100.0, greatest(25.0, 76.0 + 6.0 * {cycle("d", 365, 140)}
            - 9.0 * {diurnal} + CASE WHEN rain > 0 THEN 14.0 ELSE 0.0 END
            + 4.0 * gauss(i, 4))))::INTEGER AS relative_humidity,
        round(greatest(0.0, (3.0 + 0.5 * {cycle("d", 365, 0)} + 1.0 * {diurnal})
            * exp(0.3 * gauss(i, 5)) + 22.0 * tp), 1) AS wind_speed,
        (((CASE WHEN tp > 0.3 THEN 100 WHEN {cycle("d", 365, 15)} > 0 THEN 45 ELSE 200 END
            + 40 * gauss(i, 6))::INTEGER % 360) + 360) % 360 AS wind_direction,
        round(rain, 1) AS precipitation,
        round(1013.0 + 8.0 * {cycle("d", 365, 15)} + 1.2 * {cycle("hr", 12, 10)}
            - 35.0 * tp - 0.12 * altitude + 0.6 * gauss(i, 7), 1) AS pressure,
        round(least(30.0, greatest(0.5, 18.0 + 6.0 * {cycle("d", 365, 250)}
            - CASE WHEN rain > 0 THEN 8.0 + rain ELSE 0.0 END + 2.0 * gauss(i, 8))), 1)
            AS visibility_km
    FROM (
        SELECT *,
            21.0 - 6.8 * {cycle("d", 365, 20)} + 3.2 * {diurnal} * (1.0 - 0.5 * wet)
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
                    CASE WHEN st < 3 THEN {str_list(WEATHER_STATIONS)}[st + 1]
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
    lons = num_list(c[0] for c in DISTRICT_CENTRES)
    lats = num_list(c[1] for c in DISTRICT_CENTRES)
    return f"""
    SELECT station_id, {str_list(DISTRICTS)}[dist + 1] AS district, longitude, latitude, date,
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


DATASETS: tuple[DemoDataset, ...] = (
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
            col(
                "station_id",
                "站号",
                "气象站（设备）编号",
                2,
                "pseudonym",
                identifier=True,
            ),
            col("ts", "观测时间", "观测时间，逐小时，北京时间"),
            col("temperature", "气温", "气温，°C"),
            col("relative_humidity", "相对湿度", "相对湿度，%"),
            col("wind_speed", "风速", "10分钟平均风速，m/s"),
            col("wind_direction", "风向", "风向，自正北起算的度数"),
            col("precipitation", "小时降水量", "小时降水量，mm"),
            col("pressure", "本站气压", "本站气压，hPa"),
            col("visibility_km", "能见度", "能见度，km"),
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
            col("station_id", "站号", "雨量站（设备）编号", 2, "pseudonym", identifier=True),
            col("district", "所在区", "所在行政区"),
            col("longitude", "经度", LON, 2, "generalize", "grid:0.1"),
            col("latitude", "纬度", LAT, 2, "generalize", "grid:0.1"),
            col("date", "日期", "日期（北京时间前一日20时至当日20时）"),
            col("precipitation_mm", "日降水量", "日降水量，mm"),
            col("max_hourly_mm", "最大小时雨强", "最大小时降水量，mm"),
            col("rain_hours", "降水时数", "降水时数"),
        ),
    ),
)

BUILDERS = {
    "weather_hourly": _sql_weather_hourly,
    "daily_precipitation": _sql_daily_precipitation,
}
