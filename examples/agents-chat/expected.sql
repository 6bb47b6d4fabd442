-- schemactl (version) plan for (an empty PostgreSQL database)
-- Plan: 13 to add, 0 to change, 0 to destroy.
-- Runs as it is: psql -v ON_ERROR_STOP=1 -f plan.sql (as apply does, without its lock and history record)

SET standard_conforming_strings = on;

BEGIN;

-- + table public.accounts
CREATE TABLE "public"."accounts" (
    "id" uuid NOT NULL,
    "name" character varying(255) NOT NULL,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- + table public.users
CREATE TABLE "public"."users" (
    "id" uuid NOT NULL,
    "email" character varying(255) NOT NULL,
    "name" character varying(255),
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_email_key" UNIQUE ("email")
);

-- + table public.agents
CREATE TABLE "public"."agents" (
    "id" uuid NOT NULL,
    "name" character varying(255) NOT NULL,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- + table public.chats
CREATE TABLE "public"."chats" (
    "id" uuid NOT NULL,
    "title" character varying(255) NOT NULL DEFAULT 'New Chat',
    "agent_id" uuid NOT NULL,
    "user_id" uuid NOT NULL,
    "account_id" uuid NOT NULL,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),
    "updated_at" timestamp with time zone NOT NULL DEFAULT now(),

    CONSTRAINT "chats_pkey" PRIMARY KEY ("id")
);

-- + table public.chat_messages
CREATE TABLE "public"."chat_messages" (
    "id" uuid NOT NULL,
    "chat_id" uuid NOT NULL,
    "role" character varying(20) NOT NULL,
    "content" text NOT NULL,
    "action" character varying(50),
    "dax_attempts" text,
    "final_dax" text,
    "resolution_note" text,
    "error" text,
    "created_at" timestamp with time zone NOT NULL DEFAULT now(),

    CONSTRAINT "chat_messages_pkey" PRIMARY KEY ("id")
);

-- + index public.chats.ix_chats_agent_id
CREATE INDEX "ix_chats_agent_id" ON "public"."chats" ("agent_id");

-- + index public.chats.ix_chats_user_id
CREATE INDEX "ix_chats_user_id" ON "public"."chats" ("user_id");

-- + index public.chats.ix_chats_account_id
CREATE INDEX "ix_chats_account_id" ON "public"."chats" ("account_id");

-- + index public.chat_messages.ix_chat_messages_chat_id
CREATE INDEX "ix_chat_messages_chat_id" ON "public"."chat_messages" ("chat_id");

-- + foreign_key public.chats.chats_agent_id_fkey
ALTER TABLE "public"."chats" ADD CONSTRAINT "chats_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE CASCADE;

-- + foreign_key public.chats.chats_user_id_fkey
ALTER TABLE "public"."chats" ADD CONSTRAINT "chats_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE CASCADE;

-- + foreign_key public.chats.chats_account_id_fkey
ALTER TABLE "public"."chats" ADD CONSTRAINT "chats_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE CASCADE;

-- + foreign_key public.chat_messages.chat_messages_chat_id_fkey
ALTER TABLE "public"."chat_messages" ADD CONSTRAINT "chat_messages_chat_id_fkey" FOREIGN KEY ("chat_id") REFERENCES "public"."chats"("id") ON DELETE CASCADE;

COMMIT;
