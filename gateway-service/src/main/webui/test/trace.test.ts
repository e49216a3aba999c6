import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceLink } from '../src/trace';

test('the trace link fills the template, and only web links are made', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.equal(traceLink('https://jaeger.example.com/trace/{trace_id}', id), `https://jaeger.example.com/trace/${id}`);
  assert.equal(traceLink('http://t/{trace_id}?q={trace_id}', 'a b'), 'http://t/a%20b?q=a%20b');
  assert.equal(traceLink('', id), null, 'no template: plain text');
  assert.equal(traceLink('javascript:alert("{trace_id}")', id), null);
  assert.equal(traceLink('/relative/{trace_id}', id), null);
});
