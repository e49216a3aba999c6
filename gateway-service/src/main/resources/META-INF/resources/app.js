import { TaskSocket } from './socket.js';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'dspy-suite.api-key';

const ui = {
  key: $('api-key'),
  signature: $('signature'),
  module: $('module'),
  inputs: $('inputs'),
  submit: $('submit'),
  form: $('task-form'),
  connection: $('connection-status'),
  taskId: $('task-id'),
  status: $('task-status'),
  timeline: $('task-timeline'),
  error: $('task-error'),
  result: $('task-result'),
};

// The task this page follows: its id, the request that created it and the last event seen (for resubscribing).
const current = { requestId: null, taskId: null, lastSeq: 0, done: true };

const socket = new TaskSocket({ onFrame, onStateChange });

ui.key.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
ui.key.addEventListener('input', () => sessionStorage.setItem(KEY_STORAGE, ui.key.value.trim()));
ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit();
});

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

function onFrame(frame) {
  switch (frame.type) {
    case 'accepted':
      if (frame.request_id === current.requestId) {
        current.taskId = frame.task_id;
        ui.taskId.textContent = frame.task_id;
      }
      break;
    case 'event':
      if (frame.task_id === current.taskId && frame.seq > current.lastSeq) {
        current.lastSeq = frame.seq;
        onEvent(frame);
      }
      break;
    case 'error':
      if (frame.request_id === current.requestId || (frame.task_id && frame.task_id === current.taskId)) {
        const details = (frame.violations ?? []).map((v) => `\n• ${v.field}: ${v.message}`).join('');
        showError(`${frame.code}: ${frame.message}${details}`);
        finish();
      }
      break;
    default:
      break;
  }
}

function onEvent({ event, data }) {
  if (event === 'status') {
    setStatus(data.status, data.attempt);
    if (['succeeded', 'failed', 'cancelled'].includes(data.status)) {
      finish();
    }
  } else if (event === 'result') {
    showResult(data);
  } else if (event === 'error') {
    showError(`${data.code}: ${data.message}${data.retryable ? ' (retryable)' : ''}`);
  } else if (event === 'progress') {
    ui.status.title = `${Math.round((data.fraction ?? 0) * 100)}% ${data.message ?? ''}`;
  }
}

function onStateChange(state) {
  const labels = { connecting: 'connecting…', open: 'connected', closed: 'disconnected', failed: 'connection refused' };
  ui.connection.textContent = labels[state] ?? state;
  ui.connection.dataset.state = state;
  if (state === 'closed' && !current.done && current.taskId) {
    // Pick up where we left off: the server replays every event after the last one we saw.
    setTimeout(resubscribe, 1000);
  }
}

async function resubscribe() {
  try {
    await socket.connect(ui.key.value.trim());
    socket.send({ type: 'subscribe', task_id: current.taskId, after_seq: current.lastSeq });
  } catch (e) {
    showError(e.message);
  }
}

function setStatus(status, attempt) {
  ui.status.textContent = status;
  ui.status.dataset.status = status;
  const item = document.createElement('li');
  item.textContent = status === 'running' && attempt > 1 ? `running (attempt ${attempt})` : status;
  ui.timeline.append(item);
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
  Object.assign(current, { requestId: null, taskId: null, lastSeq: 0, done: true });
  ui.taskId.textContent = '—';
  ui.status.textContent = '—';
  ui.status.dataset.status = 'none';
  ui.timeline.replaceChildren();
  ui.result.replaceChildren();
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function finish() {
  current.done = true;
  ui.submit.disabled = false;
}
