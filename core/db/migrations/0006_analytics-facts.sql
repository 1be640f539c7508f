CREATE TABLE `analytics_daily` (
	`local_day` integer NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`dialogues` integer NOT NULL,
	`upsell_attempts` integer NOT NULL,
	`accepted` integer NOT NULL,
	`quality_sum` integer NOT NULL,
	`quality_0` integer NOT NULL,
	`quality_1` integer NOT NULL,
	`quality_2` integer NOT NULL,
	`quality_3` integer NOT NULL,
	`quality_4` integer NOT NULL,
	`quality_5` integer NOT NULL,
	`quality_6` integer NOT NULL,
	`quality_7` integer NOT NULL,
	`quality_8` integer NOT NULL,
	`quality_9` integer NOT NULL,
	`quality_10` integer NOT NULL,
	PRIMARY KEY(`local_day`, `point_id`, `register_id`)
);
--> statement-breakpoint
CREATE TABLE `analytics_daily_categories` (
	`local_day` integer NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`category` text NOT NULL,
	`offers` integer NOT NULL,
	`accepted` integer NOT NULL,
	PRIMARY KEY(`local_day`, `point_id`, `register_id`, `category`)
);
--> statement-breakpoint
CREATE TABLE `analytics_hourly` (
	`local_day` integer NOT NULL,
	`local_hour` integer NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`dialogues` integer NOT NULL,
	`upsell_attempts` integer NOT NULL,
	`quality_sum` integer NOT NULL,
	PRIMARY KEY(`local_day`, `local_hour`, `point_id`, `register_id`)
);
--> statement-breakpoint
CREATE TABLE `analytics_monthly_hourly` (
	`local_month` integer NOT NULL,
	`local_hour` integer NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`dialogues` integer NOT NULL,
	`upsell_attempts` integer NOT NULL,
	`quality_sum` integer NOT NULL,
	PRIMARY KEY(`local_month`, `local_hour`, `point_id`, `register_id`)
);
--> statement-breakpoint
CREATE TABLE `analytics_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`timezone` text NOT NULL,
	`last_analysis_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dialogue_fact_categories` (
	`dialogue_id` text NOT NULL,
	`category` text NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`local_day` integer NOT NULL,
	`accepted` integer NOT NULL,
	PRIMARY KEY(`dialogue_id`, `category`),
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogue_facts`(`dialogue_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `dialogue_fact_categories_day_idx` ON `dialogue_fact_categories` (`local_day`);--> statement-breakpoint
CREATE TABLE `dialogue_facts` (
	`dialogue_id` text PRIMARY KEY NOT NULL,
	`analysis_id` integer NOT NULL,
	`transcript_id` integer NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`start_ts` integer NOT NULL,
	`local_day` integer NOT NULL,
	`local_hour` integer NOT NULL,
	`upsell_attempted` integer NOT NULL,
	`accepted` integer NOT NULL,
	`quality_score` integer NOT NULL,
	`customer_reaction` text NOT NULL,
	`categories` text NOT NULL,
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogues`(`dialogue_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `dialogue_facts_time_idx` ON `dialogue_facts` (`start_ts`,`dialogue_id`);--> statement-breakpoint
CREATE INDEX `dialogue_facts_point_time_idx` ON `dialogue_facts` (`point_id`,`start_ts`,`dialogue_id`);--> statement-breakpoint
CREATE INDEX `dialogue_facts_register_time_idx` ON `dialogue_facts` (`register_id`,`start_ts`,`dialogue_id`);--> statement-breakpoint
CREATE INDEX `dialogue_facts_quality_idx` ON `dialogue_facts` (`quality_score`,`start_ts`,`dialogue_id`);--> statement-breakpoint
CREATE INDEX `dialogue_facts_day_idx` ON `dialogue_facts` (`local_day`);--> statement-breakpoint
CREATE INDEX `dialogue_facts_analysis_idx` ON `dialogue_facts` (`analysis_id`);