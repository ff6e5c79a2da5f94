"""CSV import of master data, run against every available database.

PostgreSQL runs when BAOXIU_TEST_DATABASE_URL is set (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test). If it is set but the server
does not answer, the tests fail rather than skip, so a broken CI service cannot
pass silently. The PostgreSQL tables live in a schema private to this module, so
other test modules sharing the database are neither disturbed nor disturbing.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, upgrade
from storage.identities import SqlIdentities
from storage.importer import KINDS, ImportFailed, import_csv
from storage.tables import Base, CommunityRow, ProductRow, StaffRow, TechnicianRow

DATABASE_URL_ENV = "BAOXIU_TEST_DATABASE_URL"
DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo"
TECH_HEADER = "id,name,phone,skills,regions,capacity,wecom_userid,dingtalk_userid"
STAFF_HEADER = "id,name,role,wecom_userid,dingtalk_userid"
ROW_TYPES = {"technicians": TechnicianRow, "staff": StaffRow, "products": ProductRow, "sites": CommunityRow}


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_engine() -> Iterator[Engine]:
    url = os.environ[DATABASE_URL_ENV]
    schema = f"baoxiu_import_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except OperationalError:
        admin.dispose()
        # Host and port only: the url may carry a password.
        where = make_url(url)
        pytest.fail(f"{DATABASE_URL_ENV} is set but PostgreSQL at {where.host}:{where.port} does not answer")
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(scoped.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _postgres_param() -> object:
    return pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not os.environ.get(DATABASE_URL_ENV), reason=f"{DATABASE_URL_ENV} not set"),
    )


@pytest.fixture(params=["sqlite", _postgres_param()])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/t.db")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("postgres_engine")
    _recreate_schema(engine)
    yield engine
    Base.metadata.drop_all(engine)


def _recreate_schema(engine: Engine) -> None:
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        # drop_all does not know Alembic's table; left behind, upgrade would do nothing
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(body: str, *, name: str = "in.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(body.encode(encoding))
        return path

    return write


# --- helpers ----------------------------------------------------------------------


def count(session: Session, row_type: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(row_type)) or 0


def platform_ids(session: Session, role: str, person_id: str) -> tuple[list[str], list[str]]:
    """The person's WeCom and DingTalk user ids, as delivery and sender lookup read them."""
    ids = SqlIdentities(session)
    return ids.platform_ids("wecom", role, person_id), ids.platform_ids("dingtalk", role, person_id)


def demo_rows(kind: str) -> int:
    lines = (DEMO / f"{kind}.csv").read_text(encoding="utf-8-sig").splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def problems_of(excinfo: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int, str]]:
    return excinfo.value.problems


# --- demo files -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_demo_file_imports_every_row(session: Session, kind: str) -> None:
    imported = import_csv(session, kind, DEMO / f"{kind}.csv")
    session.commit()

    assert imported == demo_rows(kind) > 0
    assert count(session, ROW_TYPES[kind]) == imported


def test_demo_technicians_read_back_with_lists_and_duty_flags(session: Session) -> None:
    import_csv(session, "technicians", DEMO / "technicians.csv")
    session.commit()
    session.expunge_all()

    t01 = session.get(TechnicianRow, "T01")
    t10 = session.get(TechnicianRow, "T10")
    assert t01 is not None and t10 is not None
    assert (t01.name, t01.phone, t01.capacity) == ("王建国", "13900000101", 5)
    assert t01.skills == ["plumbing", "electrical"]
    assert t10.regions == ["西湖区", "滨江区"]
    assert platform_ids(session, "technician", "T01") == (["wangjianguo"], ["053612207728"])
    assert t01.on_duty is True and t01.active is True


def test_demo_staff_read_back_with_their_roles(session: Session) -> None:
    import_csv(session, "staff", DEMO / "staff.csv")
    session.commit()

    roles = dict(session.execute(select(StaffRow.id, StaffRow.role)).all())
    assert roles == {"D01": "dispatcher", "D02": "dispatcher", "M01": "manager", "A01": "admin"}


def test_demo_products_read_back_with_aliases_and_warranty(session: Session) -> None:
    import_csv(session, "products", DEMO / "products.csv")
    session.commit()
    session.expunge_all()

    product = session.get(ProductRow, "TL-Z100")
    assert product is not None
    assert (product.category, product.skill, product.warranty_months) == ("智能马桶", "electrical", 36)
    assert "智能马桶" in product.aliases and "自动马桶" in product.aliases


def test_demo_sites_become_communities_keyed_by_name(session: Session) -> None:
    import_csv(session, "sites", DEMO / "sites.csv")
    session.commit()

    community = session.get(CommunityRow, "滨江壹号")
    assert community is not None
    assert (community.region, community.address) == ("滨江区", "浙江省杭州市滨江区江南大道1099号")


# --- upserts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_reimporting_a_demo_file_updates_instead_of_duplicating(session: Session, kind: str) -> None:
    import_csv(session, kind, DEMO / f"{kind}.csv")
    session.commit()
    again = import_csv(session, kind, DEMO / f"{kind}.csv")
    session.commit()

    assert again == demo_rows(kind)
    assert count(session, ROW_TYPES[kind]) == demo_rows(kind)


def test_reimporting_changes_the_file_columns_but_keeps_duty_state(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(session, "technicians", DEMO / "technicians.csv")
    session.commit()
    t01 = session.get(TechnicianRow, "T01")
    assert t01 is not None
    t01.on_duty = False
    session.commit()

    path = write_csv(f"{TECH_HEADER}\nT01,王建国,13900000199,lock,滨江区,7,wjg,\nT99,新师傅,,plumbing,,,,\n")
    assert import_csv(session, "technicians", path) == 2
    session.commit()
    session.expunge_all()

    t01 = session.get(TechnicianRow, "T01")
    t99 = session.get(TechnicianRow, "T99")
    assert t01 is not None and t99 is not None
    assert (t01.phone, t01.skills, t01.regions, t01.capacity) == ("13900000199", ["lock"], ["滨江区"], 7)
    assert platform_ids(session, "technician", "T01") == (["wjg"], [])
    assert t01.on_duty is False, "an import must not put an off-duty technician back on duty"
    assert t99.on_duty is True and t99.active is True
    assert (t99.capacity, t99.phone, t99.regions) == (4, "", [])
    assert count(session, TechnicianRow) == demo_rows("technicians") + 1


def test_the_import_is_left_for_the_caller_to_commit_or_roll_back(session: Session) -> None:
    import_csv(session, "products", DEMO / "products.csv")
    session.rollback()

    assert count(session, ProductRow) == 0


# --- refusals ---------------------------------------------------------------------


def test_a_broken_row_among_good_ones_names_its_line_and_writes_nothing(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        f"{TECH_HEADER}\n"
        "T01,王建国,13900000101,plumbing,西湖区,5,,\n"
        "T02,李强,13900000102,carpentry,西湖区,abc,,\n"
        "T03,张伟,13900000103,lock,西湖区,4,,\n"
    )
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "technicians", path)
    session.commit()

    assert problems_of(excinfo) == [(3, "capacity 'abc' is not a positive integer")]
    assert str(excinfo.value) == "line 3: capacity 'abc' is not a positive integer"
    assert count(session, TechnicianRow) == 0


def test_every_problem_in_the_file_is_reported_at_once_in_line_order(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        f"{TECH_HEADER}\n"
        ",,13900000101, | ,西湖区,0,,\n"
        "T02,李强,13900000102,carpentry,西湖区\n"
        "T03,张伟,13900000103,lock,西湖区,4,,\n"
    )
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "technicians", path)

    assert problems_of(excinfo) == [
        (2, "id is empty"),
        (2, "name is empty"),
        (2, "skills is empty"),
        (2, "capacity '0' is not a positive integer"),
        (3, "expected 8 fields, found 5"),
    ]
    assert str(excinfo.value).splitlines()[-1] == "line 3: expected 8 fields, found 5"


def test_a_header_missing_a_column_names_it(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("id,name,phone,skills,regions,wecom_userid,dingtalk_userid\nT01,王,,plumbing,,,\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "technicians", path)

    assert problems_of(excinfo) == [(1, "header is missing column(s): capacity")]


def test_a_header_with_an_unknown_column_names_it(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"{STAFF_HEADER},email\nD01,陈静,dispatcher,,,a@b.c\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "staff", path)

    assert problems_of(excinfo) == [(1, "header has unexpected column(s): email")]


def test_header_columns_may_come_in_any_order(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("name,id,dingtalk_userid,wecom_userid,role\n陈静,D01,ding,wecom,manager\n")
    import_csv(session, "staff", path)

    staff = session.get(StaffRow, "D01")
    assert staff is not None
    assert (staff.name, staff.role) == ("陈静", "manager")
    assert platform_ids(session, "manager", "D01") == (["wecom"], ["ding"])


def test_duplicate_ids_in_one_file_are_refused_naming_both_lines(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"{STAFF_HEADER}\nD01,陈静,dispatcher,,\nD02,林晓燕,dispatcher,,\nD01,郑国华,manager,,\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "staff", path)

    assert problems_of(excinfo) == [(4, "duplicate id 'D01' (first on line 2)")]
    assert count(session, StaffRow) == 0


def test_duplicate_skus_in_one_file_are_refused(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "sku,name,category,aliases,skill,warranty_months\nA1,甲,c,,plumbing,12\nB2,乙,c,,plumbing,0\nA1,丙,c,,plumbing,-1\n"
    )
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "products", path)

    assert problems_of(excinfo) == [
        (4, "warranty_months '-1' is not a non-negative integer"),
        (4, "duplicate sku 'A1' (first on line 2)"),
    ]


def test_line_numbers_are_file_lines_even_when_a_quoted_value_spans_two(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv('community,region,address\n翠湖花园,西湖区,"文三路\n268号"\n,滨江区,江南大道\n')
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "sites", path)

    assert problems_of(excinfo) == [(4, "community is empty")]


def test_an_over_long_value_is_refused_before_the_database_sees_it(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"community,region,address\n{'园' * 65},西湖区,\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "sites", path)

    assert problems_of(excinfo) == [(2, "community is longer than 64 characters")]


def test_an_empty_file_is_refused_for_want_of_a_header(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "products", write_csv(""))

    assert problems_of(excinfo) == [(1, "file is empty; a header row is required")]


def test_a_missing_file_is_reported_on_line_zero(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "sites", tmp_path / "nope.csv")

    [(line, message)] = problems_of(excinfo)
    assert line == 0 and message.startswith("file not found:") and "nope.csv" in message


def test_an_unknown_kind_is_a_programming_error(session: Session) -> None:
    with pytest.raises(ValueError, match="customers"):
        import_csv(session, "customers", DEMO / "sites.csv")


def test_a_file_saved_in_gbk_is_refused_naming_the_first_bad_line(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("community,region,address\nA,B,C\n翠湖花园,西湖区,文三路\n", encoding="gbk")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "sites", path)

    assert [line for line, _ in problems_of(excinfo)] == [3]


# --- tolerated input ----------------------------------------------------------------


def test_a_utf8_bom_as_excel_writes_it_is_tolerated(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("community,region,address\r\n翠湖花园,西湖区,文三路268号\r\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    assert import_csv(session, "sites", path) == 1
    community = session.get(CommunityRow, "翠湖花园")
    assert community is not None and community.region == "西湖区"


def test_values_are_stripped_and_blank_lines_skipped(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"{TECH_HEADER}\n T01 , 王建国 , 139-0000-0101 , plumbing | electrical |, 西湖区 , 5 ,,\n\n")
    assert import_csv(session, "technicians", path) == 1

    tech = session.get(TechnicianRow, "T01")
    assert tech is not None
    assert (tech.name, tech.phone, tech.skills, tech.capacity) == ("王建国", "13900000101", ["plumbing", "electrical"], 5)


def test_chinese_role_names_map_to_staff_roles(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        f"{STAFF_HEADER}\nS1,甲,派单员,,\nS2,乙,客服,,\nS3,丙,主管,,\nS4,丁,经理,,\nS5,戊,管理员,,\nS6,己,Manager,,\n"
    )
    assert import_csv(session, "staff", path) == 6
    session.commit()

    roles = dict(session.execute(select(StaffRow.id, StaffRow.role)).all())
    assert roles == {"S1": "dispatcher", "S2": "dispatcher", "S3": "manager",
                     "S4": "manager", "S5": "admin", "S6": "manager"}


def test_an_unknown_role_is_refused(session: Session, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"{STAFF_HEADER}\nS1,甲,技师,,\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "staff", path)

    [(line, message)] = problems_of(excinfo)
    assert line == 2 and message.startswith("role '技师' is not one of")


# --- privacy ------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12900000101", "1390000010", "139000001011", "1390000O101"])
def test_a_bad_phone_is_reported_masked_never_in_full(session: Session, write_csv, phone: str) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(f"{TECH_HEADER}\nT01,王建国,{phone},plumbing,,4,,\n")
    with pytest.raises(ImportFailed) as excinfo:
        import_csv(session, "technicians", path)

    [(line, message)] = problems_of(excinfo)
    assert line == 2
    assert message == f"phone {phone[:3]}****{phone[-4:]} is not an 11-digit mainland mobile number"
    assert phone not in str(excinfo.value)
