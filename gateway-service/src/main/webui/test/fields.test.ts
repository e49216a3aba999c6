import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseExamples, signatureInputs } from '../src/views/fields';

describe('signatureInputs', () => {
  test('takes the input side of a string signature, with types', () => {
    assert.deepEqual(signatureInputs('question: str, context -> answer: str'),
      [{ name: 'question', type: 'str' }, { name: 'context', type: 'str' }]);
    assert.deepEqual(signatureInputs('n: int -> square: int'), [{ name: 'n', type: 'int' }]);
  });

  test('gives nothing for text that is not a signature yet, and skips names that are not identifiers', () => {
    assert.deepEqual(signatureInputs('question'), []);
    assert.deepEqual(signatureInputs('question, 2bad, -> answer'), [{ name: 'question', type: 'str' }]);
  });
});

describe('parseExamples', () => {
  test('reads JSONL, skipping blank lines', () => {
    assert.deepEqual(parseExamples('{"q":"a","answer":"1"}\n\n{"q":"b","answer":"2"}\r\n', 'Trainset'),
      [{ q: 'a', answer: '1' }, { q: 'b', answer: '2' }]);
  });

  test('reads a JSON array of objects too', () => {
    assert.deepEqual(parseExamples(' [{"q":"a"},{"q":"b"}] ', 'Trainset'), [{ q: 'a' }, { q: 'b' }]);
  });

  test('names the line that is wrong', () => {
    assert.throws(() => parseExamples('{"q":"a"}\n{"q":', 'Devset'), /Devset, line 2: not valid JSON/);
    assert.throws(() => parseExamples('{"q":"a"}\n[1]', 'Trainset'), /Trainset, line 2: expected a JSON object/);
  });

  test('empty text is an empty set', () => {
    assert.deepEqual(parseExamples('  \n ', 'Devset'), []);
  });
});
