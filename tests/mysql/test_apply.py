"""Plan -> apply -> re-plan empty against a real MariaDB, for each kind of change the backend handles."""

from __future__ import annotations

from tests.cli.helpers import apply_ok, invoke, replan

from .conftest import run_sql
from .helpers import ALLOW_ALL, EMPTY_PLAN, write_spec

SHOP = """
tables:
  customers:
    comment: "who buys"
    columns:
      id: {type: bigint, identity: by_default, primary_key: true}
      email: {type: varchar(255), unique: true}
      name: {type: varchar(100), nullable: true, comment: "it's the display name"}
      vip: {type: boolean, default: false}
      created_at: {type: datetime(3), default: {sql: CURRENT_TIMESTAMP(3)}}
  orders:
    columns:
      id: {type: int, primary_key: true}
      customer_id: {type: bigint, references: customers(id), on_delete: cascade}
      total: {type: "decimal(10,2)", default: 1.5}
      status: {type: varchar(20), default: "new 'n' \\\\ shiny"}
      note: {type: text, nullable: true}
      data: {type: json, nullable: true}
    indexes:
      - {columns: [status, total]}
      - {name: orders_total_desc, columns: [{column: total, order: desc}]}
"""


def test_create_tables_with_keys_indexes_and_foreign_keys(tmp_path, mysql_url, mysql_conn) -> None:
    spec = write_spec(tmp_path, SHOP)
    code, out = invoke("plan", str(spec), "--url", mysql_url, "--format", "sql")
    assert code == 0, out
    assert "CREATE TABLE `customers`" in out and "ENGINE=InnoDB COMMENT='who buys'" in out
    assert "`id` bigint NOT NULL AUTO_INCREMENT" in out
    assert "COMMENT 'it''s the display name'" in out
    # The index InnoDB would make for the foreign key is planned, named like the key.
    assert "CREATE INDEX `orders_customer_id_fkey` ON `orders` (`customer_id`);" in out
    assert ("ALTER TABLE `orders` ADD CONSTRAINT `orders_customer_id_fkey` FOREIGN KEY (`customer_id`) "
            "REFERENCES `customers` (`id`) ON DELETE CASCADE;") in out
    apply_ok(spec, mysql_url, *ALLOW_ALL)
    assert replan(spec, mysql_url) == EMPTY_PLAN
    rows = run_sql(mysql_conn, "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM "
                               "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' "
                               "ORDER BY ORDINAL_POSITION")
    assert [r[:3] for r in rows] == [("id", "int(11)", "NO"), ("customer_id", "bigint(20)", "NO"),
                                     ("total", "decimal(10,2)", "NO"), ("status", "varchar(20)", "NO"),
                                     ("note", "text", "YES"), ("data", "longtext", "YES")]
    run_sql(mysql_conn, "INSERT INTO customers (email) VALUES ('a@b')",
            "INSERT INTO orders (id, customer_id) VALUES (1, LAST_INSERT_ID())")
    [(status, total)] = run_sql(mysql_conn, "SELECT status, total FROM orders")
    assert (status, str(total)) == ("new 'n' \\ shiny", "1.50")  # quotes and backslashes kept as written
    run_sql(mysql_conn, "DELETE FROM customers")
    assert run_sql(mysql_conn, "SELECT COUNT(*) FROM orders") == [(0,)]  # ON DELETE CASCADE is in place
    # History: the apply is recorded in schemactl_history, which inspection leaves out.
    code, out = invoke("status", str(spec), "--url", mysql_url)
    assert code == 0 and "outcome=applied" in out and "Drift: none." in out, out


def test_add_alter_rename_and_drop_columns(tmp_path, mysql_url, mysql_conn) -> None:
    v1 = write_spec(tmp_path, """
    tables:
      items:
        columns:
          id: {type: int, primary_key: true}
          name: {type: varchar(50)}
          price: {type: int, nullable: true}
          old: {type: text, nullable: true}
    """, "v1.yaml")
    apply_ok(v1, mysql_url, *ALLOW_ALL)
    run_sql(mysql_conn, "INSERT INTO items (id, name, price) VALUES (1, 'x', 3)")
    v2 = write_spec(tmp_path, """
    tables:
      items:
        columns:
          id: {type: int, primary_key: true}
          title: {type: varchar(200), renamed_from: name, comment: now longer}
          price: {type: "decimal(12,3)", default: 0}
          added: {type: boolean, default: true}
    """, "v2.yaml")
    code, out = invoke("plan", str(v2), "--url", mysql_url, "--format", "sql")
    assert code == 0, out
    assert "ALTER TABLE `items` RENAME COLUMN `name` TO `title`;" in out
    assert "ALTER TABLE `items` MODIFY COLUMN `title` varchar(200) NOT NULL COMMENT 'now longer';" in out
    assert "ALTER TABLE `items` MODIFY COLUMN `price` decimal(12,3) NOT NULL DEFAULT 0;" in out
    assert "ALTER TABLE `items` ADD COLUMN `added` tinyint(1) NOT NULL DEFAULT 1;" in out
    assert "ALTER TABLE `items` DROP COLUMN `old`;" in out
    code, out = invoke("plan", str(v2), "--url", mysql_url)
    assert "data_loss" in out and "may_fail_on_data" in out, out
    apply_ok(v2, mysql_url, *ALLOW_ALL)
    assert replan(v2, mysql_url) == EMPTY_PLAN
    assert [tuple(map(str, r)) for r in run_sql(mysql_conn, "SELECT id, title, price, added FROM items")] == \
        [("1", "x", "3.000", "1")]


def test_index_unique_and_foreign_key_changes(tmp_path, mysql_url, mysql_conn) -> None:
    v1 = write_spec(tmp_path, """
    tables:
      parents:
        columns:
          id: {type: int, primary_key: true}
          code: {type: varchar(10)}
      children:
        columns:
          id: {type: int, primary_key: true}
          parent_id: {type: int, nullable: true, references: parents(id)}
          a: {type: int}
          b: {type: int}
        indexes:
          - {name: children_ab, columns: [a, b]}
          - {name: children_b, columns: [b]}
    """, "v1.yaml")
    apply_ok(v1, mysql_url, *ALLOW_ALL)
    assert replan(v1, mysql_url) == EMPTY_PLAN
    v2 = write_spec(tmp_path, """
    tables:
      parents:
        columns:
          id: {type: int, primary_key: true}
          code: {type: varchar(10), unique: true}
      children:
        columns:
          id: {type: int, primary_key: true}
          parent_id: {type: int, nullable: true, references: parents(id), on_delete: set null}
          a: {type: int}
          b: {type: int}
        indexes:
          - {name: children_ab, columns: [b, a]}
          - {name: children_b2, columns: [b], renamed_from: children_b}
          - {name: children_parent, columns: [parent_id, a]}
    """, "v2.yaml")
    code, out = invoke("plan", str(v2), "--url", mysql_url, "--format", "sql")
    assert code == 0, out
    assert "ALTER TABLE `parents` ADD CONSTRAINT `parents_code_key` UNIQUE (`code`);" in out
    assert "ALTER TABLE `children` DROP INDEX `children_ab`, ADD INDEX `children_ab` (`b`, `a`);" in out
    assert "ALTER TABLE `children` RENAME INDEX `children_b` TO `children_b2`;" in out
    assert "ALTER TABLE `children` DROP FOREIGN KEY `children_parent_id_fkey`;" in out
    assert "ON DELETE SET NULL;" in out
    # The index InnoDB made for the key goes once the spec's own index leads with its column, after that one
    # is built (InnoDB refuses to drop the index a foreign key uses).
    assert out.index("CREATE INDEX `children_parent`") < out.index("DROP INDEX `children_parent_id_fkey`")
    apply_ok(v2, mysql_url, *ALLOW_ALL)
    assert replan(v2, mysql_url) == EMPTY_PLAN
    # The foreign key goes, and the spec's own index stays.
    v3 = write_spec(tmp_path, """
    tables:
      parents:
        columns:
          id: {type: int, primary_key: true}
          code: {type: varchar(10)}
      children:
        columns:
          id: {type: int, primary_key: true}
          parent_id: {type: int, nullable: true}
          a: {type: int}
          b: {type: int}
        indexes:
          - {name: children_parent, columns: [parent_id, a]}
    """, "v3.yaml")
    apply_ok(v3, mysql_url, *ALLOW_ALL)
    assert replan(v3, mysql_url) == EMPTY_PLAN
    assert run_sql(mysql_conn, "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
                               "WHERE CONSTRAINT_SCHEMA = DATABASE()") == [(0,)]


def test_drop_and_rename_tables(tmp_path, mysql_url, mysql_conn) -> None:
    v1 = write_spec(tmp_path, """
    tables:
      a:
        columns:
          id: {type: int, primary_key: true}
          b_id: {type: int, nullable: true, references: b(id)}
      b:
        columns:
          id: {type: int, primary_key: true}
          a_id: {type: int, nullable: true, references: a(id)}
      keep:
        columns:
          id: {type: int, primary_key: true}
    """, "v1.yaml")
    apply_ok(v1, mysql_url, *ALLOW_ALL)
    v2 = write_spec(tmp_path, """
    tables:
      kept:
        renamed_from: keep
        columns:
          id: {type: int, primary_key: true}
    """, "v2.yaml")
    apply_ok(v2, mysql_url, *ALLOW_ALL)
    assert replan(v2, mysql_url) == EMPTY_PLAN
    assert run_sql(mysql_conn, "SHOW TABLES") == [("kept",), ("schemactl_history",)]


def test_hostile_names_and_strings_round_trip(tmp_path, mysql_url, mysql_conn) -> None:
    spec = write_spec(tmp_path, """
    tables:
      "we`ird; DROP TABLE x":
        comment: "a ' quote, a \\\\ backslash; and `ticks`"
        columns:
          "id`": {type: int, primary_key: true}
          "select": {type: varchar(30), default: "'); DROP TABLE y; --", comment: "\\\\'"}
        indexes:
          - {name: "ix`1", columns: [select]}
    """)
    apply_ok(spec, mysql_url)
    assert replan(spec, mysql_url) == EMPTY_PLAN
    assert run_sql(mysql_conn, "SHOW TABLES") == [("schemactl_history",), ("we`ird; DROP TABLE x",)]
    rows = run_sql(mysql_conn, "SELECT COLUMN_NAME, COLUMN_DEFAULT, COLUMN_COMMENT FROM information_schema.COLUMNS "
                               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'we%' ORDER BY ORDINAL_POSITION")
    assert rows[1][0] == "select" and rows[1][2] == "\\'"
    code, out = invoke("inspect", "--url", mysql_url)
    assert code == 0 and "'); DROP TABLE y; --" in out, out
