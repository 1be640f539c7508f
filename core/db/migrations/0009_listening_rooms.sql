CREATE TABLE `audio_playback_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`source_kind` text NOT NULL,
	`source_json` text NOT NULL,
	`status` text NOT NULL,
	`position` integer NOT NULL,
	`failure_code` text,
	`failure_message` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `audio_playback_requests_campaign_idx` ON `audio_playback_requests` (`campaign_id`,`status`,`position`);--> statement-breakpoint
CREATE TABLE `connection_playback_states` (
	`connection_id` text NOT NULL,
	`chunk_id` text NOT NULL,
	`request_id` text NOT NULL,
	`delivered_at` integer,
	`played_at` integer,
	PRIMARY KEY(`connection_id`, `chunk_id`)
);
--> statement-breakpoint
CREATE INDEX `connection_playback_states_chunk_idx` ON `connection_playback_states` (`chunk_id`);--> statement-breakpoint
CREATE TABLE `playback_chunks` (
	`id` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`campaign_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`text` text NOT NULL,
	`status` text NOT NULL,
	`start_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`generation_ms` integer NOT NULL,
	`ready_at` integer NOT NULL,
	`played_at` integer
);
--> statement-breakpoint
CREATE INDEX `playback_chunks_request_idx` ON `playback_chunks` (`request_id`,`sequence`);--> statement-breakpoint
CREATE INDEX `playback_chunks_status_idx` ON `playback_chunks` (`status`,`played_at`);--> statement-breakpoint
CREATE TABLE `room_listen_links` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`label` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `room_listen_links_token_hash_unique` ON `room_listen_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `room_listen_links_campaign_idx` ON `room_listen_links` (`campaign_id`);--> statement-breakpoint
CREATE TABLE `websocket_connections` (
	`id` text PRIMARY KEY NOT NULL,
	`campaign_id` text NOT NULL,
	`caller_kind` text NOT NULL,
	`caller` text,
	`opened_at` integer NOT NULL,
	`closed_at` integer
);
--> statement-breakpoint
CREATE INDEX `websocket_connections_campaign_idx` ON `websocket_connections` (`campaign_id`,`opened_at`);