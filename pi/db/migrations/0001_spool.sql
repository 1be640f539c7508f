CREATE TABLE `chunks` (
	`id` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`sha256` text NOT NULL,
	`bytes` integer NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`audio_ms` integer NOT NULL,
	`mean_volume_db` real,
	`max_volume_db` real,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`server_failures` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`uploaded_at` integer,
	`stored_path` text,
	`discarded_at` integer,
	`discard_reason` text,
	CONSTRAINT "chunks_state_check" CHECK("chunks"."state" IN ('pending', 'uploaded', 'rejected', 'discarded'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chunks_path_unique` ON `chunks` (`path`);--> statement-breakpoint
CREATE INDEX `chunks_state_start_idx` ON `chunks` (`state`,`start_ts`);--> statement-breakpoint
CREATE TABLE `recorder_counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
