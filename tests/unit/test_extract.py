"""Owner messages as they really arrive -> the facts the report dialog needs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from handlers.extract import PRODUCT_THRESHOLD, CatalogItem, extract, is_affirmative, is_negative, match_products
from handlers.text import find_phone, normalize

CATALOG = [
    CatalogItem("FC-K", "单把手厨房龙头", "水龙头", ("水龙头", "龙头", "水嘴", "厨房龙头")),
    CatalogItem("FC-B", "冷热面盆龙头", "水龙头", ("龙头", "面盆龙头", "台盆龙头")),
    CatalogItem("TL-S", "连体虹吸马桶", "马桶", ("马桶", "坐便器", "坐便", "抽水马桶")),
    CatalogItem("TL-Z", "智能马桶盖", "智能马桶", ("马桶盖", "智能盖板")),
    CatalogItem("SH-H", "恒温花洒套装", "花洒", ("花洒", "淋浴", "喷头", "莲蓬头")),
    CatalogItem("WH-G", "燃气热水器", "热水器", ("热水器", "煤气热水器")),
    CatalogItem("WH-E", "储水式电热水器", "热水器", ("电热水器", "热水器")),
    CatalogItem("LK-F", "全自动智能门锁", "智能门锁", ("智能门锁", "指纹锁", "密码锁", "门锁")),
    CatalogItem("CB-K", "整体橱柜", "橱柜", ("橱柜", "厨柜", "吊柜")),
    CatalogItem("WD-S", "推拉门衣柜", "衣柜", ("衣柜", "衣橱", "移门")),
    CatalogItem("FL-E", "实木复合地板", "地板", ("木地板", "地板", "复合地板")),
    CatalogItem("WN-A", "铝合金推拉窗", "窗户", ("铝合金窗", "窗户", "推拉窗", "纱窗")),
    CatalogItem("DR-E", "钢质防盗入户门", "入户门", ("入户门", "防盗门", "大门", "进户门")),
    CatalogItem("BC-V", "落地浴室柜", "浴室柜", ("浴室柜", "洗手台", "台盆柜")),
    CatalogItem("DN-F", "不锈钢防臭地漏", "地漏", ("地漏", "下水口")),
]
COMMUNITIES = ["翠湖花园", "滨江壹号"]
PHONE = "13800138000"
ADDR_3_2_501 = {"building": "3", "unit": "2", "room": "501"}

# Each row: the message, then only the fields that matter for it.  "sku" is the
# best product; "skus" the set the best product must come from (ties); "desc"
# the description; "type" the ticket type.
CASES: list[tuple[str, dict[str, Any]]] = [
    # the canonical message and address spellings
    ("厨房水龙头漏水了，3栋2单元501，电话13800138000",
     {**ADDR_3_2_501, "phone": PHONE, "sku": "FC-K", "category": "水龙头", "type": "repair",
      "urgent": False, "desc": "厨房水龙头漏水了"}),
    ("3号楼2单元501室 指纹锁打不开了", {**ADDR_3_2_501, "sku": "LK-F", "type": "repair"}),
    ("3-2-501 地漏反味", {**ADDR_3_2_501, "sku": "DN-F", "desc": "地漏反味"}),
    ("3#2-501 衣柜门掉了", {**ADDR_3_2_501, "sku": "WD-S", "type": "repair"}),
    ("三栋二单元五零一，花洒不出水", {**ADDR_3_2_501, "sku": "SH-H", "desc": "花洒不出水"}),
    ("3 栋 2 单元 501 橱柜吊柜松了", {**ADDR_3_2_501, "sku": "CB-K", "type": "repair"}),
    ("３栋２单元５０１ 马桶堵了", {**ADDR_3_2_501, "sku": "TL-S", "desc": "马桶堵了"}),
    ("138 0013 8000 三栋二单元501", {**ADDR_3_2_501, "phone": PHONE, "products": (), "desc": ""}),
    ("十二栋一单元一千一百零二 热水器不热",
     {"building": "12", "unit": "1", "room": "1102", "category": "热水器", "type": "repair"}),
    ("12号楼1单元1102 窗户关不严",
     {"building": "12", "unit": "1", "room": "1102", "sku": "WN-A", "type": "repair"}),
    ("五栋三单元六零二 门锁失灵 尽快处理",
     {"building": "5", "unit": "3", "room": "602", "sku": "LK-F", "urgent": True}),
    ("6幢2单元301室燃气热水器冒烟了",
     {"building": "6", "unit": "2", "room": "301", "sku": "WH-G", "urgent": True}),
    ("窗户玻璃裂了👉3-1-1202",
     {"building": "3", "unit": "1", "room": "1202", "sku": "WN-A", "desc": "窗户玻璃裂了"}),
    ("B座 1203 电热水器漏电",
     {"building": "B", "unit": None, "room": "1203", "sku": "WH-E", "urgent": True}),
    ("A座808房 洗手台下水口堵了",
     {"building": "A", "room": "808", "skus": {"BC-V", "DN-F"}, "type": "repair"}),
    ("501室的热水器不出热水",
     {"building": None, "unit": None, "room": "501", "category": "热水器", "desc": "热水器不出热水"}),
    ("2单元501 电话13800138000 地漏堵了",
     {"building": None, "unit": "2", "room": "501", "phone": PHONE, "desc": "地漏堵了"}),
    ("2024年买的地板起翘了，3栋", {"building": "3", "room": None, "sku": "FL-E"}),
    ("马桶漏水 翠湖花园3号楼2门501",
     {**ADDR_3_2_501, "community": "翠湖花园", "sku": "TL-S", "desc": "马桶漏水"}),
    ("3栋2梯501 地漏堵了", {**ADDR_3_2_501, "sku": "DN-F", "desc": "地漏堵了"}),
    ("3/2/501 花洒不出水", {**ADDR_3_2_501, "sku": "SH-H", "desc": "花洒不出水"}),
    ("5楼501 马桶堵了", {"building": None, "room": "501", "sku": "TL-S", "desc": "马桶堵了"}),
    ("12楼301 马桶堵了", {"building": "12", "room": "301", "sku": "TL-S"}),
    ("3栋2门锁坏了", {"building": "3", "unit": None, "sku": "LK-F"}),
    # phone digits never become a room, a room never becomes a phone
    ("电话13800138000，3栋501", {"building": "3", "unit": None, "room": "501", "phone": PHONE}),
    ("13800138000", {"phone": PHONE, "room": None, "building": None, "desc": ""}),
    ("1380013800012", {"phone": None, "room": None}),
    ("手机 138 0013 8000，入户门锁不上", {"phone": PHONE, "sku": "DR-E", "desc": "入户门锁不上"}),
    ("+86 13800138000 浴室柜台面裂了", {"phone": PHONE, "sku": "BC-V", "desc": "浴室柜台面裂了"}),
    ("２号楼３单元６０２室，电话：１３９１２３４５６７８",
     {"building": "2", "unit": "3", "room": "602", "phone": "13912345678", "products": ()}),
    # communities, exact, shortened and misspelt
    ("翠湖花园3幢201，橱柜门歪了",
     {"community": "翠湖花园", "building": "3", "unit": None, "room": "201", "sku": "CB-K",
      "desc": "橱柜门歪了"}),
    ("翠湖3幢201 马桶漏水", {"community": "翠湖花园", "building": "3", "room": "201", "sku": "TL-S"}),
    ("滨江壹号B座1203 木地板起鼓",
     {"community": "滨江壹号", "building": "B", "room": "1203", "sku": "FL-E", "desc": "木地板起鼓"}),
    ("住址：滨江壹号 5栋 1单元 302，龍頭壞了",
     {"community": "滨江壹号", "building": "5", "unit": "1", "room": "302", "category": "水龙头",
      "desc": "龙头坏了"}),
    ("我家住在翠湖花园，马桶坏了", {"community": "翠湖花园", "sku": "TL-S", "desc": "马桶坏了"}),
    ("翠胡花园3栋 热水器不热", {"community": "翠湖花园", "building": "3", "category": "热水器"}),
    ("马桶又堵了", {"community": None, "sku": "TL-S"}),
    # traditional characters and typos
    ("廚房水龍頭漏水", {"sku": "FC-K", "category": "水龙头", "desc": "厨房水龙头漏水"}),
    ("電話13800138000，熱水器壞了，請盡快",
     {"phone": PHONE, "category": "热水器", "urgent": True, "desc": "热水器坏了，请尽快"}),
    ("水笼头坏了", {"skus": {"FC-K", "FC-B"}, "category": "水龙头", "type": "repair"}),
    ("热水气不热了", {"category": "热水器", "type": "repair"}),
    ("座便器漏水", {"sku": "TL-S", "category": "马桶"}),
    ("地版起鼓了", {"sku": "FL-E", "category": "地板"}),
    ("花晒不出水", {"sku": "SH-H", "category": "花洒"}),
    # urgency
    ("急！！卫生间跑水了，地漏往上冒水", {"sku": "DN-F", "urgent": True, "type": "repair"}),
    ("厨房水管爆管了，水淹了半个厨房，快来人😭", {"urgent": True, "type": "repair"}),
    ("指纹锁没电了，人被锁在外面进不了门", {"sku": "LK-F", "urgent": True}),
    ("电话：138-0013-8000，家里燃气热水器有煤气味！",
     {"phone": PHONE, "sku": "WH-G", "urgent": True, "desc": "家里燃气热水器有煤气味"}),
    ("热水器打不着火", {"category": "热水器", "urgent": False, "type": "repair"}),
    ("不急，花洒有点滴水，周末来看看就行", {"sku": "SH-H", "urgent": False, "type": "repair"}),
    ("智能马桶盖不出热水了🙏", {"sku": "TL-Z", "urgent": False, "desc": "智能马桶盖不出热水了"}),
    # install / return / complaint wording
    ("新买的热水器，麻烦上门安装一下", {"category": "热水器", "type": "install", "urgent": False}),
    ("想装一个智能门锁", {"sku": "LK-F", "type": "install"}),
    ("马桶刚买的有裂纹，要退货", {"sku": "TL-S", "type": "return"}),
    ("衣柜颜色不对，想换货", {"sku": "WD-S", "type": "return"}),
    ("我要投诉，师傅上门三次都没修好", {"type": "complaint", "products": (), "category": None}),
    ("投诉！说好今天来一直没来", {"type": "complaint"}),
    # plain product faults
    ("推拉窗的纱窗破了", {"sku": "WN-A", "type": "repair"}),
    ("防盗门猫眼掉了", {"sku": "DR-E", "category": "入户门"}),
    ("浴室柜下面渗水，地板都泡了", {"sku": "BC-V", "type": "repair"}),
    ("坐便器冲不下去", {"sku": "TL-S", "type": "repair"}),
    # nothing to report
    ("你好", {"products": (), "category": None, "type": None, "urgent": False, "room": None}),
    ("家里停水了", {"products": (), "category": None, "type": None}),
    ("3栋2单元501", {**ADDR_3_2_501, "products": (), "type": None, "desc": ""}),
]


def _actual(found: Any, key: str) -> Any:
    aliases = {"type": "ticket_type", "desc": "description"}
    if key in ("sku", "skus"):
        return found.products[0].sku if found.products else None
    return getattr(found, aliases.get(key, key))


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_extract_owner_messages(text: str, expected: dict[str, Any]) -> None:
    found = extract(text, CATALOG, COMMUNITIES)
    for key, want in expected.items():
        got = _actual(found, key)
        if key == "skus":
            assert got in want, (key, got, found)
        else:
            assert got == want, (key, got, found)


def test_extract_keeps_the_normalized_text() -> None:
    found = extract("廚房水龍頭漏水，３栋２单元５０１", CATALOG, COMMUNITIES)
    assert found.text == "厨房水龙头漏水，3栋2单元501"


def test_extract_products_are_capped_best_first_and_plausible() -> None:
    found = extract("厨房水龙头和面盆龙头都漏水，马桶也堵了，热水器不热", CATALOG)
    scores = [m.score for m in found.products]
    assert len(found.products) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(PRODUCT_THRESHOLD <= s <= 100 for s in scores)


@pytest.mark.parametrize(("raw", "expected"), [
    ("３栋２单元５０１", "3栋2单元501"),
    ("Ｂ座１２０３", "B座1203"),
    ("３－２－５０１", "3-2-501"),
    ("３＃２－５０１", "3#2-501"),
    ("  廚房　水龍頭   漏水  ", "厨房 水龙头 漏水"),
    ("熱水器壞了，請儘快", "热水器坏了，请尽快"),
    ("ＯＫ", "OK"),
    ("马桶堵了\n\t急", "马桶堵了 急"),
    ("", ""),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("13800138000", PHONE),
    ("电话：13800138000。", PHONE),
    ("138 0013 8000", PHONE),
    ("138-0013-8000", PHONE),
    ("+86 13800138000", PHONE),
    ("+8613800138000", PHONE),
    ("0086-138-0013-8000", PHONE),
    ("１３８００１３８０００", PHONE),
    ("手机19912345678，备用13800138000", "19912345678"),
    ("138001380001", None),        # 12 digits: not a phone
    ("2138001380001", None),
    ("12800138000", None),         # no mainland mobile starts with 12
    ("1380013800", None),          # 10 digits
    ("3栋2单元501", None),
    ("", None),
])
def test_find_phone(text: str, expected: str | None) -> None:
    assert find_phone(text) == expected


def test_match_products_exact_alias_wins_strongly() -> None:
    matches = match_products("面盆龙头一直滴水", CATALOG)
    assert matches[0].sku == "FC-B"
    assert matches[0].score > matches[1].score


def test_match_products_finds_typos() -> None:
    assert {m.sku for m in match_products("水笼头坏了", CATALOG)} == {"FC-K", "FC-B"}


def test_match_products_nothing_plausible() -> None:
    assert match_products("你好，在吗", CATALOG) == ()
    assert match_products("", CATALOG) == ()
    assert match_products("马桶堵了", []) == ()


def test_match_products_limit() -> None:
    assert len(match_products("热水器", CATALOG, limit=1)) == 1
    assert [m.sku for m in match_products("燃气热水器", CATALOG)][0] == "WH-G"


@pytest.mark.parametrize("text", [
    "确认", "对", "是", "是的", "好", "好的", "可以", "没问题", "ok", "OK", "Ok!", "嗯", "嗯嗯",
    "确定", "行", "提交", "好的！", "确认。", "对的~", "好的👍", "👍", "是的呀", "好好好",
    "可以，谢谢", "确认提交", "没错", "ｏｋ",
])
def test_is_affirmative(text: str) -> None:
    assert is_affirmative(text)
    assert not is_negative(text)


@pytest.mark.parametrize("text", [
    "不好", "好不好", "不", "不对", "不是", "取消", "谢谢", "", "   ", "？", "3栋501", "好的，但是地址错了",
])
def test_not_affirmative(text: str) -> None:
    assert not is_affirmative(text)


@pytest.mark.parametrize("text", [
    "不", "不对", "不是", "错了", "取消", "否", "重新", "修改", "不对！", "不要了", "算了",
    "取消报修", "不报了", "重新填", "修改地址", "不不不", "NO", "不好",
])
def test_is_negative(text: str) -> None:
    assert is_negative(text)
    assert not is_affirmative(text)


@pytest.mark.parametrize("text", [
    "好的", "不错", "不对，是502", "错了，应该是3栋", "马桶堵了", "", "👍",
])
def test_not_negative(text: str) -> None:
    # A correction that carries the new fact is left for the caller to re-read.
    assert not is_negative(text)


def _demo_catalog() -> list[CatalogItem]:
    path = Path(__file__).resolve().parents[2] / "bot" / "demo" / "products.csv"
    with path.open(encoding="utf-8") as f:
        return [CatalogItem(r["sku"], r["name"], r["category"], tuple(a for a in r["aliases"].split("|") if a))
                for r in csv.DictReader(f)]


@pytest.mark.parametrize(("text", "category"), [
    ("卫生间漏水到楼下了", None),              # a room, not the bathroom door
    ("淋雨房门关不上", "淋浴房"),               # a typo of the enclosure, not 房门
    ("淋浴房门关不上", "淋浴房"),
    ("地版起鼓了", "地板"),
    ("花晒不出水", "花洒"),
    ("卫生间门关不上", "室内门"),
    ("厨房龙头漏水", "水龙头"),
])
def test_the_demo_catalogue_matches_what_owners_mean(text: str, category: str | None) -> None:
    catalog = _demo_catalog()
    found = extract(text, catalog)
    assert found.category == category, found.products


def test_a_community_written_without_its_dot_is_cut_out_of_the_description_whole() -> None:
    found = extract("紧急！卫生间漏水严重，水漫出来了，未来科技城云栖苑5幢1单元302 联系电话 139-2222-3333",
                    CATALOG, [*COMMUNITIES, "未来科技城·云栖苑"])
    assert found.community == "未来科技城·云栖苑"
    assert (found.building, found.unit, found.room) == ("5", "1", "302")
    assert "云栖苑" not in found.description and "水漫出来了" in found.description


@pytest.mark.parametrize("text, description", [
    ("你好，卫生间马桶堵了，翠湖花园3栋2单元1201", "卫生间马桶堵了"),
    ("您好 在吗？热水器不出热水了，谢谢！", "热水器不出热水了"),
    ("你好，你好，厨房水龙头漏水，麻烦了", "厨房水龙头漏水"),
    ("你好", "你好"),                                  # nothing else said: kept as it was
])
def test_a_greeting_or_thanks_around_a_fault_is_not_part_of_its_description(text: str, description: str) -> None:
    assert extract(text, CATALOG, COMMUNITIES).description == description


@pytest.mark.parametrize("text, description", [
    ("18612345678 说地板起鼓了 翠湖花园3栋2单元502", "地板起鼓了"),
    ("业主反映说卫生间马桶堵了", "卫生间马桶堵了"),
    ("说明书丢了 热水器不会调温度", "说明书丢了 热水器不会调温度"),   # 说明书 is a thing, not "says"
])
def test_a_report_passed_on_by_the_desk_is_described_without_who_said_it(text: str, description: str) -> None:
    assert extract(text, CATALOG, COMMUNITIES).description == description
