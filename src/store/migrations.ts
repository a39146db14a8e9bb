// Each entry moves the schema one version up (PRAGMA user_version). Never edit a shipped entry:
// add a new one, so an old database file upgrades in place.
export const migrations: string[] = [
  // v1: events (imported traffic, gateway decisions, score events share one table) and imports.
  `
  CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'request',
    timestamp TEXT NOT NULL,
    timestamp_inferred INTEGER NOT NULL DEFAULT 0,
    source_id TEXT,
    source_format TEXT,
    source_file TEXT,
    source_locator TEXT,
    dataset TEXT,
    import_id INTEGER REFERENCES imports(id),
    trace_id TEXT, session_id TEXT, user_id_hash TEXT, app TEXT, route TEXT, environment TEXT,
    provider TEXT, api TEXT, model TEXT, response_model TEXT,
    traffic_role TEXT, mirror_group_id TEXT, primary_event_id TEXT, shadow_event_id TEXT,
    decision TEXT, policy_id TEXT, decision_reason TEXT,
    status TEXT NOT NULL, http_status INTEGER, error_type TEXT, error_code TEXT, error_message TEXT,
    stream INTEGER, finish_reason TEXT, finish_reason_raw TEXT,
    latency_ms REAL, ttft_ms REAL,
    input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER, cache_write_tokens INTEGER,
    reasoning_tokens INTEGER, total_tokens INTEGER,
    cost_usd REAL, cost_source TEXT,
    comparison_metric TEXT, comparison_score REAL, comparison_verdict TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    request_hash TEXT,
    replayable INTEGER NOT NULL DEFAULT 0,
    request_json TEXT,
    response_json TEXT,
    response_text TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX events_timestamp ON events(timestamp);
  CREATE INDEX events_model ON events(model, timestamp);
  CREATE INDEX events_dataset ON events(dataset, timestamp);
  CREATE INDEX events_request_hash ON events(request_hash);

  CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    file TEXT NOT NULL,
    format TEXT NOT NULL,
    dataset TEXT,
    imported INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    not_replayable INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0
  );
  `,
  // v2: replay runs. A run fixes its request set (run_items) up front so a resume sends exactly
  // what is missing; the results primary key makes a second result for one arm impossible.
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    name TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    primary_json TEXT NOT NULL,
    candidate_json TEXT NOT NULL,
    options_json TEXT NOT NULL,
    config_json TEXT,
    total INTEGER NOT NULL
  );
  CREATE TABLE run_items (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL REFERENCES events(event_id),
    aa INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seq)
  );
  CREATE UNIQUE INDEX run_items_event ON run_items(run_id, event_id);
  CREATE TABLE results (
    run_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    target_id TEXT,
    api TEXT,
    model TEXT,
    response_model TEXT,
    status TEXT NOT NULL,
    http_status INTEGER,
    error_type TEXT,
    error_code TEXT,
    error_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    latency_ms REAL,
    ttft_ms REAL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cached_input_tokens INTEGER,
    reasoning_tokens INTEGER,
    total_tokens INTEGER,
    cost_usd REAL,
    finish_reason TEXT,
    finish_reason_raw TEXT,
    response_text TEXT,
    tool_calls_json TEXT,
    response_json TEXT,
    translation_losses_json TEXT NOT NULL DEFAULT '[]',
    simulated INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id, arm),
    FOREIGN KEY (run_id, event_id) REFERENCES run_items(run_id, event_id) ON DELETE CASCADE
  );
  `,
  // v3: scores per (request, arm) and similarity per request, written by the scoring pass.
  `
  CREATE TABLE scores (
    run_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    arm TEXT NOT NULL,
    relevance REAL,
    coherence REAL,
    completeness REAL,
    overall REAL,
    pass INTEGER,
    flags_json TEXT NOT NULL DEFAULT '{}',
    details_json TEXT NOT NULL DEFAULT '{}',
    on_fail_json TEXT NOT NULL DEFAULT '[]',
    judge_json TEXT,
    scorer TEXT NOT NULL,
    PRIMARY KEY (run_id, event_id, arm),
    FOREIGN KEY (run_id, event_id, arm) REFERENCES results(run_id, event_id, arm) ON DELETE CASCADE
  );
  CREATE TABLE pairs (
    run_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    dice REAL,
    rouge_l REAL,
    jaccard REAL,
    noise_dice REAL,
    noise_rouge_l REAL,
    noise_jaccard REAL,
    PRIMARY KEY (run_id, event_id),
    FOREIGN KEY (run_id, event_id) REFERENCES run_items(run_id, event_id) ON DELETE CASCADE
  );
  `,
  // v4: the quality policy a run was scored with, so a changed policy re-scores instead of reporting stale scores.
  `
  ALTER TABLE runs ADD COLUMN scored_policy TEXT;
  `,
  // v5: scores are not traffic. Quality-scorer verdicts were also stored as events (kind 'score'); they are now
  // derived from the scores table when a listing asks for them (store/events.ts SCORE_EVENTS).
  `
  DELETE FROM events WHERE kind = 'score';
  `,
  // v6: long writers let others in. An import commits in batches: its events stay invisible until its imports row
  // says 'done' (a failed or killed import's rows are deleted, never shown). A replay run is leased by one process
  // at a time, renewed while it runs and taken over only when stale.
  `
  ALTER TABLE imports ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
  ALTER TABLE imports ADD COLUMN owner TEXT;
  CREATE INDEX imports_loading ON imports(status) WHERE status <> 'done';
  CREATE INDEX events_import ON events(import_id);
  ALTER TABLE runs ADD COLUMN lease_owner TEXT;
  ALTER TABLE runs ADD COLUMN lease_until TEXT;
  `,
  // v7: every attempt of a result (latency and status of each call, retries and timeouts included) and the
  // timeout it ran under, so latency percentiles count a timed-out call as at least its timeout (docs/scoring-and-gates.md §4.1).
  `
  ALTER TABLE results ADD COLUMN attempts_json TEXT;
  ALTER TABLE results ADD COLUMN timeout_ms REAL;
  `,
  // v8: what the gateway decided for each request it served: the target and model group that answered, every policy
  // that acted (JSON array) and the mirrored comparison ({primary, shadow, comparison}, JSON) — shown top-level by listings.
  `
  ALTER TABLE events ADD COLUMN target_id TEXT;
  ALTER TABLE events ADD COLUMN model_group TEXT;
  ALTER TABLE events ADD COLUMN policies_triggered_json TEXT;
  ALTER TABLE events ADD COLUMN traffic_mirror_json TEXT;
  `,
  // v9: replays through the providers' Batch APIs. A run's batches are stored as they are made: a row while one is
  // being created (with its uploaded input file), its provider id the moment the provider returns it, so a killed kt
  // loses none. batch_items says which request and arm each batch holds (custom_id r<seq>-<arm>), the model it was
  // sent to and what translation lost; a request sent again in a later batch moves there. A result answered
  // through a batch names it (results.batch_id): its latency is not measured.
  `
  CREATE TABLE run_batches (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    part INTEGER NOT NULL,
    arm TEXT NOT NULL,
    target_id TEXT NOT NULL,
    wire TEXT NOT NULL,
    batch_id TEXT,
    input_file_id TEXT,
    state TEXT NOT NULL,
    requests INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    output_file_id TEXT,
    error_file_id TEXT,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    collected_at TEXT,
    PRIMARY KEY (run_id, part)
  );
  CREATE TABLE batch_items (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    arm TEXT NOT NULL,
    part INTEGER NOT NULL,
    model TEXT,
    losses_json TEXT,
    PRIMARY KEY (run_id, seq, arm),
    FOREIGN KEY (run_id, part) REFERENCES run_batches(run_id, part) ON DELETE CASCADE
  );
  CREATE INDEX batch_items_part ON batch_items(run_id, part);
  ALTER TABLE results ADD COLUMN batch_id TEXT;
  `,
]
