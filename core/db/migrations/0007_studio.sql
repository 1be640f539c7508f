CREATE TABLE `studio_campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`language` text NOT NULL,
	`voice` text,
	`script_json` text DEFAULT '{}' NOT NULL,
	`rephrase` integer DEFAULT false NOT NULL,
	`columns_json` text DEFAULT '[]' NOT NULL,
	`state` text DEFAULT 'draft' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `studio_leads` (
	`campaign_id` text NOT NULL,
	`lead_id` integer NOT NULL,
	`row_number` integer NOT NULL,
	`phone_number` text NOT NULL,
	`vendor_lead_code` text NOT NULL,
	`fields_json` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`failure` text,
	PRIMARY KEY(`campaign_id`, `lead_id`),
	FOREIGN KEY (`campaign_id`) REFERENCES `studio_campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `studio_leads_campaign_state_idx` ON `studio_leads` (`campaign_id`,`state`);--> statement-breakpoint
CREATE TABLE `studio_lines` (
	`campaign_id` text NOT NULL,
	`lead_id` integer NOT NULL,
	`slot` text NOT NULL,
	`text` text NOT NULL,
	`source` text NOT NULL,
	`clip_key` text,
	`status` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`campaign_id`, `lead_id`, `slot`)
);
