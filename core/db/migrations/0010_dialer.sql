CREATE TABLE `dialer_agents` (
	`campaign_id` text NOT NULL,
	`identity` text NOT NULL,
	`state` text NOT NULL,
	`call_id` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`campaign_id`, `identity`)
);
--> statement-breakpoint
CREATE TABLE `dialer_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`position` integer NOT NULL,
	`phone_number` text NOT NULL,
	`caller_id` text NOT NULL,
	`call_sid` text,
	`state` text NOT NULL,
	`twilio_status` text,
	`status_sequence` integer DEFAULT -1 NOT NULL,
	`answered_at` integer,
	`queued_at` integer,
	`answered_by` text,
	`verdict_source` text,
	`verdict_at` integer,
	`agent_identity` text,
	`bridged_at` integer,
	`ended_at` integer,
	`duration_seconds` integer,
	`reason` text,
	`disposition` text,
	`place_attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dialer_calls_call_sid_unique` ON `dialer_calls` (`call_sid`);--> statement-breakpoint
CREATE INDEX `dialer_calls_campaign_state_idx` ON `dialer_calls` (`campaign_id`,`state`);--> statement-breakpoint
CREATE UNIQUE INDEX `dialer_calls_campaign_position_unique` ON `dialer_calls` (`campaign_id`,`position`);--> statement-breakpoint
CREATE TABLE `dialer_campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`studio_campaign_id` text,
	`tenant_id` text,
	`state` text DEFAULT 'ready' NOT NULL,
	`lines_per_agent` integer NOT NULL,
	`machine_policy` text NOT NULL,
	`unknown_policy` text NOT NULL,
	`wait_limit_seconds` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dialer_leads` (
	`campaign_id` text NOT NULL,
	`position` integer NOT NULL,
	`phone_number` text NOT NULL,
	`name` text,
	`lead_id` integer,
	`state` text DEFAULT 'pending' NOT NULL,
	PRIMARY KEY(`campaign_id`, `position`)
);
--> statement-breakpoint
CREATE INDEX `dialer_leads_campaign_state_idx` ON `dialer_leads` (`campaign_id`,`state`,`position`);