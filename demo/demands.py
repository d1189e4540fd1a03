"""The demo's demand list (数据需求清单): demands matched, in progress, open and blocked,
one of them matched to the red-tide buoy catalog, one merged into it as a duplicate, each
taken through the services as its parties would."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from demands.models import Demand
from demands.services.demands import (
    demand_answer,
    demand_assign,
    demand_block,
    demand_file,
    demand_match,
    demand_merge,
)
from operation.models import Catalog, DataZone
from scenarios.models import Scenario
from tenants.models import Organization

REDTIDE_BUOYS = "HY-0001"
LEGAL_BASIS = "《公共数据授权运营管理办法》及本单位签署的授权运营协议"

# username, what is asked, and how far it got: (action, detail)
DEMANDS = [
    (
        "xmu_lab",
        {
            "title": "赤潮监测浮标叶绿素a、溶解氧逐时观测",
            "fields_wanted": "浮标编号, 观测时间, 叶绿素a, 溶解氧, 水温, 盐度",
            "zone": "marine",
            "area": "厦门湾及九龙江口近岸海域",
            "period": "2022年至今",
            "update_frequency": "realtime",
            "purpose": "训练赤潮风险预警模型，向近海养殖户发布预警",
            "urgency": "urgent",
        },
        ("match", REDTIDE_BUOYS),
    ),
    (
        "insurer",
        {
            "title": "赤潮浮标水质观测数据",
            "fields_wanted": "叶绿素a, 溶解氧",
            "zone": "marine",
            "area": "厦门近岸海域",
            "period": "近三年",
            "update_frequency": "daily",
            "purpose": "评估海水养殖保险的赤潮灾害风险",
            "urgency": "important",
        },
        ("merge", 0),  # a duplicate of the first demand
    ),
    (
        "insurer",
        {
            "title": "台风期间港区船舶避风锚泊记录",
            "fields_wanted": "锚地, 船舶类型, 吨位, 进出锚地时间",
            "zone": "marine",
            "area": "厦门港各锚地",
            "period": "2019年至今，台风季",
            "update_frequency": "monthly",
            "purpose": "船舶保险台风风险定价",
            "urgency": "important",
        },
        ("promise", 60),
    ),
    (
        "xmu_lab",
        {
            "title": "近海渔船实时位置",
            "fields_wanted": "渔船编号, 经度, 纬度, 航速, 时间",
            "zone": "marine",
            "area": "厦门海域",
            "period": "近一年",
            "update_frequency": "realtime",
            "purpose": "研究渔业活动与赤潮发生的关系",
            "urgency": "routine",
        },
        ("decline", "渔船实时位置涉及渔民个人行踪信息，属敏感数据，暂不纳入授权运营范围。"),
    ),
    (
        "insurer",
        {
            "title": "城市道路积水点实时监测",
            "fields_wanted": "监测点, 积水深度, 时间",
            "zone": "transport",
            "area": "全市主城区",
            "period": "近五年汛期",
            "update_frequency": "realtime",
            "purpose": "机动车涉水损失保险理赔与风险提示",
            "urgency": "urgent",
        },
        ("block", "道路积水监测数据由市政部门自建系统采集，尚未归集至市公共数据平台。"),
    ),
    (
        "applicant",
        {
            "title": "近岸海域养殖区分布与养殖品种",
            "fields_wanted": "养殖区编号, 范围, 面积, 养殖品种, 养殖户数",
            "zone": "marine",
            "area": "同安湾、大嶝海域",
            "period": "最新一期",
            "update_frequency": "yearly",
            "purpose": "为养殖户提供赤潮与水质风险提示服务",
            "urgency": "routine",
        },
        ("open", None),
    ),
]


def seed_demands(stdout) -> None:
    """Seed the demand list once (nothing if it holds a demand already)."""
    if Demand.objects.exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    operator, bureau = users["operator"], users["ocean_bureau"]
    ocean = Organization.objects.get(name="市海洋发展局")
    today = timezone.localdate()
    filed: list[Demand] = []
    with transaction.atomic():
        for username, values, (action, detail) in DEMANDS:
            by = users[username]
            scenario = Scenario.objects.filter(
                organization__memberships__user=by, name__contains="赤潮"
            ).first()
            demand = demand_file(
                by=by,
                legal_basis=LEGAL_BASIS,
                **(values | {"zone": DataZone.objects.get(key=values["zone"])}),
                scenario=scenario if "赤潮" in values["title"] else None,
            )
            filed.append(demand)
            if action == "match":
                demand_match(by=operator, demand=demand, catalog=Catalog.objects.get(code=detail))
            elif action == "merge":
                demand_merge(by=operator, demand=demand, into=filed[detail])
            elif action in ("promise", "decline"):
                demand = demand_assign(
                    by=operator, demand=demand, provider=ocean, note="请评估能否提供"
                )
                demand_answer(
                    by=bureau,
                    demand=demand,
                    will_publish=action == "promise",
                    due_date=today + timedelta(days=detail) if action == "promise" else None,
                    reason="" if action == "promise" else detail,
                )
            elif action == "block":
                demand_block(by=operator, demand=demand, reason=detail)
    stdout.write(f"  demand list: {len(filed)} demands")
