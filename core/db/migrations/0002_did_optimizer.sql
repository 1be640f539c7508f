CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`key_prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `area_codes` (
	`area_code` text PRIMARY KEY NOT NULL,
	`state` text,
	`latitude` real NOT NULL,
	`longitude` real NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `call_result_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`call_result_id` integer NOT NULL,
	`uniqueid` text NOT NULL,
	`revision` integer NOT NULL,
	`changed_at` integer NOT NULL,
	`changes` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_result_changes_tenant_uniqueid_idx` ON `call_result_changes` (`tenant_id`,`uniqueid`);--> statement-breakpoint
CREATE TABLE `call_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`uniqueid` text NOT NULL,
	`lead_id` text,
	`list_id` text,
	`campaign_id` text,
	`phone_number` text,
	`phone_code` text,
	`disposition` text,
	`duration` integer,
	`agent_id` text,
	`user_group` text,
	`term_reason` text,
	`comments` text,
	`alt_dial` text,
	`called_count` integer,
	`call_date` text,
	`start_epoch` integer,
	`end_epoch` integer,
	`result` text NOT NULL,
	`call_hour` integer,
	`phone_key` text,
	`content_hash` text NOT NULL,
	`selection_id` integer,
	`did_id` text,
	`did_number` text,
	`revision` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "call_results_result_check" CHECK("result" IN ('answered', 'machine', 'no_answer', 'busy', 'disconnected', 'dropped', 'dnc', 'failed', 'in_progress', 'completed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_results_tenant_uniqueid_unique` ON `call_results` (`tenant_id`,`uniqueid`);--> statement-breakpoint
CREATE INDEX `call_results_tenant_start_idx` ON `call_results` (`tenant_id`,`start_epoch`);--> statement-breakpoint
CREATE INDEX `call_results_tenant_did_start_idx` ON `call_results` (`tenant_id`,`did_id`,`start_epoch`);--> statement-breakpoint
CREATE TABLE `did_selections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` text NOT NULL,
	`did_id` text NOT NULL,
	`did_number` text NOT NULL,
	`campaign_id` text,
	`customer_phone_key` text,
	`lead_id` text,
	`uniqueid` text,
	`agent_id` text,
	`method` text NOT NULL,
	`selected_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `did_selections_tenant_uniqueid_idx` ON `did_selections` (`tenant_id`,`uniqueid`);--> statement-breakpoint
CREATE INDEX `did_selections_tenant_phone_idx` ON `did_selections` (`tenant_id`,`customer_phone_key`,`selected_at`);--> statement-breakpoint
CREATE INDEX `did_selections_tenant_did_idx` ON `did_selections` (`tenant_id`,`did_id`,`selected_at`);--> statement-breakpoint
CREATE TABLE `dids` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`phone_number` text NOT NULL,
	`area_code` text,
	`state` text,
	`latitude` real,
	`longitude` real,
	`campaign_id` text,
	`daily_limit` integer,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dids_tenant_phone_unique` ON `dids` (`tenant_id`,`phone_number`);--> statement-breakpoint
CREATE INDEX `dids_tenant_campaign_idx` ON `dids` (`tenant_id`,`campaign_id`);--> statement-breakpoint
CREATE TABLE `disposition_overrides` (
	`tenant_id` text NOT NULL,
	`status` text NOT NULL,
	`result` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `status`),
	CONSTRAINT "disposition_overrides_result_check" CHECK("result" IN ('answered', 'machine', 'no_answer', 'busy', 'disconnected', 'dropped', 'dnc', 'failed', 'in_progress', 'completed'))
);
--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_name_unique` ON `tenants` (`name`);