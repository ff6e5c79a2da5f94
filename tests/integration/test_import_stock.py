"""`baoxiu import parts | stock | purchases`: every bad line named, nothing half-imported."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.importer import ImportFailed, import_csv
from storage.tables import AssetRow, CustomerRow, PartRow, StockRow
from tests.integration.test_import import (DEMO, count, engine, postgres_engine, session,  # noqa: F401
                                           write_csv)

TODAY = date(2026, 11, 23)
PURCHASE_HEADER = "phone,name,community,building,unit,room,sku,serial,purchase_date,install_date"


@pytest.fixture
def loaded(session: Session) -> Session:
    for kind in ("sites", "products", "technicians"):
        import_csv(session, kind, DEMO / f"{kind}.csv")
    session.commit()
    return session


def test_demo_parts_stock_and_purchases_import_and_reimport_without_duplicates(loaded: Session) -> None:
    for _ in range(2):
        for kind in ("parts", "stock", "purchases"):
            import_csv(loaded, kind, DEMO / f"{kind}.csv", TODAY)
        loaded.commit()
    valve = loaded.get(PartRow, "P-VALVE")
    assert valve is not None and valve.price_cents == 4500 and "FC-K100" in valve.fits
    assert loaded.get(PartRow, "P-PULL").price_cents == 3850  # type: ignore[union-attr]
    van = loaded.get(StockRow, ("P-VALVE", "van:T01"))
    assert van is not None and (van.quantity, van.low_at) == (2, 0)
    assert count(loaded, AssetRow) == 3
    faucet = loaded.scalars(select(AssetRow).where(AssetRow.serial == "SN-FCK100-0001")).one()
    assert faucet.warranty_end == date(2025, 6, 10)  # installed 2020-06-10, 60 months


def test_parts_that_fit_unknown_products_or_have_bad_prices_are_named_by_line(loaded: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("sku,name,price,fits\nP-OK,好零件,10,FC-K100\nP-BAD,坏零件,-5,FC-K100|ZZ-404\nP-OK,重复,1,\n")
    with pytest.raises(ImportFailed) as e:
        import_csv(loaded, "parts", path, TODAY)
    assert e.value.problems == [(3, "fits: no product with SKU 'ZZ-404'"),
                                (3, "price '-5' is not an amount in yuan like 45 or 45.50"),
                                (4, "duplicate sku 'P-OK' (first on line 2)")]
    assert count(loaded, PartRow) == 0


def test_negative_stock_unknown_parts_and_unknown_vans_are_refused(loaded: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(loaded, "parts", DEMO / "parts.csv", TODAY)
    loaded.commit()
    path = write_csv("sku,location,quantity,low_at\nP-VALVE,WH-MAIN,5,1\nP-VALVE,WH-2,-3,1\n"
                     "P-NOPE,WH-MAIN,1,\nP-HOSE,van:T99,1,1\n")
    with pytest.raises(ImportFailed) as e:
        import_csv(loaded, "stock", path, TODAY)
    assert [line for line, _ in e.value.problems] == [3, 4, 5]
    assert "quantity '-3' is not a non-negative integer" in e.value.problems[0][1]
    assert count(loaded, StockRow) == 0


def test_bad_purchases_are_named_by_line_and_no_customer_is_created(loaded: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(loaded, "purchases", DEMO / "purchases.csv", TODAY)
    loaded.commit()
    customers = count(loaded, CustomerRow)
    path = write_csv(f"{PURCHASE_HEADER}\n"
                     "13600136000,新客户,翠湖花园,1,1,101,FC-K100,SN-NEW,2026-01-01,2026-01-05\n"
                     "13600136001,,翠湖花园,1,1,102,ZZ-404,,2026-01-01,\n"
                     "13600136002,,翠湖花园,1,1,103,FC-K100,SN-FCK100-0001,2026-01-01,\n"
                     "1360013600,,翠湖花园,1,1,104,FC-K100,,2026-12-01,\n"
                     "13600136004,,翠湖花园,1,1,105,FC-K100,,2026-02-01,2026-01-01\n")
    with pytest.raises(ImportFailed) as e:
        import_csv(loaded, "purchases", path, TODAY)
    assert e.value.problems == [(3, "sku matches no product in the catalog"),
                                (4, "serial already belongs to another customer"),
                                (5, "phone is not an 11-digit mainland mobile number"),
                                (5, "purchase_date is in the future"),
                                (6, "install_date is before purchase_date")]
    assert "1360013600" not in str(e.value)
    loaded.rollback()
    assert count(loaded, CustomerRow) == customers and count(loaded, AssetRow) == 3
