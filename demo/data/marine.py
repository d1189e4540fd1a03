"""Marine zone: red-tide buoys and events, vessels in port, seawater quality, marine litter,
waves and tides.

The SQL is built from constants and integers only, never from input."""

from demo.data.base import (
    BUOY_POSITIONS,
    HOURS_2025,
    LAT,
    LON,
    SEA_AREAS,
    TWO_PI,
    DemoDataset,
    classify,
    col,
    cycle,
    int_list,
    num_list,
    str_list,
    weighted,
)

BUOYS_PER_SCALE = 10


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
    lons = num_list(p[0] for p in BUOY_POSITIONS)
    lats = num_list(p[1] for p in BUOY_POSITIONS)
    diurnal = cycle("hr", 24, 15)
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
                22.0 + 7.6 * {cycle("d", 365, 202)} + 0.8 * (u01(b, 3) - 0.5)
                    + 0.45 * {diurnal} + 0.15 * gauss(i, 40) AS temp,
                31.8 - 2.2 * exp(-pow((d - 170) / 45.0, 2)) - 1.5 * u01(b, 5)
                    + 0.25 * gauss(i, 70) AS sal,
                2.3 + 1.0 * (0.5 + 0.5 * {cycle("d", 365, 150)}) + 0.8 * (u01(b, 4) - 0.5)
                    + 0.25 * {cycle("hr", 24, 14)} + 0.3 * gauss(i, 80)
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
    species = str_list(s[0] for s in SPECIES)
    harmful = str_list(s[0] for s in SPECIES if s[2])
    return f"""
    SELECT printf('CT%d-%03d', year, i - ((year - 2006) * {n} + 19) // 20 + 1) AS event_id,
        {str_list(a[0] for a in SEA_AREAS)}[a + 1] AS sea_area,
        start_date,
        start_date + (1 + least(19, floor(-ln(1.0 - u01(i, 4)) * 4.0)))::INTEGER AS end_date,
        round({num_list(x[1] for x in SEA_AREAS)}[a + 1] + 0.04 * (u01(i, 5) - 0.5), 4)
            AS longitude,
        round({num_list(x[2] for x in SEA_AREAS)}[a + 1] + 0.04 * (u01(i, 6) - 0.5), 4)
            AS latitude,
        species AS dominant_species,
        list_contains({harmful}, species) AS harmful,
        round(pow(10, 5.3 + 2.7 * u01(i, 7)))::BIGINT AS max_cell_density,
        round(0.5 * pow(600.0, pow(u01(i, 8), 1.6)), 1) AS area_km2,
        CASE WHEN list_contains({harmful}, species) AND u01(i, 9) < 0.7
                THEN round(10.0 + 1500.0 * pow(u01(i, 10), 2), 1)
            WHEN u01(i, 9) < 0.12 THEN round(120.0 * pow(u01(i, 10), 2), 1)
            ELSE 0.0 END AS economic_loss_10k_yuan,
        pick({str_list(["浮标在线监测", "海上巡航", "卫星遥感", "渔民报告", "公众举报"])}, i, 11)
            AS discovered_by
    FROM (
        SELECT i, year, hx(i, 1, {len(SEA_AREAS)}) AS a,
            {species}[pick({weighted(s[1] for s in SPECIES)}, i, 2)] AS species,
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
    mids = "[" + ", ".join(int_list(f[2]) for f in FLAGS) + "]"
    berths = "[" + ", ".join(str_list(b) for b in BERTHS) + "]"
    cn_name = (
        f"{str_list(_CN_NAME_A)}[v % 16 + 1] || {str_list(_CN_NAME_B)}[(v // 16) % 12 + 1]"
        " || (v // 192 + 1)::VARCHAR || '号'"
    )
    en_name = (
        f"{str_list(_EN_NAME_A)}[v % 15 + 1] || ' ' || {str_list(_EN_NAME_B)}[(v // 15) % 12 + 1]"
        " || ' ' || (v // 180 + 1)::VARCHAR"
    )
    return f"""
    SELECT {mids}[fi][hx(v, 5, len({mids}[fi])) + 1] * 1000000
            + (v * 104729 + 17) % 1000000 AS mmsi,
        CASE WHEN g = 5 THEN '闽厦渔' || printf('%05d', v)
            WHEN fi <= 2 THEN {cn_name} ELSE {en_name} END AS vessel_name,
        {str_list(t[0] for t in vt)}[ti] AS vessel_type,
        {str_list(f[0] for f in FLAGS)}[fi] AS flag,
        gross_tonnage,
        round(5.2 * pow(gross_tonnage, 0.35) * (0.95 + 0.1 * u01(v, 13)), 1) AS length_m,
        pick({berths}[g], i, 6) || (1 + hx(i, 7, 12))::VARCHAR || '号泊位' AS berth,
        arrival_time,
        arrival_time + to_minutes(
            {int_list(t[4] * 60 for t in vt)}[ti]
            + hx(i, 8, {int_list((t[5] - t[4]) * 60 for t in vt)}[ti])
        ) AS departure_time,
        CASE WHEN g = 4 THEN pick({str_list(PORTS_FERRY)}, i, 9)
            WHEN g = 5 THEN pick({str_list(["闽南渔场", "台湾浅滩渔场"])}, i, 9)
            WHEN g = 6 THEN '厦门港'
            WHEN fi <= 2 AND u01(i, 10) < 0.6 THEN pick({str_list(PORTS_DOMESTIC)}, i, 9)
            ELSE pick({str_list(PORTS_ABROAD)}, i, 9) END AS previous_port,
        pick({str_list(MOBILE_PREFIXES)}, v, 14) || printf('%08d', hx(v, 15, 100000000))
            AS owner_phone
    FROM (
        SELECT *,
            CASE WHEN {str_list(t[0] for t in vt)}[ti] IN
                    ({", ".join(repr(t[0]) for t in vt if t[7])}) THEN 1
                ELSE pick({weighted(f[1] for f in FLAGS)}, v, 4) END AS fi,
            {int_list(t[6] for t in vt)}[ti] AS g,
            round({num_list(t[2] for t in vt)}[ti]
                * pow({num_list(t[3] / t[2] for t in vt)}[ti], u01(v, 12)))::BIGINT
                AS gross_tonnage,
            TIMESTAMP '2025-01-01 00:00:00'
                + to_minutes((i * 525600) // {n} + hx(i, 2, 180)) AS arrival_time
        FROM (
            SELECT i, v, pick({weighted(t[1] for t in vt)}, v, 3) AS ti
            FROM (SELECT i, hx(i, 1, {vessels}) AS v FROM range({n}) t(i))
        )
    )
    """


SEAWATER_CLASSES = ("一类", "二类", "三类", "四类", "劣四类")


def _sql_seawater_quality(scale: int) -> str:
    n = 40 * 24 * scale  # 40 stations a scale unit, monthly, 2024-2025
    areas = SEA_AREAS
    din = classify("inorganic_nitrogen", (0.20, 0.30, 0.40, 0.50))
    phosphate = classify("active_phosphate", (0.015, 0.030, 0.030, 0.045))
    cod = classify("cod_mn", (2, 3, 4, 5))
    oxygen = classify("dissolved_oxygen", (6, 5, 4, 3), descending=True)
    oil = classify("petroleum", (0.05, 0.05, 0.30, 0.50))
    return f"""
    SELECT station_id, sea_area, longitude, latitude, sample_date, water_temp, salinity, ph,
        dissolved_oxygen, cod_mn, inorganic_nitrogen, active_phosphate, petroleum,
        {str_list(SEAWATER_CLASSES)}[greatest({din}, {phosphate}, {cod}, {oxygen}, {oil})]
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
                22.0 + 8.0 * {cycle("dayofyear(sample_date)", 365, 202)}
                    + 0.5 * gauss(i, 9) AS temp
            FROM (
                SELECT i, printf('XMSW%03d', st + 1) AS station_id,
                    {str_list(a[0] for a in areas)}[st % 10 + 1] AS sea_area,
                    round({num_list(a[1] for a in areas)}[st % 10 + 1]
                        + 0.05 * (u01(st, 1) - 0.5), 4) AS longitude,
                    round({num_list(a[2] for a in areas)}[st % 10 + 1]
                        + 0.05 * (u01(st, 2) - 0.5), 4) AS latitude,
                    {num_list(a[3] for a in areas)}[st % 10 + 1] + 0.1 * (u01(st, 3) - 0.5)
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
    SELECT CASE WHEN site < 10 THEN {str_list(x[0] for x in s)}[site + 1]
                ELSE {str_list(x[0] for x in s)}[site % 10 + 1]
                    || (site // 10 + 1)::VARCHAR || '号断面' END AS survey_site,
        round({num_list(x[1] for x in s)}[site % 10 + 1]
            + CASE WHEN site < 10 THEN 0 ELSE 0.01 * (u01(site, 1) - 0.5) END, 4) AS longitude,
        round({num_list(x[2] for x in s)}[site % 10 + 1]
            + CASE WHEN site < 10 THEN 0 ELSE 0.01 * (u01(site, 2) - 0.5) END, 4) AS latitude,
        survey_date,
        {str_list(t[0] for t in LITTER_TYPES)}[lt + 1] AS litter_type,
        round(items, 1) AS count_per_100m2,
        round(items * {num_list(t[2] for t in LITTER_TYPES)}[lt + 1]
            * exp(0.3 * gauss(i, 5)), 3) AS weight_kg,
        {str_list(SURVEYORS)}[(site + q) % {len(SURVEYORS)} + 1] AS surveyor_org
    FROM (
        SELECT *,
            {num_list(t[1] for t in LITTER_TYPES)}[lt + 1]
                * {num_list(x[3] for x in s)}[site % 10 + 1]
                * (1.0 + 0.3 * {cycle("dayofyear(survey_date)", 365, 200)})
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
        (((CASE WHEN typhoon(h) > 0.3 THEN 110 WHEN {cycle("d", 365, 15)} > 0 THEN 50
                ELSE 200 END + 25 * gauss(i, 7))::INTEGER % 360) + 360) % 360
            AS wave_direction_deg,
        CASE WHEN hs <= 0.1 THEN 1 WHEN hs <= 0.5 THEN 2 WHEN hs <= 1.25 THEN 3
            WHEN hs <= 2.5 THEN 4 WHEN hs <= 4.0 THEN 5 WHEN hs <= 6.0 THEN 6
            WHEN hs <= 9.0 THEN 7 ELSE 8 END AS sea_state
    FROM (
        SELECT *,
            greatest(0.1, exposure * (0.75 + 0.2 * {cycle("d", 365, 15)})
                * (1.0 + 0.35 * sin({TWO_PI} * h / 127.2 + 0.8)
                    + 0.2 * sin({TWO_PI} * h / 55.2 + 1.7))
                * exp(0.1 * gauss(i, 4)) + 4.8 * exposure * typhoon(h)) AS hs
        FROM (
            SELECT i, h, h // 24 AS d, printf('XM-W%02d', st + 1) AS station_id,
                {str_list(w[0] for w in WAVE_STATIONS)}[st % 5 + 1] AS sea_area,
                {num_list(w[1] for w in WAVE_STATIONS)}[st % 5 + 1]
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
            round(40.0 + 10.0 * {cycle("h // 24", 365, 280)}
                + amp * ({constituents}))::INTEGER AS predicted,
            round(3.0 * gauss(i, 4) + 70.0 * typhoon(h)
                + 8.0 * sin({TWO_PI} * h / 146.4))::INTEGER AS surge
        FROM (
            SELECT i, h,
                CASE WHEN st < 3 THEN {str_list(x[0] for x in t)}[st + 1]
                    ELSE printf('临时验潮点%03d', st + 1) END AS station,
                CASE WHEN st < 3 THEN {num_list(x[1] for x in t)}[st + 1]
                    ELSE u01(st, 1) END AS lag,
                CASE WHEN st < 3 THEN {num_list(x[2] for x in t)}[st + 1]
                    ELSE 0.8 + 0.3 * u01(st, 2) END AS amp,
                TIMESTAMP '2025-01-01 00:00:00' + to_hours(h) AS ts
            FROM (SELECT i, i // {HOURS_2025} AS st, i % {HOURS_2025} AS h FROM range({n}) t(i))
        )
    )
    """


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
            col("buoy_id", "浮标编号", "浮标（设备）编号", 2, "pseudonym", identifier=True),
            col("longitude", "经度", LON),
            col("latitude", "纬度", LAT),
            col("ts", "观测时间", "观测时间，逐小时，北京时间（UTC+8）"),
            col("water_temp", "水温", "海表水温，°C"),
            col("salinity", "盐度", "盐度，PSU"),
            col("ph", "pH值", "pH值，无量纲"),
            col("dissolved_oxygen", "溶解氧", "溶解氧，mg/L"),
            col("chlorophyll_a", "叶绿素a浓度", "叶绿素a浓度，µg/L"),
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
            col("event_id", "事件编号", "事件编号，CT<年份>-<序号>"),
            col("sea_area", "发生海域", "发现赤潮的海域"),
            col("start_date", "开始日期", "首次发现赤潮的日期"),
            col("end_date", "结束日期", "赤潮消退的日期"),
            col("longitude", "中心经度", "赤潮中心" + LON, 2, "generalize", "grid:0.1"),
            col("latitude", "中心纬度", "赤潮中心" + LAT, 2, "generalize", "grid:0.1"),
            col("dominant_species", "优势种", "优势藻种"),
            col("harmful", "是否有毒有害", "优势种有毒或有害时为是"),
            col("max_cell_density", "最大细胞密度", "最大细胞密度，个/L"),
            col("area_km2", "影响面积", "影响海域面积，km²"),
            col(
                "economic_loss_10k_yuan",
                "直接经济损失",
                "直接经济损失（养殖、旅游），万元",
                3,
                "generalize",
                "band:100",
            ),
            col("discovered_by", "发现方式", "赤潮的发现方式"),
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
            col(
                "mmsi",
                "海上移动业务识别码",
                "海上移动业务识别码（MMSI），9位数字",
                3,
                "pseudonym",
                identifier=True,
            ),
            col("vessel_name", "船名", "船舶名称", 2, "pseudonym"),
            col("vessel_type", "船舶类型", "船舶类型"),
            col("flag", "船籍", "船籍国家或地区"),
            col("gross_tonnage", "总吨", "总吨位，GT", 2, "generalize", "band:5000"),
            col("length_m", "船长", "船舶总长，m"),
            col("berth", "泊位", "泊位"),
            col("arrival_time", "到港时间", "到港时间，北京时间", 2, "generalize", "hour"),
            col("departure_time", "离港时间", "离港时间，北京时间", 2, "generalize", "hour"),
            col("previous_port", "上一港", "上一挂靠港"),
            col(
                "owner_phone",
                "船东联系电话",
                "船东或代理人手机号码，11位数字",
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
            col("station_id", "站位编号", "监测站位编码"),
            col("sea_area", "所属海域", "所属海域"),
            col("longitude", "经度", LON),
            col("latitude", "纬度", LAT),
            col("sample_date", "采样日期", "采样日期"),
            col("water_temp", "水温", "水温，°C"),
            col("salinity", "盐度", "盐度，PSU"),
            col("ph", "pH值", "pH值，无量纲"),
            col("dissolved_oxygen", "溶解氧", "溶解氧，mg/L"),
            col("cod_mn", "化学需氧量", "化学需氧量（碱性高锰酸钾法），mg/L"),
            col("inorganic_nitrogen", "无机氮", "溶解无机氮，mg/L"),
            col("active_phosphate", "活性磷酸盐", "活性磷酸盐（以磷计），mg/L"),
            col("petroleum", "石油类", "石油类，mg/L"),
            col("water_quality_class", "水质类别", "海水水质类别，GB 3097-1997"),
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
            col("survey_site", "调查断面", "调查断面（海滩）"),
            col("longitude", "经度", LON),
            col("latitude", "纬度", LAT),
            col("survey_date", "调查日期", "调查日期"),
            col("litter_type", "垃圾类型", "垃圾材质"),
            col("count_per_100m2", "密度", "每100 m²的件数"),
            col("weight_kg", "重量", "每100 m²的重量，kg"),
            col("surveyor_org", "调查单位", "调查单位"),
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
            col(
                "station_id",
                "浮标编号",
                "波浪浮标（设备）编号",
                2,
                "pseudonym",
                identifier=True,
            ),
            col("sea_area", "所属海域", "所属海域"),
            col("ts", "观测时间", "观测时间，逐小时，北京时间"),
            col("significant_wave_height_m", "有效波高", "有效波高 H1/3，m"),
            col("max_wave_height_m", "最大波高", "最大波高，m"),
            col("mean_wave_period_s", "平均周期", "平均波周期，s"),
            col("wave_direction_deg", "浪向", "来浪方向，自正北起算的度数"),
            col("sea_state", "海况等级", "海况等级（道氏等级）"),
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
            col("station", "验潮站", "验潮站"),
            col("ts", "观测时间", "观测时间，逐小时，北京时间"),
            col("tide_level_cm", "实测潮位", "实测水位，1985国家高程基准以上厘米数"),
            col("predicted_tide_cm", "天文潮位", "天文潮预报值，cm"),
            col("surge_cm", "增减水", "实测与预报之差（增减水），cm"),
        ),
    ),
)

BUILDERS = {
    "redtide_buoys": _sql_redtide_buoys,
    "redtide_events": _sql_redtide_events,
    "vessels_in_port": _sql_vessels_in_port,
    "seawater_quality": _sql_seawater_quality,
    "marine_litter": _sql_marine_litter,
    "wave_observations": _sql_wave_observations,
    "tide_levels": _sql_tide_levels,
}
