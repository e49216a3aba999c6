// One task on screen: status timeline with times, progress (bar + score chart), output fields filling in as chunk
// events arrive, final outputs, usage, latency, trace link, error, a cancel button, and the event log (each event
// with its seq in data-seq, which is how the browser tests check that a resumed stream has no gap or duplicate).
import type { Api } from '../api';
import { errorMessage, formatValue, h, time } from '../dom';
import type { TaskFeed, TaskHandler } from '../feed';
import { FINAL_STATUSES, type EventFrame, type Progress, type ServerErrorFrame, type TaskView, type Usage } from '../types';
import { ScoreChart } from './chart';

export interface PanelContext {
  api: Api;
  feed: TaskFeed;
  traceUrl(traceId: string): string | null;
}

export class TaskPanel implements TaskHandler {
  private taskId: string | null = null;
  private status = '';
  private readonly outputs = new Map<string, HTMLElement>();

  private readonly idText = h('code', { className: 'task-id' }, '—');
  private readonly statusPill = h('span', { className: 'pill task-status', 'data-status': 'none' }, '—');
  private readonly announcer = h('p', { className: 'sr-only', role: 'status', 'aria-live': 'polite' });
  private readonly cancelButton = h('button', { type: 'button', className: 'secondary task-cancel', disabled: true },
    'Cancel task');
  private readonly timeline = h('ol', { className: 'task-timeline', 'aria-label': 'Status timeline' });
  private readonly progressBar = h('progress', { className: 'task-progress-bar', max: 1, value: 0,
    'aria-label': 'Progress' });
  private readonly progressText = h('span', { className: 'task-progress-text' });
  private readonly progress = h('div', { className: 'task-progress', hidden: true }, this.progressBar, this.progressText);
  private readonly chart = new ScoreChart();
  private readonly outputBox = h('div', { className: 'task-outputs' });
  private readonly meta = h('dl', { className: 'task-meta' });
  private readonly error = h('div', { className: 'error task-error', role: 'alert', hidden: true });
  private readonly eventList = h('ol', { className: 'task-events' });
  private readonly eventCount = h('span', {}, '0');

  /** Called with the final result data (an optimization's view shows the new version). */
  onResult: (outputs: Record<string, unknown>) => void = () => {};
  /** Called on every status change (history and storage keep track of open tasks). */
  onStatus: (taskId: string, status: string) => void = () => {};

  /**
   * @param options.compactResult show the result as a key/value table (optimizations and evaluations: numbers and
   *   names rather than generated text)
   */
  constructor(private readonly root: HTMLElement, private readonly context: PanelContext,
    private readonly options: { compactResult?: boolean } = {}) {
    this.cancelButton.addEventListener('click', () => this.cancel());
    root.replaceChildren(
      h('div', { className: 'head' },
        h('h2', {}, 'Task ', this.idText),
        h('div', { className: 'head-actions' }, this.statusPill, this.cancelButton)),
      this.announcer,
      this.timeline,
      this.progress,
      this.chart.element,
      this.error,
      this.outputBox,
      this.meta,
      h('details', { className: 'task-log' }, h('summary', {}, 'Events (', this.eventCount, ')'), this.eventList));
  }

  get currentTaskId(): string | null {
    return this.taskId;
  }

  /** Shows this task from its first event (a fresh panel after a reload replays the whole log). */
  show(taskId: string): void {
    this.detach();
    this.reset();
    this.taskId = taskId;
    this.idText.textContent = taskId;
    this.root.hidden = false;
    this.context.feed.follow(taskId, this, 0);
    void this.refreshDetails();
  }

  /** A task just accepted over the socket (already followed by the feed, with this panel as its handler). */
  adopt(taskId: string): void {
    this.detach();
    this.reset();
    this.taskId = taskId;
    this.idText.textContent = taskId;
    this.root.hidden = false;
    this.cancelButton.disabled = false;
  }

  /** Shows an error before any task exists (e.g. the submission was refused). */
  showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  event(frame: EventFrame): void {
    this.logEvent(frame);
    const data = frame.data;
    switch (frame.event) {
      case 'status':
        this.onStatusEvent(String(data.status), Number(data.attempt ?? 0), frame.occurred_at);
        break;
      case 'progress':
        this.onProgress(data as Progress);
        break;
      case 'chunk':
        this.output(String(data.field ?? 'output')).textContent += String(data.text ?? '');
        break;
      case 'result':
        this.onResultEvent(data);
        break;
      case 'error': {
        const retry = data.retryable ? ' (retryable)' : '';
        this.showError(`${String(data.code)}: ${String(data.message)}${retry}`);
        break;
      }
      default:
        break;
    }
  }

  failed(error: ServerErrorFrame): void {
    this.showError(`${error.code}: ${error.message}`);
    this.cancelButton.disabled = true;
  }

  cancelRequested(): void {
    this.addTimeline('cancel requested', new Date().toISOString(), 'cancel-requested');
    this.cancelButton.disabled = true;
  }

  private onStatusEvent(status: string, attempt: number, at: string | undefined): void {
    this.status = status;
    this.statusPill.textContent = status;
    this.statusPill.dataset.status = status;
    this.announcer.textContent = `Task ${status}`;
    this.addTimeline(status === 'running' && attempt > 1 ? `running (attempt ${attempt})` : status, at, status);
    const final = FINAL_STATUSES.includes(status);
    this.cancelButton.disabled = final;
    if (this.taskId) {
      this.onStatus(this.taskId, status);
    }
    if (final) {
      this.progressBar.value = status === 'succeeded' ? 1 : this.progressBar.value;
      void this.refreshDetails();
    }
  }

  private onProgress(progress: Progress): void {
    this.progress.hidden = false;
    const fraction = Math.max(0, Math.min(1, progress.fraction ?? 0));
    this.progressBar.value = fraction;
    const step = progress.total ? ` · ${progress.step ?? 0}/${progress.total}` : '';
    const phase = progress.phase ? `${progress.phase}${step} · ` : '';
    this.progressText.textContent = `${Math.round(fraction * 100)}% ${phase}${progress.message ?? ''}`;
    this.chart.add(progress.current_score, progress.best_score);
  }

  private onResultEvent(data: Record<string, unknown>): void {
    const outputs = (data.outputs ?? {}) as Record<string, unknown>;
    if (this.options.compactResult) {
      this.outputBox.replaceChildren(h('table', { className: 'grid result-table' },
        h('caption', { className: 'sr-only' }, 'Result'),
        h('tbody', {}, ...Object.entries(outputs).map(([field, value]) => h('tr', { 'data-field': field },
          h('th', { scope: 'row' }, field),
          h('td', { className: 'wrap' }, typeof value === 'string' ? value : JSON.stringify(value)))))));
    }
    for (const [field, value] of Object.entries(this.options.compactResult ? {} : outputs)) {
      const element = this.output(field);
      element.textContent = formatValue(value);
      element.dataset.complete = 'true';
    }
    this.showMeta(data.usage as Usage | undefined, typeof data.model === 'string' ? data.model : null, null);
    this.onResult(outputs);
  }

  /** The element an output field's text goes in; reasoning goes first, as it comes first. */
  private output(field: string): HTMLElement {
    let value = this.outputs.get(field);
    if (!value) {
      value = h('pre', { className: 'value', 'data-field': field });
      const block = h('div', { className: `output${field === 'reasoning' ? ' reasoning' : ''}`, 'data-field': field },
        h('div', { className: 'label' }, field === 'reasoning' ? 'Reasoning' : field), value);
      if (field === 'reasoning') {
        this.outputBox.prepend(block);
      } else {
        this.outputBox.append(block);
      }
      this.outputs.set(field, value);
    }
    return value;
  }

  private addTimeline(label: string, at: string | undefined, status: string): void {
    this.timeline.append(h('li', { 'data-status': status },
      h('span', { className: 'name' }, label), ' ', h('time', { dateTime: at ?? '' }, time(at))));
  }

  private logEvent(frame: EventFrame): void {
    const summary = frame.event === 'chunk' ? `${String(frame.data.field)}: ${JSON.stringify(frame.data.text)}`
      : frame.event === 'status' ? String(frame.data.status)
        : frame.event === 'progress' ? `${Math.round(Number(frame.data.fraction ?? 0) * 100)}% ${String(frame.data.phase ?? '')}`
          : frame.event;
    this.eventList.append(h('li', { 'data-seq': frame.seq, 'data-event': frame.event },
      h('span', { className: 'seq' }, `#${frame.seq}`), ' ', h('span', { className: 'kind' }, frame.event), ' ',
      summary));
    this.eventCount.textContent = String(this.eventList.childElementCount);
  }

  /**
   * Trace id, timings and usage from the task view (the event frames do not carry the trace id). The view is written
   * from the same events a moment after they are pushed live, so after the final status it is read again (a few
   * times, backing off) until it shows the task finished too.
   */
  private async refreshDetails(attempt = 0): Promise<void> {
    const taskId = this.taskId;
    if (!taskId) {
      return;
    }
    try {
      const task = await this.context.api.get<TaskView>(`/api/v1/tasks/${encodeURIComponent(taskId)}`);
      if (this.taskId !== taskId) {
        return;
      }
      this.showMeta(task.usage ?? undefined, task.result?.model ?? null, task);
      if (FINAL_STATUSES.includes(this.status) && !task.finished_at && attempt < 6) {
        window.setTimeout(() => void this.refreshDetails(attempt + 1), 250 * 2 ** attempt);
      }
    } catch (e) {
      if (this.taskId === taskId) {
        this.meta.replaceChildren(h('dt', {}, 'Details'), h('dd', {}, errorMessage(e)));
      }
    }
  }

  private showMeta(usage: Usage | undefined, model: string | null, task: TaskView | null): void {
    const rows: [string, Node | string][] = [];
    if (usage) {
      rows.push(['Tokens', `${usage.input_tokens} in / ${usage.output_tokens} out`]);
      const replayed = usage.lm_calls_replayed ? ` (+${usage.lm_calls_replayed} replayed)` : '';
      rows.push(['LM calls', `${usage.lm_calls ?? 0}${replayed}`]);
    }
    const modelName = model || this.meta.querySelector<HTMLElement>('[data-meta="model"]')?.textContent;
    if (modelName) {
      rows.push(['Model', modelName]);
    }
    if (task?.finished_at && task.created_at) {
      const ms = new Date(task.finished_at).getTime() - new Date(task.created_at).getTime();
      rows.push(['Latency', ms >= 0 ? `${(ms / 1000).toFixed(2)} s` : '—']);
    }
    if (task?.trace_id) {
      const url = this.context.traceUrl(task.trace_id);
      rows.push(['Trace', url
        ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', className: 'trace' }, task.trace_id)
        : h('code', { className: 'trace' }, task.trace_id)]);
    }
    if (rows.length === 0 && !task) {
      return;
    }
    const existing = new Map<string, Node | string>();
    this.meta.querySelectorAll<HTMLElement>('dd[data-meta]').forEach((dd) => {
      existing.set(dd.dataset.meta ?? '', dd.firstChild?.cloneNode(true) ?? '');
    });
    const merged = new Map<string, Node | string>([...existing]);
    for (const [name, value] of rows) {
      merged.set(name.toLowerCase().replace(/ /g, '-'), value);
    }
    const labels: Record<string, string> = { tokens: 'Tokens', 'lm-calls': 'LM calls', model: 'Model', latency: 'Latency',
      trace: 'Trace' };
    const children: Node[] = [];
    for (const key of Object.keys(labels)) {
      const value = merged.get(key);
      if (value !== undefined) {
        children.push(h('dt', {}, labels[key] ?? key), h('dd', { 'data-meta': key }, value));
      }
    }
    this.meta.replaceChildren(...children);
  }

  private cancel(): void {
    const taskId = this.taskId;
    if (!taskId || FINAL_STATUSES.includes(this.status)) {
      return;
    }
    this.cancelButton.disabled = true;
    if (!this.context.feed.cancel(taskId)) {
      // Not connected: REST does the same.
      this.context.api.post(`/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`)
        .then(() => this.cancelRequested(), (e: unknown) => {
          this.cancelButton.disabled = false;
          this.showError(errorMessage(e));
        });
    }
  }

  private detach(): void {
    if (this.taskId) {
      this.context.feed.unfollow(this.taskId, this);
    }
  }

  reset(): void {
    this.taskId = null;
    this.status = '';
    this.outputs.clear();
    this.idText.textContent = '—';
    this.statusPill.textContent = '—';
    this.statusPill.dataset.status = 'none';
    this.cancelButton.disabled = true;
    this.timeline.replaceChildren();
    this.progress.hidden = true;
    this.progressBar.value = 0;
    this.progressText.textContent = '';
    this.chart.reset();
    this.outputBox.replaceChildren();
    this.meta.replaceChildren();
    this.error.hidden = true;
    this.error.textContent = '';
    this.eventList.replaceChildren();
    this.eventCount.textContent = '0';
  }
}
