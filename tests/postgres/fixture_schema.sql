CREATE EXTENSION citext;
CREATE SCHEMA audit;
CREATE TYPE "MessageRole" AS ENUM ('USER', 'ASSISTANT', 'SYSTEM');
CREATE TYPE audit.level AS ENUM ('low', 'high');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE DOMAIN audit.tag AS varchar(20) NOT NULL DEFAULT 'none' CONSTRAINT tag_lower CHECK (VALUE = lower(VALUE));
COMMENT ON DOMAIN audit.tag IS 'a label';
COMMENT ON TYPE "MessageRole" IS 'who wrote it';
CREATE TABLE "User" (
    id integer GENERATED ALWAYS AS IDENTITY,
    email citext NOT NULL,
    name varchar(100),
    nick character(3),
    role "MessageRole" NOT NULL DEFAULT 'USER',
    roles "MessageRole"[],
    tags text[] NOT NULL DEFAULT '{}',
    matrix integer[][],
    score numeric(10,2) DEFAULT 0,
    ratio double precision,
    small smallint DEFAULT -1,
    big bigint,
    flag boolean NOT NULL DEFAULT false,
    data jsonb DEFAULT '{}'::jsonb,
    raw bytea,
    uid uuid DEFAULT gen_random_uuid(),
    born date,
    created_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz DEFAULT now(),
    wake time,
    span interval,
    ip inet,
    doc tsvector,
    "Mixed Case" text COLLATE "C",
    CONSTRAINT "User_pkey" PRIMARY KEY (id),
    CONSTRAINT "User_email_key" UNIQUE (email),
    CONSTRAINT score_positive CHECK (score >= 0)
);
COMMENT ON TABLE "User" IS 'people';
COMMENT ON COLUMN "User".email IS 'login';
CREATE TABLE "order" (
    id bigserial PRIMARY KEY,
    user_id integer REFERENCES "User"(id) ON DELETE CASCADE ON UPDATE CASCADE,
    parent_id bigint,
    code text NOT NULL,
    status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid')),
    note text,
    CONSTRAINT order_parent_fkey FOREIGN KEY (parent_id) REFERENCES "order"(id) ON DELETE SET NULL
        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT order_code_status_key UNIQUE (code, status) DEFERRABLE
);
CREATE INDEX order_code_live_idx ON "order" (code) WHERE note IS NULL;
CREATE INDEX order_lower_idx ON "order" (lower(code));
CREATE INDEX order_desc_idx ON "order" (user_id DESC NULLS LAST, id) INCLUDE (note);
CREATE UNIQUE INDEX order_note_key ON "order" (note text_pattern_ops);
CREATE INDEX "User_tags_idx" ON "User" USING gin (tags);
CREATE TABLE audit.events (
    id serial PRIMARY KEY,
    level audit.level NOT NULL,
    weight positive_int,
    tags audit.tag[],
    at timestamptz NOT NULL DEFAULT now()
);
-- Objects that must never be reported.
CREATE VIEW user_names AS SELECT name FROM "User";
CREATE MATERIALIZED VIEW order_codes AS SELECT code FROM "order";
CREATE SEQUENCE loose_seq;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER order_touch BEFORE UPDATE ON "order" FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TYPE composite_thing AS (a int, b text);
CREATE TABLE unmanaged_schema_table (id int);
ALTER TABLE unmanaged_schema_table SET SCHEMA audit;
CREATE SCHEMA other;
CREATE TABLE other.ignored (id int);
