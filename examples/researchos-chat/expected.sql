-- schemactl (version) plan for (an empty PostgreSQL database)
-- Plan: 10 to add, 0 to change, 0 to destroy.
-- Runs as it is: psql -v ON_ERROR_STOP=1 -f plan.sql (as apply does, without its lock and history record)

SET standard_conforming_strings = on;

BEGIN;

-- + enum public.MessageRole
CREATE TYPE "public"."MessageRole" AS ENUM ('USER', 'ASSISTANT', 'SYSTEM');

-- + table public.searches
CREATE TABLE "public"."searches" (
    "id" text NOT NULL,
    "query" text NOT NULL,
    "filters" jsonb,
    "created_at" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" timestamp(3) without time zone NOT NULL,

    CONSTRAINT "searches_pkey" PRIMARY KEY ("id")
);
COMMENT ON TABLE "public"."searches" IS 'Paper searches; each can have one chat session';

-- + table public.chat_sessions
CREATE TABLE "public"."chat_sessions" (
    "id" text NOT NULL,
    "search_id" text NOT NULL,
    "title" text NOT NULL,
    "description" text,
    "paper_ids" text[],
    "paper_count" integer NOT NULL DEFAULT 0,
    "total_messages" integer NOT NULL DEFAULT 0,
    "last_message_at" timestamp(3) without time zone,
    "created_at" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" timestamp(3) without time zone NOT NULL,

    CONSTRAINT "chat_sessions_pkey" PRIMARY KEY ("id")
);

-- + table public.chat_messages
CREATE TABLE "public"."chat_messages" (
    "id" text NOT NULL,
    "session_id" text NOT NULL,
    "role" public."MessageRole" NOT NULL,
    "content" text NOT NULL,
    "context_papers" text[],
    "relevance_scores" jsonb,
    "prompt_tokens" integer,
    "completion_tokens" integer,
    "total_tokens" integer,
    "metadata" jsonb,
    "created_at" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chat_messages_pkey" PRIMARY KEY ("id")
);

-- + index public.chat_sessions.chat_sessions_search_id_key
CREATE UNIQUE INDEX "chat_sessions_search_id_key" ON "public"."chat_sessions" ("search_id");

-- + index public.chat_sessions.chat_sessions_search_id_idx
CREATE INDEX "chat_sessions_search_id_idx" ON "public"."chat_sessions" ("search_id");

-- + index public.chat_messages.chat_messages_session_id_idx
CREATE INDEX "chat_messages_session_id_idx" ON "public"."chat_messages" ("session_id");

-- + index public.chat_messages.chat_messages_created_at_idx
CREATE INDEX "chat_messages_created_at_idx" ON "public"."chat_messages" ("created_at");

-- + foreign_key public.chat_sessions.chat_sessions_search_id_fkey
ALTER TABLE "public"."chat_sessions" ADD CONSTRAINT "chat_sessions_search_id_fkey" FOREIGN KEY ("search_id") REFERENCES "public"."searches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- + foreign_key public.chat_messages.chat_messages_session_id_fkey
ALTER TABLE "public"."chat_messages" ADD CONSTRAINT "chat_messages_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "public"."chat_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

COMMIT;
