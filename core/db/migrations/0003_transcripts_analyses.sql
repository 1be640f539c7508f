CREATE TABLE `dialogue_analyses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dialogue_id` text NOT NULL,
	`transcript_id` integer NOT NULL,
	`pass` integer NOT NULL,
	`method` text NOT NULL,
	`model` text,
	`language` text NOT NULL,
	`upsell_attempted` integer NOT NULL,
	`customer_reaction` text NOT NULL,
	`customer_quote` text,
	`customer_quote_start` integer,
	`customer_quote_end` integer,
	`quality_score` integer NOT NULL,
	`rubric` text NOT NULL,
	`quality_rationale` text NOT NULL,
	`summary` text NOT NULL,
	`worker` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogues`(`dialogue_id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`transcript_id`) REFERENCES `dialogue_transcripts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dialogue_analyses_pass_unique` ON `dialogue_analyses` (`dialogue_id`,`pass`);--> statement-breakpoint
CREATE INDEX `dialogue_analyses_transcript_idx` ON `dialogue_analyses` (`transcript_id`);--> statement-breakpoint
CREATE TABLE `dialogue_transcripts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dialogue_id` text NOT NULL,
	`revision` integer NOT NULL,
	`pass` integer NOT NULL,
	`text` text NOT NULL,
	`segments` text,
	`language` text,
	`model` text NOT NULL,
	`audio_ms` integer NOT NULL,
	`provider_ms` integer NOT NULL,
	`worker` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogues`(`dialogue_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dialogue_transcripts_revision_unique` ON `dialogue_transcripts` (`dialogue_id`,`revision`);--> statement-breakpoint
CREATE UNIQUE INDEX `dialogue_transcripts_pass_unique` ON `dialogue_transcripts` (`dialogue_id`,`pass`);--> statement-breakpoint
CREATE TABLE `upsell_offers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`analysis_id` integer NOT NULL,
	`position` integer NOT NULL,
	`category` text NOT NULL,
	`product` text,
	`quote` text NOT NULL,
	`quote_start` integer NOT NULL,
	`quote_end` integer NOT NULL,
	FOREIGN KEY (`analysis_id`) REFERENCES `dialogue_analyses`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `upsell_offers_position_unique` ON `upsell_offers` (`analysis_id`,`position`);--> statement-breakpoint
CREATE INDEX `upsell_offers_category_idx` ON `upsell_offers` (`category`);--> statement-breakpoint
ALTER TABLE `dialogues` ADD `asr_status` text DEFAULT 'PENDING' NOT NULL;--> statement-breakpoint
ALTER TABLE `dialogues` ADD `asr_pass` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dialogues` ADD `asr_error` text;--> statement-breakpoint
ALTER TABLE `dialogues` ADD `analysis_status` text DEFAULT 'PENDING' NOT NULL;--> statement-breakpoint
ALTER TABLE `dialogues` ADD `analysis_pass` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `dialogues` ADD `analysis_error` text;--> statement-breakpoint
CREATE INDEX `dialogues_asr_idx` ON `dialogues` (`asr_status`,`status`,`end_ts`);