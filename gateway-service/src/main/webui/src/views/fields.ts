// Form controls generated from a program's input fields (catalog field specs, or names parsed from a signature).
import { h } from '../dom';
import type { FieldSpec, ParameterInfo } from '../types';

/** Input field names of a string signature: "question: str, context -> answer" gives question and context. */
export function signatureInputs(signature: string): FieldSpec[] {
  const arrow = signature.indexOf('->');
  if (arrow < 0) {
    return [];
  }
  return signature.slice(0, arrow).split(',')
    .map((part) => {
      const [name = '', type] = part.split(':').map((s) => s.trim());
      return { name, type: type || 'str' };
    })
    .filter((f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name));
}

const SAMPLE_VALUES: Record<string, string> = { question: 'What is the capital of France?' };

/** Replaces the inputs in `box` (keeping its legend) and keeps values the user already typed for the same names. */
export function renderInputs(box: HTMLElement, fields: FieldSpec[], idPrefix: string): void {
  const previous = new Map<string, string>();
  box.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[data-input]').forEach((el) => {
    previous.set(el.dataset.input ?? '', el.value);
  });
  const legend = box.querySelector('legend');
  const children: Node[] = legend ? [legend] : [];
  for (const field of fields) {
    const id = `${idPrefix}-${field.name}`;
    const hint = [field.type && field.type !== 'str' ? field.type : '', field.description ?? ''].filter(Boolean)
      .join(' — ');
    const value = previous.get(field.name) ?? SAMPLE_VALUES[field.name] ?? '';
    let control: HTMLElement;
    if (field.enum_values && field.enum_values.length > 0) {
      control = h('select', { id, 'data-input': field.name, 'data-type': 'str' },
        ...field.enum_values.map((v) => h('option', { value: v, selected: v === value }, v)));
    } else {
      control = h('textarea', { id, rows: 2, spellcheck: false, 'data-input': field.name, 'data-type': field.type ?? 'str',
        'aria-describedby': hint ? `${id}-hint` : null });
      (control as HTMLTextAreaElement).value = value;
    }
    children.push(h('label', { for: id }, field.name), control);
    if (hint) {
      children.push(h('small', { id: `${id}-hint`, className: 'muted' }, hint));
    }
  }
  if (fields.length === 0) {
    children.push(h('p', { className: 'muted' }, 'No input fields.'));
  }
  box.replaceChildren(...children);
}

/** The values of the generated inputs: text for str fields, JSON (or the text as is) for typed ones. */
export function readInputs(box: HTMLElement): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  box.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('[data-input]').forEach((el) => {
    const name = el.dataset.input ?? '';
    const type = el.dataset.type ?? 'str';
    if (type === 'str') {
      inputs[name] = el.value;
    } else {
      try {
        inputs[name] = JSON.parse(el.value);
      } catch {
        inputs[name] = el.value;
      }
    }
  });
  return inputs;
}

/** Controls for optimizer parameters, with their defaults and bounds. */
export function renderParameters(box: HTMLElement, parameters: ParameterInfo[], idPrefix: string): void {
  const legend = box.querySelector('legend');
  const children: Node[] = legend ? [legend] : [];
  for (const p of parameters) {
    const id = `${idPrefix}-${p.name}`;
    const description = p.description ? h('small', { id: `${id}-hint`, className: 'muted' }, p.description) : null;
    const described = description ? `${id}-hint` : null;
    let control: HTMLElement;
    if (p.type === 'bool') {
      control = h('select', { id, 'data-param': p.name, 'data-type': 'bool', 'aria-describedby': described },
        h('option', { value: '' }, `default (${String(p.default_value ?? false)})`),
        h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    } else if (p.allowed_values && p.allowed_values.length > 0) {
      control = h('select', { id, 'data-param': p.name, 'data-type': 'str', 'aria-describedby': described },
        h('option', { value: '' }, `default (${String(p.default_value ?? '')})`),
        ...p.allowed_values.map((v) => h('option', { value: v }, v)));
    } else {
      const numeric = p.type === 'int' || p.type === 'float';
      control = h('input', { id, type: numeric ? 'number' : 'text', 'data-param': p.name, 'data-type': p.type,
        step: p.type === 'float' ? 'any' : numeric ? 1 : null, min: p.minimum ?? null, max: p.maximum ?? null,
        placeholder: p.default_value === undefined || p.default_value === null ? '' : `default ${String(p.default_value)}`,
        'aria-describedby': described });
    }
    children.push(h('div', { className: 'param' }, h('label', { for: id }, p.name), control, description));
  }
  if (parameters.length === 0) {
    children.push(h('p', { className: 'muted' }, 'This optimizer has no parameters.'));
  }
  box.replaceChildren(...children);
}

/** Parameters the user set (empty ones are left to the optimizer's defaults). */
export function readParameters(box: HTMLElement): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  box.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-param]').forEach((el) => {
    if (el.value === '') {
      return;
    }
    const name = el.dataset.param ?? '';
    switch (el.dataset.type) {
      case 'int':
        params[name] = Number.parseInt(el.value, 10);
        break;
      case 'float':
        params[name] = Number.parseFloat(el.value);
        break;
      case 'bool':
        params[name] = el.value === 'true';
        break;
      default:
        params[name] = el.value;
    }
  });
  return params;
}

/** JSONL (one object per line) or a JSON array of objects. */
export function parseExamples(text: string, label: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (!trimmed) {
    return [];
  }
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
      return parsed as Record<string, unknown>[];
    }
    throw new Error(`${label}: a JSON array must hold objects`);
  }
  return trimmed.split(/\r?\n/).flatMap((line, index) => {
    if (!line.trim()) {
      return [];
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${label}, line ${index + 1}: not valid JSON`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`${label}, line ${index + 1}: expected a JSON object`);
    }
    return [parsed as Record<string, unknown>];
  });
}
