// The tenant's recent tasks (GET /api/v1/tasks), kept live for the tasks of this browser session: their status pills
// follow the WebSocket events, and a newly submitted task appears at once.
import type { Api } from '../api';
import { byId, errorMessage, h, time } from '../dom';
import type { TaskFeed, TaskHandler } from '../feed';
import { FINAL_STATUSES, type EventFrame, type TaskPage, type TaskView } from '../types';

const SESSION_TASKS_KEY = 'dspy-suite.session-tasks';
const MAX_SESSION_TASKS = 50;

export class HistoryView implements TaskHandler {
  private readonly body = byId('task-list').querySelector('tbody') as HTMLTableSectionElement;
  private readonly empty = byId('task-list-empty');
  private readonly more = byId('more-tasks', HTMLButtonElement);
  private readonly live = new Map<string, string>();
  private nextCursor: string | null = null;

  constructor(private readonly api: Api, private readonly feed: TaskFeed, private readonly open: (taskId: string) => void,
    private readonly onError: (message: string) => void) {
    byId('refresh').addEventListener('click', () => void this.load());
    this.more.addEventListener('click', () => void this.load(this.nextCursor));
  }

  /** A task of this session: follow it until it ends, remember it across reloads. */
  track(taskId: string): void {
    const ids = this.sessionTasks().filter((id) => id !== taskId);
    ids.unshift(taskId);
    sessionStorage.setItem(SESSION_TASKS_KEY, JSON.stringify(ids.slice(0, MAX_SESSION_TASKS)));
    this.feed.follow(taskId, this, 0);
    void this.load();
  }

  /** After a reload (or a new key): follow this session's unfinished tasks again. */
  async start(): Promise<void> {
    const page = await this.load();
    const open = new Set(page?.items.filter((t) => !FINAL_STATUSES.includes(t.status)).map((t) => t.id) ?? []);
    for (const id of this.sessionTasks()) {
      if (open.has(id)) {
        this.feed.follow(id, this, 0);
      }
    }
  }

  event(frame: EventFrame): void {
    if (frame.event === 'status') {
      const status = String(frame.data.status);
      this.live.set(frame.task_id, status);
      this.mark(frame.task_id, status);
      if (FINAL_STATUSES.includes(status)) {
        this.feed.unfollow(frame.task_id, this);
      }
    }
  }

  async load(cursor: string | null = null): Promise<TaskPage | null> {
    try {
      const query = cursor ? `?limit=20&cursor=${encodeURIComponent(cursor)}` : '?limit=20';
      const page = await this.api.get<TaskPage>(`/api/v1/tasks${query}`);
      const rows = page.items.map((task) => this.row(task));
      if (cursor) {
        this.body.append(...rows);
      } else {
        this.body.replaceChildren(...rows);
      }
      this.nextCursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      this.empty.hidden = this.body.childElementCount > 0;
      // The list is the task view, written from the same events a moment after they are pushed live: a status seen
      // live is never older, so it wins.
      for (const [id, status] of this.live) {
        this.mark(id, status);
      }
      return page;
    } catch (e) {
      this.onError(errorMessage(e));
      return null;
    }
  }

  private sessionTasks(): string[] {
    try {
      const parsed: unknown = JSON.parse(sessionStorage.getItem(SESSION_TASKS_KEY) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
    } catch {
      return [];
    }
  }

  private mark(taskId: string, status: string): void {
    const row = this.body.querySelector<HTMLTableRowElement>(`tr[data-task-id="${CSS.escape(taskId)}"]`);
    const pill = row?.querySelector<HTMLElement>('.pill');
    if (!row || !pill) {
      return;
    }
    pill.dataset.status = status;
    pill.textContent = status;
    if (FINAL_STATUSES.includes(status)) {
      row.querySelector('button.cancel')?.remove();
    }
  }

  private row(task: TaskView): HTMLTableRowElement {
    const final = FINAL_STATUSES.includes(task.status);
    const status = task.cancel_requested_at && !final ? `${task.status} (cancelling)` : task.status;
    // Task ids are UUIDv7: the leading characters are a timestamp shared by tasks of the same minute, the tail is
    // random, so the tail is what tells rows apart.
    const openButton = h('button', { type: 'button', className: 'link', 'aria-label': `Open task ${task.id}` }, 'Open');
    openButton.addEventListener('click', () => this.open(task.id));
    const actions = h('td', { className: 'actions' }, openButton);
    if (!final) {
      const cancel = h('button', { type: 'button', className: 'link cancel', 'aria-label': `Cancel task ${task.id}` },
        'Cancel');
      cancel.addEventListener('click', () => {
        cancel.disabled = true;
        this.api.post(`/api/v1/tasks/${encodeURIComponent(task.id)}/cancel`)
          .then(() => this.load(), (e: unknown) => { cancel.disabled = false; this.onError(errorMessage(e)); });
      });
      actions.append(cancel);
    }
    return h('tr', { 'data-task-id': task.id },
      h('td', {}, time(task.created_at)),
      h('td', {}, task.kind),
      h('td', {}, h('code', { title: task.id }, `…${task.id.slice(-8)}`)),
      h('td', {}, h('span', { className: 'pill', 'data-status': task.status }, status)),
      actions);
  }
}
