"""`baoxiu customer export|erase PHONE`: what we hold about an owner, and removing it on request
while the tickets' figures stay."""
from __future__ import annotations

import json

from tests.e2e.test_cli import NUMBER, PHONE, Baoxiu, _no_baoxiu_environment, baoxiu, repaired, site  # noqa: F401

RATED = f"""\
@owner:{PHONE} 厨房水龙头漏水了，翠湖花园3栋2单元501，我姓钱
@owner:{PHONE} 确认
@technician:T01 接单
@technician:T01 到达
@technician:T01 完工 更换阀芯
@owner:{PHONE} 修好了
@owner:{PHONE} 4 师傅很专业，电话{PHONE}
"""


def walked(baoxiu: Baoxiu) -> str:
    baoxiu("demo")
    out = baoxiu("chat", "--script", str(baoxiu.script(RATED))).output
    return NUMBER.findall(out)[0]


def test_export_prints_everything_held_about_the_owner_as_json(baoxiu: Baoxiu) -> None:
    number = walked(baoxiu)
    held = json.loads(baoxiu("customer", "export", PHONE).output)
    assert held["customer"]["phone"] == PHONE
    [ticket] = held["tickets"]
    assert ticket["number"] == number and "水龙头" in ticket["description"]
    assert ticket["site"] == "翠湖花园3栋2单元501室" and ticket["rating"] == 4 and "专业" in ticket["rating_comment"]
    assert [h["action"] for h in ticket["history"]][:1] == ["open"]
    assert held["messages_to_them"] and all(PHONE not in m["text"] for m in held["messages_to_them"])
    assert baoxiu("customer", "export", "13999999999", ok=False).exit_code != 0


def test_erase_removes_what_names_or_locates_the_owner_and_keeps_the_figures(baoxiu: Baoxiu) -> None:
    number = walked(baoxiu)
    before = json.loads(baoxiu("ticket", "show", number, "--json").output)
    assert "水龙头漏水" in json.dumps(before, ensure_ascii=False) and "501" in json.dumps(before, ensure_ascii=False)
    result = baoxiu("customer", "erase", PHONE, "--yes")
    assert "tickets 1" in result.output
    assert baoxiu("customer", "export", PHONE, ok=False).exit_code != 0     # nobody by that phone now
    after = json.loads(baoxiu("ticket", "show", number, "--json").output)
    for kept in ("number", "state", "type", "rating", "created_at", "closed_at", "charge_cents"):
        assert after.get(kept) == before.get(kept), kept
    text = json.dumps(after, ensure_ascii=False)
    assert "水龙头漏水" not in text and "501" not in text and "专业" not in text and PHONE not in text
    assert "翠湖花园" in text                                               # the community stays for figures
    again = baoxiu("chat", "--script", str(baoxiu.script(f"@owner:{PHONE} 进度\n", "after.txt"))).output
    assert number not in again                                             # the phone is a stranger now
