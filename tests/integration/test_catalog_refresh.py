"""The catalog and communities each worker holds in memory follow an import or an edit made by another worker."""
from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import Desk, bootstrap
from handlers.catalog_cache import community_names
from handlers.dialog_words import read
from storage.importer import import_csv
from storage.tables import ProductRow
from tests.conftest import FakeClock


@pytest.fixture
def other_worker(desk: Desk, clock: FakeClock) -> Iterator[Desk]:
    """A second process on the same database: its own engine, pool and in-memory catalog."""
    worker = bootstrap(copy.deepcopy(desk.settings), clock=clock)
    yield worker
    worker.close()


def _read(desk: Desk, text: str) -> tuple[list[str], str | None]:
    with desk.uow() as uow:
        found = read(uow, text)
    return [p.sku for p in found.products], found.community


def test_an_import_on_one_worker_is_understood_by_the_other_on_its_next_message(
        desk: Desk, other_worker: Desk, tmp_path: Path) -> None:
    text = "碧水源净水机漏水了 云杉雅苑3栋2单元501"
    assert _read(desk, text) == ([], None)   # the catalog is now held in this worker's memory
    (tmp_path / "products.csv").write_text("sku,name,category,aliases,skill,warranty_months\n"
                                           "WP-R500,碧水源净水机,净水器,净水机|碧水源,plumbing,24\n", encoding="utf-8")
    (tmp_path / "sites.csv").write_text("community,region,address\n云杉雅苑,余杭区,浙江省杭州市余杭区文一西路1号\n",
                                        encoding="utf-8")
    with other_worker.uow() as uow:
        import_csv(uow.session, "products", tmp_path / "products.csv")
        import_csv(uow.session, "sites", tmp_path / "sites.csv")
        uow.commit()
    assert _read(desk, text) == (["WP-R500"], "云杉雅苑")


def test_an_edited_alias_is_read_by_every_worker(desk: Desk, other_worker: Desk) -> None:
    assert _read(desk, "小厨宝不热了")[0] == []
    assert _read(other_worker, "小厨宝不热了")[0] == []
    with other_worker.uow() as uow:   # as the REST API and the CLI edit a product: through the ORM
        row = uow.session.scalars(select(ProductRow).order_by(ProductRow.sku)).first()
        assert row is not None
        row.aliases = [*row.aliases, "小厨宝"]
        sku = row.sku
        uow.commit()
    assert _read(desk, "小厨宝不热了")[0][:1] == [sku]
    assert _read(other_worker, "小厨宝不热了")[0][:1] == [sku]


def test_the_communities_a_dialog_names_follow_an_import_on_another_worker(
        desk: Desk, other_worker: Desk, tmp_path: Path) -> None:
    with desk.uow() as uow:
        assert "云杉雅苑" not in community_names(uow)   # held in this worker's memory from here on
    (tmp_path / "sites.csv").write_text("community,region,address\n云杉雅苑,余杭区,浙江省杭州市余杭区文一西路1号\n",
                                        encoding="utf-8")
    with other_worker.uow() as uow:
        import_csv(uow.session, "sites", tmp_path / "sites.csv")
        uow.commit()
    with desk.uow() as uow:
        assert "云杉雅苑" in community_names(uow)


def test_a_product_added_in_a_transaction_is_read_later_in_that_transaction(desk: Desk) -> None:
    text = "碧水源净水机漏水了"
    with desk.uow() as uow:
        assert not read(uow, text).products
        uow.session.add(ProductRow(sku="WP-R500", name="碧水源净水机", category="净水器", aliases=["净水机"],
                                   skill="plumbing", warranty_months=24))
        uow.session.flush()
        assert [p.sku for p in read(uow, text).products] == ["WP-R500"]
