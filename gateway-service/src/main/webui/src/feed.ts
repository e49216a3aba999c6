// Task subscriptions over the socket, with the one rule that makes resuming safe: a task's events are applied in
// sequence order, each exactly once. After any reconnect every open task is resubscribed with after_seq = the last
// seq applied, so the server replays exactly what was missed; a frame at or below it is a duplicate and is dropped,
// one beyond the next expected is a gap and triggers a resubscription instead of being shown.
import type { TaskSocket } from './socket';
import { FINAL_STATUSES, type EventFrame, type ServerErrorFrame, type ServerFrame } from './types';

export interface TaskHandler {
  event(frame: EventFrame): void;
  /** The subscription failed for good (e.g. the task is not visible to this key). */
  failed?(error: ServerErrorFrame): void;
  cancelRequested?(): void;
}

interface Subscription {
  lastSeq: number;
  done: boolean;
  resyncing: boolean;
  handlers: Set<TaskHandler>;
  /** Events applied so far (from seq 1): a handler that joins later (a panel opened on a task the history follows)
   * is shown the task from its start. */
  applied: EventFrame[];
}

interface PendingSubmit {
  resolve(taskId: string): void;
  reject(error: Error): void;
  handler: TaskHandler;
}

const RESUBSCRIBE_DELAY_MS = 1000;
const MAX_KEPT_EVENTS = 20_000;

export class TaskFeed {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly submits = new Map<string, PendingSubmit>();
  /** Any event of any followed task (the history list keeps its statuses live with it). */
  onAnyEvent: (frame: EventFrame) => void = () => {};
  /** Error frames that belong to no request or task of ours. */
  onOtherError: (frame: ServerErrorFrame) => void = () => {};

  constructor(private readonly socket: TaskSocket) {}

  /** Follows a task from after `afterSeq` (0: from its first event). Events already applied are not re-delivered. */
  follow(taskId: string, handler: TaskHandler, afterSeq = 0): void {
    let subscription = this.subscriptions.get(taskId);
    if (!subscription) {
      subscription = { lastSeq: afterSeq, done: false, resyncing: false, handlers: new Set(), applied: [] };
      this.subscriptions.set(taskId, subscription);
      this.subscribe(taskId, subscription);
    } else if (!subscription.handlers.has(handler)) {
      subscription.applied.forEach((frame) => handler.event(frame));
    }
    subscription.handlers.add(handler);
  }

  unfollow(taskId: string, handler: TaskHandler): void {
    const subscription = this.subscriptions.get(taskId);
    if (!subscription) {
      return;
    }
    subscription.handlers.delete(handler);
    if (subscription.handlers.size === 0) {
      this.subscriptions.delete(taskId);
      if (!subscription.done) {
        this.socket.send({ type: 'unsubscribe', task_id: taskId });
      }
    }
  }

  lastSeq(taskId: string): number {
    return this.subscriptions.get(taskId)?.lastSeq ?? 0;
  }

  /** Submits over the socket; resolves with the task id once accepted (the server has subscribed us from seq 0). */
  submit(task: Record<string, unknown>, handler: TaskHandler): Promise<string> {
    return new Promise((resolve, reject) => {
      const requestId = this.socket.send({ type: 'submit', task });
      if (requestId === null) {
        reject(new Error('Not connected to the gateway yet; try again in a moment.'));
        return;
      }
      this.submits.set(requestId, { resolve, reject, handler });
    });
  }

  cancel(taskId: string): boolean {
    return this.socket.send({ type: 'cancel', task_id: taskId }) !== null;
  }

  /** The socket is open (again): resubscribe every open task where it left off. */
  opened(): void {
    for (const [taskId, subscription] of this.subscriptions) {
      if (!subscription.done) {
        this.subscribe(taskId, subscription);
      }
    }
  }

  /** The socket closed: a submission still waiting for `accepted` may or may not have been recorded. */
  closed(): void {
    for (const pending of this.submits.values()) {
      pending.reject(new Error('The connection dropped before the gateway confirmed the task; see Recent tasks.'));
    }
    this.submits.clear();
  }

  frame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'accepted': {
        const pending = this.submits.get(frame.request_id);
        if (pending) {
          this.submits.delete(frame.request_id);
          this.subscriptions.set(frame.task_id,
            { lastSeq: 0, done: false, resyncing: false, handlers: new Set([pending.handler]), applied: [] });
          pending.resolve(frame.task_id);
        }
        break;
      }
      case 'event':
        this.event(frame);
        break;
      case 'cancel_requested':
        this.subscriptions.get(frame.task_id)?.handlers.forEach((h) => h.cancelRequested?.());
        break;
      case 'error':
        this.error(frame);
        break;
      default:
        break; // pong, heartbeat: the socket's watchdog already heard them
    }
  }

  private event(frame: EventFrame): void {
    const subscription = this.subscriptions.get(frame.task_id);
    if (!subscription || frame.seq <= subscription.lastSeq) {
      return; // not ours (any more), or a duplicate after a resubscription
    }
    if (frame.seq > subscription.lastSeq + 1) {
      // A gap: never show it. Ask again from the last seq applied (once until the next in-order frame arrives).
      if (!subscription.resyncing) {
        subscription.resyncing = true;
        this.subscribe(frame.task_id, subscription);
      }
      return;
    }
    subscription.resyncing = false;
    subscription.lastSeq = frame.seq;
    if (frame.event === 'status' && FINAL_STATUSES.includes(String(frame.data.status))) {
      subscription.done = true; // the server ends the subscription after the final status
    }
    if (subscription.applied.length < MAX_KEPT_EVENTS) {
      subscription.applied.push(frame);
    }
    subscription.handlers.forEach((h) => h.event(frame));
    this.onAnyEvent(frame);
  }

  private error(frame: ServerErrorFrame): void {
    const pending = frame.request_id ? this.submits.get(frame.request_id) : undefined;
    if (pending && frame.request_id) {
      this.submits.delete(frame.request_id);
      const details = (frame.violations ?? []).map((v) => `\n• ${v.field}: ${v.message}`).join('');
      const retry = frame.retry_after ? ` (retry in ${frame.retry_after} s)` : '';
      pending.reject(new Error(`${frame.code}: ${frame.message}${retry}${details}`));
      return;
    }
    const subscription = frame.task_id ? this.subscriptions.get(frame.task_id) : undefined;
    if (!subscription || !frame.task_id) {
      this.onOtherError(frame);
      return;
    }
    const taskId = frame.task_id;
    if (frame.code === 'EVENTS_UNAVAILABLE' || frame.code === 'TOO_MANY_SUBSCRIPTIONS') {
      // Transient: the server could not keep up or read its log; resume where we are.
      setTimeout(() => {
        if (this.subscriptions.get(taskId) === subscription && !subscription.done) {
          this.subscribe(taskId, subscription);
        }
      }, RESUBSCRIBE_DELAY_MS);
      return;
    }
    if (frame.code === 'TASK_FINISHED') {
      return; // a cancel that came too late; the final status arrives (or arrived) as an event
    }
    subscription.done = true;
    subscription.handlers.forEach((h) => h.failed?.(frame));
  }

  private subscribe(taskId: string, subscription: Subscription): void {
    // Not connected: opened() sends it when the socket is back.
    this.socket.send({ type: 'subscribe', task_id: taskId, after_seq: subscription.lastSeq });
  }
}
