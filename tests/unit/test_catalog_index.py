"""The indexed catalog gives exactly the answers of scoring every item, on a generated catalog.

The catalog is the demo's products five times over in random brands: every everyday word (热水器,
龙头) is shared by more items than a match returns, so the index's pruning decides the ranking as it
does in a large catalog. `benchmarks/parse.py` checks the same equality at 20,000 aliases."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from handlers.extract.address import find_community, indexed_communities
from handlers.product_ranking import indexed_catalog
from handlers.extract.products import CatalogItem, match_products

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo"
BRANDS = ("九牧", "箭牌", "恒洁", "科勒", "欧派", "方太", "华帝", "德施曼", "TOTO", "小米")
WORDS = "水龙头漏坏了厨房马桶堵花洒热器燃气门锁指纹打不开窗户地板翘柜子松淋浴房玻璃笼版晒雨卫生间"
COPIES = 5          # of each demo product; above the 3 matches returned
ROUNDS = 120        # of five messages each; the full scan they are compared with is the slow part


def _catalog(rng: random.Random, copies: int = COPIES) -> list[CatalogItem]:
    with (DEMO / "products.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    items = []
    for n in range(copies * len(rows)):
        row, brand = rows[n % len(rows)], rng.choice(BRANDS)
        words = row["aliases"].split("|")
        aliases = (*words, *(brand + w for w in rng.sample(words, 2)), f"{brand[:1]}X{n}")
        items.append(CatalogItem(f"S{n}", brand + row["name"], row["category"], aliases))
    return items


def _messages(items: list[CatalogItem], rng: random.Random, rounds: int = ROUNDS) -> list[str]:
    """Random text, real terms, terms with one character changed, and terms inside sentences."""
    out = []
    for _ in range(rounds):
        item = rng.choice(items)
        term = rng.choice((item.name, item.category, *item.aliases))
        typo = list(term)
        typo[rng.randrange(len(typo))] = rng.choice(WORDS)
        noise = "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
        out += [noise, term, "".join(typo), f"{noise[:4]}{term}{noise[4:]}", f"{''.join(typo)}{noise}"]
    return out


def test_the_indexed_catalog_ranks_every_message_as_the_full_scan_does() -> None:
    rng = random.Random(3)
    items = _catalog(rng)
    indexed = indexed_catalog(items)
    for text in _messages(items, rng):
        assert match_products(text, indexed) == match_products(text, items), text


@pytest.mark.parametrize("heads", [("翠湖", "金域", "星河", "云栖", "滨江"),   # a few names, as most desks have
                                   ("翠湖", "金域", "星河", "云栖", "滨江", "万科", "保利", "碧桂", "融创", "龙湖",
                                    "绿城", "中海", "华润", "招商")])             # many more (another way of counting)
def test_indexed_communities_find_what_the_full_scan_finds(heads: tuple[str, ...]) -> None:
    rng = random.Random(4)
    names = ["翠湖花园", "滨江壹号", "未来科技城·云栖苑", *{f"{a}{b}" for a in heads
                                                    for b in ("花园", "壹号", "名邸", "华庭", "家园")}]
    indexed = indexed_communities(names)
    texts = [f"{rng.choice(names).replace('·', '')[: rng.randint(2, 8)]}{rng.choice(WORDS)}3栋501" for _ in range(300)]
    texts += ["翠胡花园3栋", "住在滨江一号", "云栖苑5栋", "未来科技城", "没有小区名", ""]
    for text in texts:
        assert find_community(text, indexed) == find_community(text, names), text


def test_the_indexed_catalog_keeps_the_qualifier_and_the_more_specific_item() -> None:
    """燃气 picks the gas heater among heaters; 马桶盖 goes before the 马桶 its name contains; with limit 1 too."""
    items = _catalog(random.Random(8))
    indexed = indexed_catalog(items)
    texts = ("燃气热水器打不着火", "电热水器不加热", "智能马桶盖不加热了", "马桶盖松了", "马桶漏水", "指纹锁打不开",
             "厨房水龙头漏水了", "淋浴房玻璃门关不上", "卫生间门锁坏了")
    for text in texts:
        for limit in (1, 3):
            assert match_products(text, indexed, limit) == match_products(text, items, limit), text
    lid = match_products("马桶盖松了", indexed)[0].sku
    assert "盖" in next(i.name for i in items if i.sku == lid)


def test_many_items_of_one_template_rank_as_the_full_scan_does_in_long_messages() -> None:
    """Forty copies of each product under brands and series: a long message leaves dozens of items with
    bounds near the best, whose names differ only in characters the message lacks (compared once for
    all of them) or, for some brands, in characters it holds."""
    rng = random.Random(11)
    items = _catalog(rng, copies=40)
    items = [CatalogItem(i.sku, f"{rng.choice(('雅致', '经典', '我家', '尊享'))}{i.name}", i.category, i.aliases)
             for i in items]
    indexed = indexed_catalog(items)
    texts = ("你好，我家卫生间的玻璃门关不上了，麻烦尽快派人来看看", "热水器不出热水了，家里老人洗不了澡，着急",
             "马桶漏水 卫生间地上都是水 九牧的", "地漏反味，臭死了，厨房和卫生间都有", "衣柜移门掉下来了 很急 小米的",
             "厨房水龙头漏水了，经典款的那个", "燃气热水器打不着火，尊享系列", "淋浴房玻璃自己爆了！！人没事 快来")
    for text in texts:
        for limit in (1, 3):
            assert match_products(text, indexed, limit) == match_products(text, items, limit), text
