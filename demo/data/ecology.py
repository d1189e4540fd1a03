"""Ecology and environment zone: air quality, drinking-water sources, pollution sources'
emissions.

The SQL is built from constants and integers only, never from input."""

from demo.data.base import (
    DISTRICT_CODES,
    DISTRICTS,
    HOURS_2025,
    TWO_PI,
    DemoDataset,
    classify,
    col,
    cycle,
    extra_name,
    int_list,
    num_list,
    str_list,
)

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
                        round((0.45 + 0.15 * {cycle("d", 365, 15)})
                            * exp(0.2 * gauss(i, 23)), 1) AS co
                    FROM (
                        SELECT *,
                            round(24.0 * (1.0 + 0.4 * {cycle("d", 365, 15)}) * pf * {regional}
                                * (1.0 + 0.15 * {cycle("hr", 12, 9)}) * exp(0.22 * gauss(i, 24))
                                * (1.0 - 0.6 * typhoon(h)))::INTEGER AS pm25,
                            round(22.0 * tf * (1.0 + 0.35 * {cycle("hr", 12, 8.5)})
                                * (1.0 + 0.2 * {cycle("d", 365, 15)})
                                * exp(0.25 * gauss(i, 25)))::INTEGER AS no2,
                            (25.0 + 90.0 * pow(greatest(0.0, sin(pi() * (hr - 7) / 12.0)), 1.5)
                                * (1.0 + 0.3 * {cycle("d", 182.5, 115)}))
                                * exp(0.15 * gauss(i, 26)) * sqrt({regional}) AS ozone
                        FROM (
                            SELECT i, h, h // 24 AS d, h % 24 AS hr,
                                printf('%04dA', 1314 + st) AS station_code,
                                CASE WHEN st < 8 THEN {str_list(x[0] for x in s)}[st + 1]
                                    ELSE printf('空气微站%04d', st + 1) END AS station_name,
                                {num_list(x[1] for x in s)}[st % 8 + 1] AS pf,
                                {num_list(x[2] for x in s)}[st % 8 + 1] AS tf,
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
    cod = classify("permanganate_index", (2, 4, 6, 10, 15))
    nh3 = classify("ammonia_nitrogen", (0.15, 0.5, 1.0, 1.5, 2.0))
    tp_lake = classify("total_phosphorus", (0.01, 0.025, 0.05, 0.1, 0.2))
    tp_river = classify("total_phosphorus", (0.02, 0.1, 0.2, 0.3, 0.4))
    oxygen = classify("dissolved_oxygen", (7.5, 6, 5, 3, 2), descending=True)
    grade = (
        f"greatest({cod}, {nh3}, {oxygen}, "
        f"CASE WHEN source_type = '河流型' THEN {tp_river} ELSE {tp_lake} END)"
    )
    return f"""
    SELECT source_name, source_type, district, sample_date, water_temp, ph, dissolved_oxygen,
        permanganate_index, ammonia_nitrogen, total_phosphorus, total_nitrogen, fecal_coliform,
        {str_list(SURFACE_CLASSES)}[{grade}] AS water_quality_class,
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
                20.5 - 7.0 * {cycle("dayofyear(sample_date)", 365, 20)} + 0.6 * gauss(i, 4)
                    AS temp
            FROM (
                SELECT i,
                    {extra_name("src", len(ds), [x[0] for x in ds], "水库")} AS source_name,
                    CASE WHEN src < {len(ds)} THEN {str_list(x[1] for x in ds)}[src + 1]
                        ELSE '水库型' END AS source_type,
                    CASE WHEN src < {len(ds)} THEN {str_list(x[2] for x in ds)}[src + 1]
                        ELSE {str_list(DISTRICTS)}[hx(src, 1, 6) + 1] END AS district,
                    CASE WHEN src < {len(ds)} THEN {num_list(x[3] for x in ds)}[src + 1]
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
        f"(ascii(substr(first17, k + 1, 1)) - 48) * {int_list(USCC_WEIGHTS)}[k + 1]))"
    )
    return f"""
    SELECT first17 || substr('{USCC_ALPHABET}', ((31 - {checksum} % 31) % 31)::INTEGER + 1, 1)
            AS credit_code,
        '厦门' || {str_list("鑫华宏联恒凯瑞新金东")}[e % 10 + 1]
            || {str_list("达盛源泰丰诚安顺鹭海")}[(e // 10) % 10 + 1]
            || CASE WHEN e >= 100 THEN (e // 100 + 1)::VARCHAR ELSE '' END
            || {str_list(x[1] for x in ind)}[k + 1] || '有限公司' AS enterprise_name,
        {str_list(DISTRICTS)}[dist + 1] AS district,
        {str_list(x[0] for x in ind)}[k + 1] AS industry,
        date,
        round({num_list(x[2] for x in ind)}[k + 1]
            * pow({num_list(x[3] / x[2] for x in ind)}[k + 1], u01(e, 2))
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
                '91' || {str_list(DISTRICT_CODES)}[dist + 1]
                    || printf('%09d', hx(e, 1, 1000000000)) AS first17,
                {int_list(x[4] for x in ind)}[k + 1] AS cod_limit,
                {int_list(x[5] for x in ind)}[k + 1] AS nh3_limit
            FROM (
                SELECT i, i // 365 AS e, (i // 365) % {len(ind)} AS k,
                    hx(i // 365, 9, 6) AS dist,
                    DATE '2025-01-01' + (i % 365)::INTEGER AS date
                FROM range({n}) t(i)
            )
        )
    )
    """


DATASETS: tuple[DemoDataset, ...] = (
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
            col("station_code", "站点编码", "监测站位编码"),
            col("station_name", "站点名称", "监测站点名称"),
            col("ts", "监测时间", "监测时段，北京时间"),
            col("aqi", "空气质量指数", "空气质量指数（HJ 633-2012），无量纲"),
            col("quality_level", "空气质量级别", "空气质量指数级别"),
            col("primary_pollutant", "首要污染物", "AQI 大于50时的首要污染物"),
            col("pm25", "PM2.5浓度", "PM2.5，µg/m³"),
            col("pm10", "PM10浓度", "PM10，µg/m³"),
            col("o3", "臭氧浓度", "臭氧1小时浓度，µg/m³"),
            col("no2", "二氧化氮浓度", "二氧化氮，µg/m³"),
            col("so2", "二氧化硫浓度", "二氧化硫，µg/m³"),
            col("co", "一氧化碳浓度", "一氧化碳，mg/m³"),
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
            col("source_name", "水源地名称", "饮用水水源地"),
            col("source_type", "水源地类型", "水库型或河流型水源地"),
            col("district", "所在区", "所在行政区"),
            col("sample_date", "采样日期", "采样日期"),
            col("water_temp", "水温", "水温，°C"),
            col("ph", "pH值", "pH值，无量纲"),
            col("dissolved_oxygen", "溶解氧", "溶解氧，mg/L"),
            col("permanganate_index", "高锰酸盐指数", "高锰酸盐指数，mg/L"),
            col("ammonia_nitrogen", "氨氮", "氨氮，mg/L"),
            col("total_phosphorus", "总磷", "总磷，mg/L"),
            col("total_nitrogen", "总氮", "总氮，mg/L"),
            col("fecal_coliform", "粪大肠菌群", "粪大肠菌群，MPN/L"),
            col("water_quality_class", "水质类别", "地表水水质类别，GB 3838-2002"),
            col("compliant", "是否达标", "达到III类或更好时为是"),
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
            col(
                "credit_code",
                "统一社会信用代码",
                "企业统一社会信用代码，18位",
                2,
                "pseudonym",
                identifier=True,
            ),
            col("enterprise_name", "单位名称", "企业名称", 2, "pseudonym"),
            col("district", "所在区", "所在行政区"),
            col("industry", "行业类别", "所属行业"),
            col("date", "监测日期", "监测日期"),
            col(
                "wastewater_t",
                "废水排放量",
                "当日废水排放量，吨",
                3,
                "generalize",
                "band:1000",
            ),
            col("cod_mg_l", "化学需氧量", "化学需氧量日均值，mg/L", 2),
            col("cod_limit_mg_l", "化学需氧量排放限值", "化学需氧量排放限值，mg/L"),
            col("ammonia_mg_l", "氨氮", "氨氮日均值，mg/L", 2),
            col("ammonia_limit_mg_l", "氨氮排放限值", "氨氮排放限值，mg/L"),
            col("ph", "pH值", "pH日均值，无量纲"),
            col("exceeds_limit", "是否超标", "任一日均值超过限值时为是", 2),
        ),
    ),
)

BUILDERS = {
    "air_quality": _sql_air_quality,
    "drinking_water_sources": _sql_drinking_water_sources,
    "pollution_source_emissions": _sql_pollution_source_emissions,
}
