"""Reading one owner message against a 20,000-alias catalog, as the report dialog does.

    .venv/bin/python benchmarks/parse.py [--aliases 20000] [--communities 2000] [--rounds 20]
    .venv/bin/python benchmarks/parse.py --quick        # 2,000 aliases, 5 rounds

Builds a catalog the way a large seller's looks: the demo catalog's products in many
brands and series (so the everyday words, 热水器 or 龙头, are shared by hundreds of
items), about ten aliases each, and as many communities. Times `handlers.extract.extract`
on a set of real-looking owner messages, by CPU time: the indexed catalog (what the
dialog gets from handlers.catalog_cache) against a plain scan of the same catalog (what
every message cost before) in the same run, and checks both give the same answer. Also
times building the index (once per catalog version, not per message). Target: 1 ms.
"""
from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from pathlib import Path

from handlers.extract.address import indexed_communities
from handlers.extract import Extracted, extract
from handlers.product_ranking import indexed_catalog
from handlers.extract.products import CatalogItem
from handlers.text import normalize

DEMO = Path(__file__).resolve().parent.parent / "bot" / "demo" / "products.csv"
TARGET_MS = 1.0
BRANDS = ("九牧", "箭牌", "恒洁", "惠达", "法恩莎", "东鹏", "科勒", "TOTO", "汉斯格雅", "美标", "摩恩", "欧派",
          "索菲亚", "志邦", "金牌", "我乐", "好莱客", "尚品宅配", "圣象", "大自然", "德尔", "菲林格尔", "安信",
          "方太", "老板", "华帝", "万和", "万家乐", "A.O.史密斯", "海尔", "美的", "林内", "能率", "德施曼",
          "凯迪仕", "鹿客", "小米", "飞利浦", "王力", "盼盼", "步阳", "TATA", "梦天", "皇派", "新豪轩", "派雅")
SERIES = ("经典", "尊享", "臻品", "雅致", "简约", "轻奢", "悦享", "御品", "星耀", "逸境")
PLACES = ("翠湖", "滨江", "云栖", "金域", "星河", "紫金", "锦绣", "天悦", "万科", "保利", "绿城", "融创", "龙湖",
          "碧桂园", "中海", "华润", "招商", "金茂", "旭辉", "世茂", "阳光", "时代", "远洋", "雅居乐", "富力")
SUFFIXES = ("花园", "壹号", "府", "苑", "名邸", "公馆", "华庭", "家园", "城", "湾", "里", "国际", "新城", "御园")
MESSAGES = (
    "厨房水龙头漏水了，3栋2单元501，电话13800138000",
    "3号楼2单元501室 指纹锁打不开了",
    "热水器不出热水，翠湖花园12栋1单元1102",
    "马桶漏水 翠湖花园3号楼2门501",
    "A座808房 洗手台下水口堵了",
    "2024年买的地板起翘了，3栋",
    "你好，我家卫生间的玻璃门关不上了，麻烦尽快派人来看看，地址是滨江壹号5栋1单元602",
    "燃气热水器打不着火",
    "衣柜移门掉下来了 很急",
    "淋浴房玻璃自己爆了！！人没事 快来",
    "智能马桶盖不加热了，冬天太冷了",
    "阳台窗户关不严 漏风",
    "我想投诉一下上次的师傅态度很差",
    "橱柜吊柜松了快掉下来了",
    "地漏反味，臭死了",
    "九牧花洒不出水",
)


def catalog(aliases: int, rng: random.Random) -> list[CatalogItem]:
    with DEMO.open(encoding="utf-8") as f:
        templates = [(r["name"], r["category"], r["aliases"].split("|")) for r in csv.DictReader(f)]
    items: list[CatalogItem] = []
    count = 0
    while count < aliases:
        name, category, words = templates[len(items) % len(templates)]
        brand, series = rng.choice(BRANDS), rng.choice(SERIES)
        model = f"{brand[:1]}{rng.choice('ABCDEFGHJK')}{rng.randrange(100, 9999)}"
        extra = [f"{brand}{w}" for w in rng.sample(words, min(3, len(words)))] + [f"{series}{words[0]}", model]
        own = tuple(dict.fromkeys([*words, *extra]))[:10]
        items.append(CatalogItem(f"SKU{len(items):05d}", f"{brand}{series}{name}", category, own))
        count += len(own)
    return items


def communities(n: int, rng: random.Random) -> list[str]:
    names = {f"{rng.choice(PLACES)}{rng.choice(SERIES)}{rng.choice(SUFFIXES)}" for _ in range(n * 3)}
    return ["翠湖花园", "滨江壹号", "未来科技城·云栖苑", *sorted(names)[: max(n - 3, 0)]]


def timed(texts: tuple[str, ...], rounds: int, items: object, places: object) -> tuple[list[float], list[Extracted]]:
    cpu: list[float] = []
    found: list[Extracted] = []
    for _ in range(rounds):
        found = []
        for text in texts:
            normalize.cache_clear()   # every message is new to the server: nothing of it is cached yet
            start = time.process_time_ns()
            found.append(extract(text, items, places))  # type: ignore[arg-type]
            cpu.append((time.process_time_ns() - start) / 1e6)
    return cpu, found


def report(label: str, cpu: list[float], baseline: float | None = None) -> float:
    cpu = sorted(cpu)
    p99 = cpu[max(int(len(cpu) * 0.99) - 1, 0)]
    versus = f"; {statistics.median(cpu) / baseline:.3f} of the scan" if baseline else ""
    print(f"{label}, {len(cpu)} messages: CPU p50 {statistics.median(cpu):.3f} ms, p99 {p99:.3f} ms, "
          f"max {cpu[-1]:.3f} ms; p99 / {TARGET_MS:.0f} ms target = {p99 / TARGET_MS:.2f}{versus}")
    return statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aliases", type=int, default=20000)
    parser.add_argument("--communities", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2,000 aliases, 5 rounds")
    args = parser.parse_args()
    if args.quick:
        args.aliases, args.communities, args.rounds = 2000, 200, 5
    rng = random.Random(5)
    items, places = catalog(args.aliases, rng), communities(args.communities, rng)
    start = time.process_time()
    indexed, indexed_places = indexed_catalog(items), indexed_communities(places)
    built = (time.process_time() - start) * 1000
    print(f"catalog: {len(items)} products, {sum(len(i.aliases) for i in items)} aliases, "
          f"{len(places)} communities; index built in {built:.0f} ms CPU (once per catalog version)")
    scan_cpu, scanned = timed(MESSAGES, max(1, args.rounds // 10), items, places)
    index_cpu, found = timed(MESSAGES, args.rounds, indexed, indexed_places)
    assert found == scanned, "the index changed an answer"
    base = report("plain scan (every item scored)", scan_cpu)
    report("indexed catalog", index_cpu, base)


if __name__ == "__main__":
    main()
