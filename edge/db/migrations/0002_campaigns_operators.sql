CREATE TABLE `campaign_audio_files` (
	`import_id` integer NOT NULL,
	`path` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`duration_ms` integer,
	PRIMARY KEY(`import_id`, `path`),
	FOREIGN KEY (`import_id`) REFERENCES `campaign_imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `campaign_imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`state` text NOT NULL,
	`phase` text NOT NULL,
	`source` text NOT NULL,
	`file_name` text NOT NULL,
	`operator` text,
	`package_bytes` integer,
	`package_sha256` text,
	`campaign_id` text,
	`campaign_name` text,
	`lead_count` integer,
	`audio_count` integer,
	`audio_bytes` integer,
	`default_audio` text,
	`progress` text DEFAULT '{}' NOT NULL,
	`report` text,
	`error_code` text,
	`error_message` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`activated_at` integer,
	`retired_at` integer,
	`lease_owner` text,
	`lease_expires_at` integer,
	CONSTRAINT "campaign_imports_state_check" CHECK("campaign_imports"."state" IN ('running', 'active', 'previous', 'retired', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_imports_one_running` ON `campaign_imports` (`state`) WHERE "campaign_imports"."state" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_imports_one_active` ON `campaign_imports` (`state`) WHERE "campaign_imports"."state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_imports_one_previous` ON `campaign_imports` (`state`) WHERE "campaign_imports"."state" = 'previous';--> statement-breakpoint
CREATE INDEX `campaign_imports_started_idx` ON `campaign_imports` (`started_at`);--> statement-breakpoint
CREATE TABLE `campaign_leads` (
	`import_id` integer NOT NULL,
	`row_number` integer NOT NULL,
	`lead_id` integer NOT NULL,
	`vendor_lead_code` text DEFAULT '' NOT NULL,
	`phone_number` text NOT NULL,
	`fields` text NOT NULL,
	`audio` text NOT NULL,
	PRIMARY KEY(`import_id`, `row_number`),
	FOREIGN KEY (`import_id`) REFERENCES `campaign_imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_leads_lead_id_unique` ON `campaign_leads` (`import_id`,`lead_id`);--> statement-breakpoint
CREATE TABLE `operator_sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`operator_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`operator_id`) REFERENCES `operators`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `operator_sessions_expires_idx` ON `operator_sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `operators` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `operators_username_unique` ON `operators` (`username`);