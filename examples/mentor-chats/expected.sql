-- schemactl (version) plan for (an empty PostgreSQL database)
-- Plan: 8 to add, 0 to change, 0 to destroy.
-- Runs as it is: psql -v ON_ERROR_STOP=1 -f plan.sql (as apply does, without its lock and history record)

SET standard_conforming_strings = on;

BEGIN;

-- + table public.users
CREATE TABLE "public"."users" (
    "id" text NOT NULL,
    "email" text NOT NULL,
    "name" text,
    "createdAt" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) without time zone NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- + table public.mentors
CREATE TABLE "public"."mentors" (
    "id" text NOT NULL,
    "name" text NOT NULL,
    "createdAt" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) without time zone NOT NULL,

    CONSTRAINT "mentors_pkey" PRIMARY KEY ("id")
);

-- + table public.chats
CREATE TABLE "public"."chats" (
    "id" text NOT NULL,
    "userId" text NOT NULL,
    "mentorId" text,
    "title" text,
    "isActive" boolean NOT NULL DEFAULT true,
    "createdAt" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) without time zone NOT NULL,
    "metadata" jsonb,

    CONSTRAINT "chats_pkey" PRIMARY KEY ("id")
);

-- + table public.messages
CREATE TABLE "public"."messages" (
    "id" text NOT NULL,
    "chatId" text,
    "role" text NOT NULL,
    "content" text NOT NULL,
    "prompt" text,
    "model" text,
    "tokens" integer,
    "metadata" jsonb,
    "createdAt" timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "taskId" text,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- + index public.users.users_email_key
CREATE UNIQUE INDEX "users_email_key" ON "public"."users" ("email");

-- + foreign_key public.chats.chats_userId_fkey
ALTER TABLE "public"."chats" ADD CONSTRAINT "chats_userId_fkey" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- + foreign_key public.chats.chats_mentorId_fkey
ALTER TABLE "public"."chats" ADD CONSTRAINT "chats_mentorId_fkey" FOREIGN KEY ("mentorId") REFERENCES "public"."mentors"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- + foreign_key public.messages.messages_chatId_fkey
ALTER TABLE "public"."messages" ADD CONSTRAINT "messages_chatId_fkey" FOREIGN KEY ("chatId") REFERENCES "public"."chats"("id") ON DELETE SET NULL ON UPDATE CASCADE;

COMMIT;
