"""What `inspect` writes reads back to the same values (issue: inspect must round-trip)."""

from __future__ import annotations

import yaml

from tests.cli.helpers import invoke


def test_references_and_date_like_texts_stay_as_they_are(pg_url, pg_conn, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", "/root")
    pg_conn.execute("""
        CREATE TYPE mood AS ENUM ('${HOME}', 'ok');
        CREATE TABLE t (
            id int PRIMARY KEY,
            note text DEFAULT '${HOME} and $${X}',
            day text DEFAULT '0001-01-01',
            at text DEFAULT '12:00',
            flag text DEFAULT 'yes',
            m mood DEFAULT '${HOME}');
        COMMENT ON TABLE t IS 'costs ${AMOUNT:-0}';
    """)
    spec = tmp_path / "inspected.yaml"
    code, out = invoke("inspect", "--url", pg_url, "-o", str(spec))
    assert code == 0, out
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "No changes" in out, out
    # Applied to an empty database, it writes the same texts, not the environment's values.
    pg_conn.execute("DROP TABLE t; DROP TYPE mood")
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 0, out
    assert pg_conn.execute("SELECT obj_description('t'::regclass, 'pg_class')").fetchone() == ("costs ${AMOUNT:-0}",)
    assert pg_conn.execute("SELECT enum_range(NULL::mood)::text[]").fetchone() == (["${HOME}", "ok"],)
    pg_conn.execute("INSERT INTO t (id) VALUES (1)")
    assert pg_conn.execute("SELECT note, day, at, flag, m::text FROM t").fetchone() == (
        "${HOME} and $${X}", "0001-01-01", "12:00", "yes", "${HOME}")


def test_a_spec_escapes_a_reference_with_two_dollars(tmp_path, monkeypatch) -> None:
    from reconciler.spec.loader import load_spec

    monkeypatch.setenv("NAME", "value")
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\ndialect: postgres\ntables:\n  t:\n    comment: '${NAME} $${NAME} $$${NAME}'\n"
                    "    columns: {id: {type: integer}}\n")
    assert load_spec(path).data["tables"]["t"]["comment"] == "value ${NAME} $${NAME}"
    assert yaml.safe_load(path.read_text())["tables"]["t"]["comment"].startswith("${NAME}")


def test_not_valid_constraints_keep_their_state(pg_url, pg_conn, tmp_path) -> None:
    """A CHECK or FOREIGN KEY left NOT VALID on rows that violate it round-trips; the plan never validates it."""
    pg_conn.execute("""
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE t (id int PRIMARY KEY, n int, parent_id int);
        INSERT INTO t VALUES (1, -5, 42);
        ALTER TABLE t ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;
        ALTER TABLE t ADD CONSTRAINT t_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
    """)
    spec = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(spec))[0] == 0
    table = yaml.safe_load(spec.read_text())["tables"]["t"]
    assert table["checks"]["n_positive"] == {"expression": "n > 0", "not_valid": True}
    assert table["foreign_keys"][0]["not_valid"] is True
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "No changes" in out, out
    # Added to a table with violating rows by a spec that says not_valid: no scan, no hazard, applied.
    pg_conn.execute("ALTER TABLE t DROP CONSTRAINT n_positive, DROP CONSTRAINT t_parent_fk")
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 0 and "NOT VALID" in out and "VALIDATE" not in out and "hazard" not in out, out
    assert invoke("plan", str(spec), "--url", pg_url)[1].count("No changes") == 1


def test_every_type_format_type_prints_round_trips(pg_url, pg_conn, tmp_path) -> None:
    types = ['"char"', "interval day to second", "interval year to month", "interval minute to second(3)",
             "bit varying(5)", "time with time zone", "integer[][]", "timestamp(3) with time zone", "char(4)"]
    pg_conn.execute("CREATE TABLE t (" + ", ".join(f"c{i} {t}" for i, t in enumerate(types)) + ")")
    spec = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(spec))[0] == 0
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "No changes" in out, out
    before = pg_conn.execute("SELECT array_agg(format_type(atttypid, atttypmod) ORDER BY attnum) FROM pg_attribute "
                             "WHERE attrelid = 't'::regclass AND attnum > 0").fetchone()
    pg_conn.execute("DROP TABLE t")
    code, out = invoke("apply", str(spec), "--url", pg_url, "--auto-approve")
    assert code == 0, out
    assert pg_conn.execute("SELECT array_agg(format_type(atttypid, atttypmod) ORDER BY attnum) FROM pg_attribute "
                           "WHERE attrelid = 't'::regclass AND attnum > 0").fetchone() == before


def test_a_collation_on_an_index_expression_round_trips(pg_url, pg_conn, tmp_path) -> None:
    pg_conn.execute('CREATE TABLE t (id int PRIMARY KEY, name text);'
                    'CREATE INDEX t_lower_idx ON t ((lower(name)) COLLATE "C");'
                    'CREATE INDEX t_upper_idx ON t ((upper(name)))')
    spec = tmp_path / "inspected.yaml"
    assert invoke("inspect", "--url", pg_url, "-o", str(spec))[0] == 0
    indexes = [ix["columns"] for ix in yaml.safe_load(spec.read_text())["tables"]["t"]["indexes"]]
    assert indexes == [[{"expression": "lower(name)", "collation": "C"}], [{"expression": "upper(name)"}]]
    code, out = invoke("plan", str(spec), "--url", pg_url)
    assert code == 0 and "No changes" in out, out
    pg_conn.execute("DROP TABLE t")
    assert invoke("apply", str(spec), "--url", pg_url, "--auto-approve")[0] == 0
    assert 'COLLATE "C"' in pg_conn.execute("SELECT pg_get_indexdef('t_lower_idx'::regclass)").fetchone()[0]
    assert "No changes" in invoke("plan", str(spec), "--url", pg_url)[1]
