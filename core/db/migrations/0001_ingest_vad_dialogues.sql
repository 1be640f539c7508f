CREATE TABLE `audio_chunks` (
	`chunk_id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`codec` text NOT NULL,
	`sample_rate` integer NOT NULL,
	`channels` integer NOT NULL,
	`byte_size` integer NOT NULL,
	`sha256` text NOT NULL,
	`stored_path` text NOT NULL,
	`received_at` integer NOT NULL,
	`vad_status` text DEFAULT 'pending' NOT NULL,
	`vad_at` integer,
	`audio_ms` integer,
	`speech_ms` integer,
	`vad_error` text,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`device_id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "audio_chunks_vad_status_check" CHECK("audio_chunks"."vad_status" IN ('pending', 'done', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audio_chunks_device_start_unique` ON `audio_chunks` (`device_id`,`start_ts`);--> statement-breakpoint
CREATE UNIQUE INDEX `audio_chunks_stored_path_unique` ON `audio_chunks` (`stored_path`);--> statement-breakpoint
CREATE INDEX `audio_chunks_stream_idx` ON `audio_chunks` (`point_id`,`register_id`,`start_ts`);--> statement-breakpoint
CREATE TABLE `devices` (
	`device_id` text PRIMARY KEY NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`token_rotated_at` integer NOT NULL,
	`disabled_at` integer,
	`last_upload_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_token_hash_unique` ON `devices` (`token_hash`);--> statement-breakpoint
CREATE INDEX `devices_point_idx` ON `devices` (`point_id`,`register_id`);--> statement-breakpoint
CREATE TABLE `dialogue_segments` (
	`speech_segment_id` integer PRIMARY KEY NOT NULL,
	`dialogue_id` text NOT NULL,
	`chunk_id` text NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`offset_start_ms` integer NOT NULL,
	`offset_end_ms` integer NOT NULL,
	FOREIGN KEY (`speech_segment_id`) REFERENCES `speech_segments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dialogue_id`) REFERENCES `dialogues`(`dialogue_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `dialogue_segments_dialogue_idx` ON `dialogue_segments` (`dialogue_id`,`start_ts`);--> statement-breakpoint
CREATE TABLE `dialogues` (
	`dialogue_id` text PRIMARY KEY NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`segment_count` integer NOT NULL,
	`speech_ms` integer NOT NULL,
	`status` text NOT NULL,
	`close_reason` text,
	`revision` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`closed_at` integer,
	CONSTRAINT "dialogues_status_check" CHECK("dialogues"."status" IN ('open', 'closed'))
);
--> statement-breakpoint
CREATE INDEX `dialogues_stream_idx` ON `dialogues` (`point_id`,`register_id`,`start_ts`);--> statement-breakpoint
CREATE INDEX `dialogues_status_idx` ON `dialogues` (`status`,`end_ts`);--> statement-breakpoint
CREATE TABLE `speech_segments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chunk_id` text NOT NULL,
	`point_id` text NOT NULL,
	`register_id` text NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`offset_start_ms` integer NOT NULL,
	`offset_end_ms` integer NOT NULL,
	FOREIGN KEY (`chunk_id`) REFERENCES `audio_chunks`(`chunk_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `speech_segments_chunk_offset_unique` ON `speech_segments` (`chunk_id`,`offset_start_ms`);--> statement-breakpoint
CREATE INDEX `speech_segments_stream_idx` ON `speech_segments` (`point_id`,`register_id`,`start_ts`);