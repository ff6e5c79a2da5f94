"""Technicians by skill and by region, kept in step by triggers, so dispatch finds who may take a job by
index instead of matching text in every technician's JSON lists; each skill row also carries why its
technician cannot take a job now (0: they can), so who was left out is counted from the index

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Why a technician cannot take a job, first reason first: 1 inactive, 2 off duty, 3 no room; 0 they can.
# The same codes as storage/dispatch_query.py UNAVAILABLE (a migration keeps its own copy: it is frozen).
_WHY = ("CASE WHEN NOT {t}.active THEN 1 WHEN NOT {t}.on_duty THEN 2"
        " WHEN {t}.open_jobs >= {t}.capacity THEN 3 ELSE 0 END")

_SQLITE_FILL = """
    INSERT INTO technician_skills (technician_id, skill, unavailable)
        SELECT NEW.id, value, {why} FROM (SELECT value FROM json_each(NEW.skills) UNION SELECT '');
    INSERT INTO technician_regions (technician_id, region) SELECT DISTINCT NEW.id, value FROM json_each(NEW.regions);
""".format(why=_WHY.format(t="NEW"))

_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER technicians_index_insert AFTER INSERT ON technicians BEGIN {_SQLITE_FILL} END",
    "CREATE TRIGGER technicians_index_lists AFTER UPDATE OF skills, regions ON technicians BEGIN"
    " DELETE FROM technician_skills WHERE technician_id IN (OLD.id, NEW.id);"
    f" DELETE FROM technician_regions WHERE technician_id IN (OLD.id, NEW.id); {_SQLITE_FILL} END",
    "CREATE TRIGGER technicians_index_availability AFTER UPDATE OF active, on_duty, open_jobs, capacity"
    f" ON technicians WHEN ({_WHY.format(t='OLD')}) <> ({_WHY.format(t='NEW')}) BEGIN"
    f" UPDATE technician_skills SET unavailable = {_WHY.format(t='NEW')} WHERE technician_id = NEW.id; END",
)

# OR REPLACE: functions outlive the table (dropping it drops only its triggers).
_POSTGRES_FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION technicians_index_lists() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM technician_skills WHERE technician_id IN (OLD.id, NEW.id);
            DELETE FROM technician_regions WHERE technician_id IN (OLD.id, NEW.id);
        END IF;
        INSERT INTO technician_skills (technician_id, skill, unavailable)
            SELECT NEW.id, s, {_WHY.format(t='NEW')}
            FROM (SELECT json_array_elements_text(NEW.skills) UNION SELECT '') AS k(s);
        INSERT INTO technician_regions (technician_id, region)
            SELECT DISTINCT NEW.id, r FROM json_array_elements_text(NEW.regions) AS r;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION technicians_index_availability() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE technician_skills SET unavailable = {_WHY.format(t='NEW')} WHERE technician_id = NEW.id;
        RETURN NULL;
    END $$""",
)

_POSTGRES_TRIGGERS = (
    "CREATE TRIGGER technicians_index_insert AFTER INSERT ON technicians"
    " FOR EACH ROW EXECUTE FUNCTION technicians_index_lists()",
    "CREATE TRIGGER technicians_index_lists AFTER UPDATE OF skills, regions ON technicians"
    " FOR EACH ROW EXECUTE FUNCTION technicians_index_lists()",
    "CREATE TRIGGER technicians_index_availability AFTER UPDATE OF active, on_duty, open_jobs, capacity"
    f" ON technicians FOR EACH ROW WHEN (({_WHY.format(t='OLD')}) <> ({_WHY.format(t='NEW')}))"
    " EXECUTE FUNCTION technicians_index_availability()",
)

_BACKFILL = {
    "sqlite": (
        "INSERT INTO technician_skills (technician_id, skill, unavailable)"
        f" SELECT DISTINCT t.id, j.value, {_WHY.format(t='t')} FROM technicians AS t, json_each(t.skills) AS j"
        f" UNION SELECT t.id, '', {_WHY.format(t='t')} FROM technicians AS t",
        "INSERT INTO technician_regions (technician_id, region)"
        " SELECT DISTINCT t.id, j.value FROM technicians AS t, json_each(t.regions) AS j",
    ),
    "postgresql": (
        "INSERT INTO technician_skills (technician_id, skill, unavailable)"
        f" SELECT DISTINCT t.id, s, {_WHY.format(t='t')} FROM technicians AS t, json_array_elements_text(t.skills) AS s"
        f" UNION SELECT t.id, '', {_WHY.format(t='t')} FROM technicians AS t",
        "INSERT INTO technician_regions (technician_id, region)"
        " SELECT DISTINCT t.id, r FROM technicians AS t, json_array_elements_text(t.regions) AS r",
    ),
}

_TRIGGER_NAMES = ("technicians_index_insert", "technicians_index_lists", "technicians_index_availability")


def upgrade() -> None:
    op.create_table('technician_skills',
    sa.Column('technician_id', sa.String(length=32), nullable=False),
    sa.Column('skill', sa.String(), nullable=False),
    sa.Column('unavailable', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], onupdate='CASCADE', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id', 'skill'),
    sqlite_with_rowid=False
    )
    op.create_index('ix_technician_skills_skill', 'technician_skills', ['skill', 'unavailable', 'technician_id'],
                    unique=False)
    op.create_table('technician_regions',
    sa.Column('technician_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], onupdate='CASCADE', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id', 'region'),
    sqlite_with_rowid=False
    )
    op.create_index('ix_technician_regions_region', 'technician_regions', ['region', 'technician_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in _BACKFILL[dialect]:
        op.execute(statement)
    for statement in _POSTGRES_FUNCTIONS + _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON technicians" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS technicians_index_lists()")
        op.execute("DROP FUNCTION IF EXISTS technicians_index_availability()")
    op.drop_index('ix_technician_regions_region', table_name='technician_regions')
    op.drop_table('technician_regions')
    op.drop_index('ix_technician_skills_skill', table_name='technician_skills')
    op.drop_table('technician_skills')
