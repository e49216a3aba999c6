// Wire shapes of the gateway's REST and WebSocket API (snake_case JSON), as far as the page reads them.

export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];
export type EventKind = 'status' | 'progress' | 'chunk' | 'result' | 'error';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  lm_calls?: number;
  lm_calls_replayed?: number;
}

export interface TaskError {
  code: string;
  message: string;
  retryable?: boolean;
}

export interface Progress {
  fraction?: number;
  message?: string;
  phase?: string;
  step?: number;
  total?: number;
  current_score?: number | null;
  best_score?: number | null;
}

export interface TaskView {
  id: string;
  kind: string;
  status: TaskStatus;
  program?: Record<string, unknown> | null;
  result?: { outputs?: Record<string, unknown> | null; model?: string | null } | null;
  usage?: Usage | null;
  error?: TaskError | null;
  progress?: Progress | null;
  attempt?: number;
  trace_id?: string | null;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  cancel_requested_at?: string | null;
  last_seq?: number;
}

export interface TaskPage {
  items: TaskView[];
  next_cursor: string | null;
}

/** One event of a task, as the WebSocket pushes it. */
export interface EventFrame {
  type: 'event';
  task_id: string;
  seq: number;
  event: EventKind;
  data: Record<string, unknown>;
  occurred_at?: string;
}

export interface ServerErrorFrame {
  type: 'error';
  request_id?: string;
  task_id?: string;
  code: string;
  message: string;
  retry_after?: number;
  violations?: { field: string; message: string }[];
}

export type ServerFrame =
  | EventFrame
  | ServerErrorFrame
  | { type: 'accepted'; request_id: string; task_id: string }
  | { type: 'cancel_requested'; request_id?: string; task_id: string }
  | { type: 'pong'; request_id?: string }
  | { type: 'heartbeat' };

export interface ParameterInfo {
  name: string;
  type: string;
  description?: string;
  default_value?: unknown;
  minimum?: number;
  maximum?: number;
  allowed_values?: string[];
}

export interface FieldSpec {
  name: string;
  type?: string;
  description?: string;
  enum_values?: string[];
}

export interface Catalog {
  modules: { name: string; description?: string; options?: ParameterInfo[]; added_outputs?: string[] }[];
  optimizers: { name: string; description?: string; parameters?: ParameterInfo[]; available?: boolean }[];
  metrics: { name: string; description?: string; uses_lm?: boolean }[];
  programs: {
    name: string;
    description?: string;
    module?: string;
    inputs?: FieldSpec[];
    outputs?: FieldSpec[];
    default_metric?: string;
    example_trainset?: Record<string, unknown>[];
    example_devset?: Record<string, unknown>[];
  }[];
  models: { name: string; is_default?: boolean; local?: boolean }[];
  limits?: { max_trainset?: number; max_devset?: number };
}

/** One of GET /api/v1/programs: registered in the DSPy service, or created by the tenant's optimizations. */
export interface ProgramEntry {
  name: string;
  source?: 'registered' | 'tenant' | string;
  description?: string;
  module?: string;
  inputs?: FieldSpec[];
  program?: {
    ad_hoc?: { signature?: string; module?: string; structured_signature?: { inputs?: FieldSpec[] } | null } | null;
  } | null;
  latest_version?: number;
  promoted_version?: number;
}

export interface ProgramVersions {
  name: string;
  latest_version?: number;
  promoted_version?: number;
  versions: {
    version: number;
    promoted?: boolean;
    implicit?: boolean;
    created_at?: string | null;
    /** For a version an optimization created: optimizer, metric, score_before, score_after, demos_count... */
    metadata?: { optimizer?: string; metric?: string; score_before?: number; score_after?: number } | null;
  }[];
}

export interface QueueStats {
  queue: string;
  available: number;
  scheduled: number;
  executing: number;
  retryable: number;
  oldest_available_age_ms: number | null;
  concurrency_limit: number;
  in_flight_here: number;
}

export interface AdminJob {
  task_id: string;
  tenant_id: string;
  kind: string;
  queue: string;
  state: string;
  priority: number;
  attempt: number;
  max_attempts: number;
  scheduled_at?: string | null;
  inserted_at?: string | null;
  attempted_at?: string | null;
  finished_at?: string | null;
  errors?: unknown[];
}

export interface UiConfig {
  trace_url_template: string;
}
