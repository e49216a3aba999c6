import { TaskSocket } from './socket.js';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'dspy-suite.api-key';
const FINAL = ['succeeded', 'failed', 'cancelled'];

const ui = {
  key: $('api-key'),
  signature: $('signature'),
  module: $('module'),
  inputs: $('inputs'),
  submit: $('submit'),
  cancel: $('cancel'),
  form: $('task-form'),
  connection: $('connection-status'),
  taskId: $('task-id'),
  status: $('task-status'),
  timeline: $('task-timeline'),
  progress: $('task-progress'),
  progressBar: $('task-progress-bar'),
  progressText: $('task-progress-text'),
  error: $('task-error'),
  result: $('task-result'),
  list: document.querySelector('#task-list tbody'),
  listEmpty: $('task-list-empty'),
  refresh: $('refresh'),
};

// The task this page follows: its id, the request that created it and the last event seen (for resubscribing).
const current = { requestId: null, taskId: null, status: null, lastSeq: 0, done: true };
let reconnectDelay = 500;

const socket = new TaskSocket({ onFrame, onStateChange });

ui.key.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
ui.key.addEventListener('input', () => sessionStorage.setItem(KEY_STORAGE, ui.key.value.trim()));
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit();
});
ui.cancel.addEventListener('click', () => cancel(current.taskId));
ui.refresh.addEventListener('click', () => loadTasks().catch((e) => showError(e.message)));
if (ui.key.value) {
  loadTasks().catch(() => {});
}

/** REST call with the tenant key; problem+json errors become readable messages. */
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${ui.key.value.trim()}`, Accept: 'application/json', ...(options.headers ?? {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) {
      throw new Error('Authentication failed: the API key is not valid (401 UNAUTHENTICATED).');
    }
    throw new Error(`${body?.code ?? response.status}: ${body?.detail ?? response.statusText}`);
  }
  return body;
}

async function submit() {
  const key = ui.key.value.trim();
  if (!key) {
    return showError('Enter the API key first.');
  }
  let inputs;
  try {
    inputs = JSON.parse(ui.inputs.value);
  } catch {
    return showError('Inputs must be valid JSON, e.g. {"question": "…"}');
  }
  resetTask();
  ui.submit.disabled = true;
  try {
    // Checks the key with a clear answer (browsers hide why a WebSocket upgrade failed) and refreshes the list.
    await loadTasks();
    await socket.connect(key);
    current.done = false;
    current.requestId = socket.send({
      type: 'submit',
      task: {
        kind: 'predict',
        program: { signature: ui.signature.value.trim(), module: ui.module.value },
        inputs,
      },
    });
  } catch (e) {
    ui.submit.disabled = false;
    showError(e.message);
  }
}

function cancel(taskId) {
  if (!taskId) {
    return;
  }
  try {
    socket.send({ type: 'cancel', task_id: taskId });
  } catch {
    // Not connected: REST does the same.
    api(`/api/v1/tasks/${taskId}/cancel`, { method: 'POST' }).then(loadTasks, (e) => showError(e.message));
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case 'accepted':
      if (frame.request_id === current.requestId) {
        current.taskId = frame.task_id;
        ui.taskId.textContent = frame.task_id;
        ui.cancel.disabled = false;
        loadTasks().catch(() => {});
      }
      break;
    case 'event':
      if (frame.task_id === current.taskId && frame.seq > current.lastSeq) {
        current.lastSeq = frame.seq;
        onEvent(frame);
      }
      break;
    case 'cancel_requested':
      if (frame.task_id === current.taskId) {
        addTimeline('cancel requested');
        ui.cancel.disabled = true;
      }
      loadTasks().catch(() => {});
      break;
    case 'error':
      if (frame.request_id === current.requestId || (frame.task_id && frame.task_id === current.taskId)) {
        const details = (frame.violations ?? []).map((v) => `\n• ${v.field}: ${v.message}`).join('');
        const retry = frame.retry_after ? ` (retry in ${frame.retry_after} s)` : '';
        showError(`${frame.code}: ${frame.message}${retry}${details}`);
        if (frame.code === 'EVENTS_UNAVAILABLE' && !current.done) {
          setTimeout(resubscribe, 1000);
        } else if (frame.code !== 'TASK_FINISHED') {
          finish();
        }
      } else if (frame.code && !frame.task_id) {
        showError(`${frame.code}: ${frame.message}`);
      }
      break;
    default:
      break; // pong, heartbeat: the socket's watchdog already saw them
  }
}

function onEvent({ event, data }) {
  if (event === 'status') {
    setStatus(data.status, data.attempt);
    current.status = data.status;
    markListRow(current.taskId, data.status);
    if (FINAL.includes(data.status)) {
      finish();
      loadTasks().catch(() => {});
    }
  } else if (event === 'result') {
    showResult(data);
  } else if (event === 'error') {
    showError(`${data.code}: ${data.message}${data.retryable ? ' (retryable)' : ''}`);
  } else if (event === 'progress') {
    ui.progress.hidden = false;
    ui.progressBar.value = data.fraction ?? 0;
    ui.progressText.textContent = `${Math.round((data.fraction ?? 0) * 100)}% ${data.message ?? ''}`;
  } else if (event === 'chunk') {
    appendChunk(data);
  }
}

function onStateChange(state, closeEvent) {
  const labels = {
    connecting: 'connecting…', open: 'connected', closed: 'disconnected', failed: 'connection refused',
    reconnecting: 'reconnecting…',
  };
  const following = !current.done && current.taskId;
  const shown = state === 'closed' && following ? 'reconnecting' : state;
  ui.connection.textContent = labels[shown] ?? shown;
  ui.connection.dataset.state = shown;
  if (state === 'open') {
    reconnectDelay = 500;
  }
  if ((state === 'closed' || (state === 'failed' && closeEvent?.wasClean === false)) && following) {
    // Pick up where we left off (also after a 4008 "slow consumer" close): the server replays every event after
    // the last one we saw, then continues live.
    setTimeout(resubscribe, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 10_000);
  }
}

async function resubscribe() {
  if (current.done || !current.taskId) {
    return;
  }
  try {
    await socket.connect(ui.key.value.trim());
    socket.send({ type: 'subscribe', task_id: current.taskId, after_seq: current.lastSeq });
  } catch {
    // onStateChange schedules the next attempt.
  }
}

async function loadTasks() {
  const page = await api('/api/v1/tasks?limit=20');
  ui.list.replaceChildren(...page.items.map(taskRow));
  ui.listEmpty.hidden = page.items.length > 0;
  // The list comes from the task view, which the gateway writes from the same events a moment after it pushes them
  // live: for the task on screen, the live status is never older, so it wins.
  if (current.taskId && current.status) {
    markListRow(current.taskId, current.status);
  }
}

function markListRow(taskId, status) {
  const row = ui.list.querySelector(`tr[data-task-id="${taskId}"]`);
  const pill = row?.querySelector('.pill');
  if (!pill) {
    return;
  }
  pill.dataset.status = status;
  pill.textContent = status;
  if (FINAL.includes(status)) {
    row.querySelectorAll('button').forEach((button) => button.remove());
  }
}

function taskRow(task) {
  const row = document.createElement('tr');
  row.dataset.taskId = task.id;
  row.insertCell().textContent = new Date(task.created_at).toLocaleTimeString();
  const id = document.createElement('code');
  // Task ids are UUIDv7: the leading characters are a timestamp shared by tasks of the same minute, the tail is
  // random, so the tail is what tells rows apart.
  id.textContent = `…${task.id.slice(-8)}`;
  id.title = task.id;
  row.insertCell().append(id);
  const status = document.createElement('span');
  status.className = 'pill';
  status.dataset.status = task.status;
  status.textContent = task.cancel_requested_at && !FINAL.includes(task.status) ? `${task.status} (cancelling)` : task.status;
  row.insertCell().append(status);
  const actions = row.insertCell();
  if (!FINAL.includes(task.status)) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = 'Cancel';
    button.addEventListener('click', () => cancel(task.id));
    actions.append(button);
  }
  return row;
}

function setStatus(status, attempt) {
  ui.status.textContent = status;
  ui.status.dataset.status = status;
  addTimeline(status === 'running' && attempt > 1 ? `running (attempt ${attempt})` : status);
}

function addTimeline(text) {
  const item = document.createElement('li');
  item.textContent = text;
  ui.timeline.append(item);
}

function appendChunk({ field, text }) {
  let streamed = ui.result.querySelector('.streamed');
  if (!streamed) {
    streamed = document.createElement('pre');
    streamed.className = 'streamed';
    ui.result.append(streamed);
  }
  streamed.textContent += field && !streamed.textContent ? `${field}: ${text}` : text;
}

function showResult({ outputs, usage, model }) {
  const table = document.createElement('table');
  for (const [field, value] of Object.entries(outputs ?? {})) {
    const row = table.insertRow();
    const name = document.createElement('th');
    name.textContent = field;
    row.append(name);
    row.insertCell().textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  }
  const meta = document.createElement('div');
  meta.className = 'meta';
  const tokens = usage ? ` · ${usage.input_tokens} in / ${usage.output_tokens} out tokens` : '';
  meta.textContent = `${model || 'model unknown'}${tokens}`;
  ui.result.replaceChildren(table, meta);
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function resetTask() {
  Object.assign(current, { requestId: null, taskId: null, status: null, lastSeq: 0, done: true });
  ui.taskId.textContent = '—';
  ui.status.textContent = '—';
  ui.status.dataset.status = 'none';
  ui.timeline.replaceChildren();
  ui.result.replaceChildren();
  ui.progress.hidden = true;
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function finish() {
  current.done = true;
  ui.submit.disabled = false;
  ui.cancel.disabled = true;
}
