// Operators' view of the job engine, shown only to admin keys (the probe of GET /api/v1/admin/queues answers 200;
// 401/403/404 hide it): queue statistics, jobs by state and queue, and retry / cancel / discard.
import { ApiError, type Api } from '../api';
import { byId, errorMessage, h, time } from '../dom';
import type { AdminJob, QueueStats } from '../types';

interface JobPage {
  items: AdminJob[];
  next_cursor: string | null;
}

export class AdminView {
  private readonly queueBody = byId('queue-list').querySelector('tbody') as HTMLTableSectionElement;
  private readonly jobBody = byId('job-list').querySelector('tbody') as HTMLTableSectionElement;
  private readonly form = byId('jobs-form', HTMLFormElement);
  private readonly message = byId('jobs-message');
  private readonly more = byId('more-jobs', HTMLButtonElement);
  private readonly queueSelect = byId('jobs-queue', HTMLSelectElement);
  private nextCursor: string | null = null;

  constructor(private readonly api: Api) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.loadJobs();
    });
    this.more.addEventListener('click', () => void this.loadJobs(this.nextCursor));
    byId('admin-refresh').addEventListener('click', () => void this.refresh());
  }

  /** True when this key may see the admin API. */
  async probe(): Promise<boolean> {
    try {
      this.showQueues(await this.api.get<{ queues: QueueStats[] }>('/api/v1/admin/queues'));
      return true;
    } catch (e) {
      if (!(e instanceof ApiError) || ![401, 403, 404].includes(e.status)) {
        this.message.textContent = errorMessage(e);
      }
      return false;
    }
  }

  async refresh(): Promise<void> {
    try {
      this.showQueues(await this.api.get<{ queues: QueueStats[] }>('/api/v1/admin/queues'));
      await this.loadJobs();
    } catch (e) {
      this.message.textContent = errorMessage(e);
    }
  }

  private showQueues(stats: { queues: QueueStats[] }): void {
    const queues = stats.queues ?? [];
    this.queueBody.replaceChildren(...queues.map((q) => h('tr', { 'data-queue': q.queue },
      h('th', { scope: 'row' }, q.queue), h('td', {}, q.available), h('td', {}, q.scheduled), h('td', {}, q.executing),
      h('td', {}, q.retryable), h('td', {}, q.oldest_available_age_ms === null ? '—'
        : `${(q.oldest_available_age_ms / 1000).toFixed(1)} s`),
      h('td', {}, q.concurrency_limit), h('td', {}, q.in_flight_here))));
    const selected = this.queueSelect.value;
    this.queueSelect.replaceChildren(h('option', { value: '' }, 'any'),
      ...queues.map((q) => h('option', { value: q.queue }, q.queue)));
    this.queueSelect.value = queues.some((q) => q.queue === selected) ? selected : '';
  }

  private async loadJobs(cursor: string | null = null): Promise<void> {
    const params = new URLSearchParams();
    const state = byId('jobs-state', HTMLSelectElement).value;
    const limit = byId('jobs-limit', HTMLInputElement).value;
    if (state) params.set('state', state);
    if (this.queueSelect.value) params.set('queue', this.queueSelect.value);
    if (limit) params.set('limit', limit);
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await this.api.get<JobPage>(`/api/v1/admin/jobs?${params.toString()}`);
      const rows = (page.items ?? []).map((job) => this.row(job));
      if (cursor) {
        this.jobBody.append(...rows);
      } else {
        this.jobBody.replaceChildren(...rows);
      }
      this.nextCursor = page.next_cursor ?? null;
      this.more.hidden = !this.nextCursor;
      this.message.textContent = this.jobBody.childElementCount === 0 ? 'No jobs match.' : '';
    } catch (e) {
      this.message.textContent = errorMessage(e);
    }
  }

  private row(job: AdminJob): HTMLTableRowElement {
    const lastError = job.errors && job.errors.length > 0 ? job.errors[job.errors.length - 1] : null;
    const errorText = lastError === null || lastError === undefined ? ''
      : typeof lastError === 'string' ? lastError : JSON.stringify(lastError);
    const actions = h('td', { className: 'actions' });
    for (const action of ['retry', 'cancel', 'discard'] as const) {
      const button = h('button', { type: 'button', className: 'link', 'data-action': action,
        'aria-label': `${action} job ${job.task_id}` }, action);
      button.addEventListener('click', () => void this.act(job.task_id, action, button));
      actions.append(button);
    }
    return h('tr', { 'data-task-id': job.task_id, 'data-state': job.state },
      h('td', {}, h('code', { title: job.task_id }, `…${job.task_id.slice(-8)}`)),
      h('td', {}, job.tenant_id), h('td', {}, job.kind), h('td', {}, job.queue),
      h('td', {}, h('span', { className: 'pill', 'data-status': job.state }, job.state)),
      h('td', {}, `${job.attempt}/${job.max_attempts}`), h('td', {}, time(job.scheduled_at)),
      h('td', { className: 'wrap' }, errorText.slice(0, 200)), actions);
  }

  private async act(taskId: string, action: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.api.post(`/api/v1/admin/jobs/${encodeURIComponent(taskId)}/${action}`);
      this.message.textContent = `${action}: done for ${taskId}`;
      await this.refresh();
    } catch (e) {
      button.disabled = false;
      this.message.textContent = `${action} failed: ${errorMessage(e)}`;
    }
  }
}
