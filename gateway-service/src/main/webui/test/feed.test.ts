import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { TaskFeed, type TaskHandler } from '../src/feed';
import type { TaskSocket } from '../src/socket';
import type { EventFrame, ServerFrame } from '../src/types';

/** Stands in for the WebSocket: records what the feed sends; `open` false makes send fail like a closed socket. */
class FakeSocket {
  open = true;
  sent: Record<string, unknown>[] = [];
  private nextId = 1;

  send(frame: Record<string, unknown>): string | null {
    if (!this.open) {
      return null;
    }
    const requestId = String(this.nextId++);
    this.sent.push({ ...frame, request_id: requestId });
    return requestId;
  }

  subscribes(taskId: string): unknown[] {
    return this.sent.filter((f) => f.type === 'subscribe' && f.task_id === taskId).map((f) => f.after_seq);
  }
}

class Recorder implements TaskHandler {
  seqs: number[] = [];
  failures: string[] = [];

  event(frame: EventFrame): void {
    this.seqs.push(frame.seq);
  }

  failed(error: { code: string }): void {
    this.failures.push(error.code);
  }
}

function event(taskId: string, seq: number, kind: EventFrame['event'] = 'chunk', data: Record<string, unknown> = {}):
ServerFrame {
  return { type: 'event', task_id: taskId, seq, event: kind, data };
}

const TASK = '01a20cc5-0000-7000-8000-000000000001';

describe('TaskFeed', () => {
  let socket: FakeSocket;
  let feed: TaskFeed;

  beforeEach(() => {
    socket = new FakeSocket();
    feed = new TaskFeed(socket as unknown as TaskSocket);
  });

  async function submitted(handler: TaskHandler): Promise<string> {
    const accepted = feed.submit({ kind: 'predict' }, handler);
    const requestId = String(socket.sent.at(-1)?.request_id);
    feed.frame({ type: 'accepted', request_id: requestId, task_id: TASK });
    return accepted;
  }

  test('a submitted task gets its events in order, each once: duplicates are dropped', async () => {
    const handler = new Recorder();
    assert.equal(await submitted(handler), TASK);
    for (const seq of [1, 2, 2, 3, 1, 3]) {
      feed.frame(event(TASK, seq));
    }
    assert.deepEqual(handler.seqs, [1, 2, 3]);
    assert.equal(feed.lastSeq(TASK), 3);
  });

  test('a gap is never shown: the feed resubscribes once from the last seq it applied', async () => {
    const handler = new Recorder();
    await submitted(handler);
    feed.frame(event(TASK, 1));
    feed.frame(event(TASK, 3));
    feed.frame(event(TASK, 4));
    assert.deepEqual(handler.seqs, [1]);
    assert.deepEqual(socket.subscribes(TASK), [1], 'one resubscription for the gap, after_seq 1');
    for (const seq of [2, 3, 4]) {
      feed.frame(event(TASK, seq));
    }
    assert.deepEqual(handler.seqs, [1, 2, 3, 4]);
  });

  test('after a reconnect every open task is resubscribed where it left off, finished ones are not', async () => {
    const running = new Recorder();
    const finished = new Recorder();
    const other = '01a20cc5-0000-7000-8000-000000000002';
    await submitted(running);
    feed.follow(other, finished);
    assert.deepEqual(socket.subscribes(other), [0]);
    feed.frame(event(TASK, 1, 'status', { status: 'running' }));
    feed.frame(event(TASK, 2));
    feed.frame(event(other, 1, 'status', { status: 'succeeded' }));

    socket.open = false;
    feed.closed();
    socket.open = true;
    feed.opened();

    assert.deepEqual(socket.subscribes(TASK), [2]);
    assert.deepEqual(socket.subscribes(other), [0], 'a finished task is not asked for again');
    feed.frame(event(TASK, 2));
    feed.frame(event(TASK, 3));
    assert.deepEqual(running.seqs, [1, 2, 3]);
  });

  test('a handler that joins later sees the task from its first event, then live, without duplicates', async () => {
    const first = new Recorder();
    await submitted(first);
    feed.frame(event(TASK, 1));
    feed.frame(event(TASK, 2));
    const late = new Recorder();
    feed.follow(TASK, late);
    feed.frame(event(TASK, 3));
    assert.deepEqual(late.seqs, [1, 2, 3]);
    assert.deepEqual(first.seqs, [1, 2, 3]);
    assert.deepEqual(socket.subscribes(TASK), [], 'the submission already subscribed');
  });

  test('a refused submission rejects with the server code, and so does a connection lost before accepted', async () => {
    const refused = feed.submit({ kind: 'predict' }, new Recorder());
    feed.frame({ type: 'error', request_id: String(socket.sent.at(-1)?.request_id), code: 'VALIDATION_FAILED',
      message: 'bad', violations: [{ field: 'inputs', message: 'required' }] });
    await assert.rejects(refused, /VALIDATION_FAILED: bad\n• inputs: required/);

    const lost = feed.submit({ kind: 'predict' }, new Recorder());
    feed.closed();
    await assert.rejects(lost, /connection dropped/);

    socket.open = false;
    await assert.rejects(feed.submit({ kind: 'predict' }, new Recorder()), /Not connected/);
  });

  test('a task this key cannot see fails its handlers; the last handler leaving unsubscribes', () => {
    const handler = new Recorder();
    feed.follow(TASK, handler);
    feed.frame({ type: 'error', task_id: TASK, code: 'TASK_NOT_FOUND', message: 'No such task' });
    assert.deepEqual(handler.failures, ['TASK_NOT_FOUND']);

    const other = '01a20cc5-0000-7000-8000-000000000003';
    const a = new Recorder();
    const b = new Recorder();
    feed.follow(other, a);
    feed.follow(other, b);
    feed.unfollow(other, a);
    assert.equal(socket.sent.filter((f) => f.type === 'unsubscribe').length, 0);
    feed.unfollow(other, b);
    assert.deepEqual(socket.sent.filter((f) => f.type === 'unsubscribe').map((f) => f.task_id), [other]);
  });
});
