CREATE TABLE `call_sync_outbox` (
	`uniqueid` text PRIMARY KEY NOT NULL,
	`call_date` text,
	`payload` text NOT NULL,
	`fingerprint` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`queued_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_token` text,
	`lease_expires_at` integer,
	`last_error` text,
	CONSTRAINT "call_sync_outbox_state_check" CHECK("call_sync_outbox"."state" IN ('pending', 'dead'))
);
--> statement-breakpoint
CREATE INDEX `call_sync_outbox_state_queued_idx` ON `call_sync_outbox` (`state`,`queued_at`);--> statement-breakpoint
CREATE TABLE `call_sync_seen` (
	`uniqueid` text PRIMARY KEY NOT NULL,
	`call_date` text,
	`fingerprint` text NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_sync_seen_call_date_idx` ON `call_sync_seen` (`call_date`);--> statement-breakpoint
CREATE TABLE `call_sync_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
